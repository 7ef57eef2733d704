// TraceFileWriter: turns events into a .ctrace file (header, zstd frames, end record).
// Single-threaded: TraceWriterHost owns one and drives it from its writer thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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
