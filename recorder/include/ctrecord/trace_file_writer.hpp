// TraceFileWriter: turns events into a .ctrace file (header, zstd frames, end record).
// Single-threaded: TraceWriterHost owns one and drives it from its writer thread. Frames are
// either compressed here (flush_frame) or taken out encoded, compressed elsewhere (a
// FrameCompressor per thread) and handed back in order (take_frames, write_compressed_frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/frame_compressor.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class TraceFileWriter {
 public:
  // Takes ownership of `fd` (opened for writing); `path` is only for messages.
  // Writes the file header immediately; if that fails (disk full), it is retried before the
  // first frame and close(), which then report the error.
  TraceFileWriter(UniqueFd fd, std::string path, int zstd_level = 1);
  ~TraceFileWriter();
  TraceFileWriter(const TraceFileWriter&) = delete;
  TraceFileWriter& operator=(const TraceFileWriter&) = delete;

  // Encodes `event` into the pending frame. Never writes to the file by itself.
  void append(const TraceEvent& event);
  std::size_t pending_bytes() const noexcept;
  std::size_t pending_events() const noexcept;

  // Compresses the pending events into one zstd frame and writes it (whole, EINTR/partial
  // writes handled). No-op when nothing is pending. Throws EnvironmentError on write failure
  // (e.g. ENOSPC); the pending events are then discarded and counted in events_lost().
  void flush_frame();

  // The pending events as encoded frames (each within the format's limits), for compression
  // elsewhere; nothing pending afterwards.
  std::vector<EncodedFrame> take_frames();
  // Writes one already compressed frame holding `events` events (header first if still due).
  // Same failure handling as flush_frame().
  void write_compressed_frame(std::string_view frame, std::uint64_t events);
  // Capacity to reserve for each new frame (grown by doubling otherwise; a frame of N bytes
  // would often hold 2N).
  void set_frame_reserve(std::size_t bytes) noexcept;
  // A buffer (empty, with capacity) for the next frame, instead of a new allocation.
  void provide_frame_buffer(std::string buffer) noexcept;
  // Events that never reached the writer (e.g. their compression failed elsewhere).
  void count_lost(std::uint64_t events) noexcept;

  // Flushes and closes the file. Throws EnvironmentError on failure.
  void close();

  std::uint64_t frames_written() const noexcept;
  std::uint64_t bytes_written() const noexcept;  // file size so far
  std::uint64_t events_lost() const noexcept;
  const std::string& path() const noexcept;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace ctrecord
