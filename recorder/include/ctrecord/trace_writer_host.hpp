// TraceWriterHost: the thread-safe front of a trace file. Any thread posts events; one writer
// thread (owned here) encodes them into frames, closing a frame on size (~1 MiB) or age
// (~250 ms) so a killed recorder loses at most that much; a CompressorPool compresses frames
// on other cores and the writer thread writes them back in order. While compression falls
// behind, frames get faster zstd levels (adaptive), so the command is held up only briefly. The
// queue is bounded: post() blocks while it is full (back-pressure, lossless). If the file cannot be
// written (disk full, ...), the error is kept, later events are counted as dropped, and
// posting never blocks on a dead writer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ctrecord/bounded_queue.hpp"
#include "ctrecord/compressor_pool.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_format.hpp"

namespace ctrecord {

class TraceFileWriter;

struct TraceWriterHostOptions {
  std::size_t queue_max_events = 4096;
  std::size_t queue_max_bytes = 1u << 20;
  std::size_t frame_bytes = trace_format::kFrameTargetBytes;
  std::chrono::milliseconds frame_interval{trace_format::kFrameIntervalMs};
  int compression_level = 1;             // zstd level while compression keeps up
  bool adaptive_compression = true;      // faster levels while it falls behind (see .cpp)
  unsigned compression_threads = 0;      // 0: one per core, at most 4
  std::size_t max_frames_in_flight = 0;  // being compressed or waiting; 0: threads + 2
};

struct TraceWriterStats {
  std::uint64_t queue_high_water = 0;
  std::uint64_t dropped_events = 0;  // posted after the file failed (or after finish)
  std::uint64_t dropped_bytes = 0;   // IO payload bytes in those events
  std::uint64_t frames = 0;
};

class TraceWriterHost {
 public:
  TraceWriterHost(std::unique_ptr<TraceFileWriter> writer, TraceWriterHostOptions options = {});
  ~TraceWriterHost();  // finishes without an End event if finish() was not called
  TraceWriterHost(const TraceWriterHost&) = delete;
  TraceWriterHost& operator=(const TraceWriterHost&) = delete;

  // Thread-safe. Blocks while the queue is full. Returns false when the event was dropped
  // (file failed earlier, or finish() already ran).
  bool post(TraceEvent event);

  // Writes everything queued, then the event `make_end` builds from the final stats, then
  // flushes and closes the file. Call once, from one thread. Returns the first write error
  // (also available from error()).
  std::optional<std::string> finish(
      const std::function<EndEvent(const TraceWriterStats&)>& make_end);

  std::optional<std::string> error() const;  // first failure, "write PATH: No space left ..."
  TraceWriterStats stats() const;
  // zstd level -> frames written at it (the End event's frame not included). After finish().
  const std::map<int, std::uint64_t>& frames_by_level() const noexcept { return level_frames_; }
  const std::string& path() const noexcept { return path_; }

 private:
  void run_writer();
  void submit_pending();                // pending events -> pool (writing finished frames first)
  void write_ready(bool wait_for_all);  // finished frames -> file, in order
  void write_compressed(CompressedFrame frame);
  void compress_inline(EncodedFrame frame);
  int choose_level() const;
  void note_adaptive_levels(std::uint64_t t_ns);
  void flush_frame();
  void fail(const std::string& message);

  std::unique_ptr<TraceFileWriter> writer_;
  std::string path_;
  TraceWriterHostOptions options_;
  std::unique_ptr<CompressorPool> pool_;              // writer thread only
  std::optional<FrameCompressor> inline_compressor_;  // writer thread only
  std::map<int, std::uint64_t> level_frames_;         // writer thread only until joined
  BoundedQueue<TraceEvent> queue_;
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> dropped_events_{0};
  std::atomic<std::uint64_t> dropped_bytes_{0};
  std::atomic<std::uint64_t> frames_{0};
  mutable std::mutex error_mutex_;
  std::optional<std::string> error_;
  bool finished_ = false;
  std::thread thread_;  // last member: started after everything above exists
};

}  // namespace ctrecord
