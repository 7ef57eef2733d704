// IoEventSink: where capture back ends hand their data. It stamps nothing itself (chunks come
// stamped by the reader), counts bytes and chunks per stream, and forwards everything to the
// TraceWriterHost. Notes are also logged, so the console and the trace say the same thing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "ctrecord/output_limit.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_writer_host.hpp"

namespace ctrecord {

class IoEventSink {
 public:
  IoEventSink(TraceWriterHost& host, const RecordingClock& clock) : host_(host), clock_(clock) {}

  void on_chunk(IoChunk chunk);  // thread-safe; stamps the current context if none is set
  // The context stamped on chunks from now on ("" for none).
  void set_context(std::string context);
  void on_stream_closed(Stream stream, std::string reason);
  void note(NoteLevel level, std::string text);  // logs it and records it
  // Anything else (start, exit). With an output limit, an ExitEvent first writes the cut notes
  // (also logged) and the kept tail.
  void post(TraceEvent event);
  // --max-trace-size: keep at most `limit` bytes of stdout + stderr (output_limit.hpp).
  // Counters still count everything produced. Call before the first chunk.
  void limit_output(std::uint64_t limit);

  // stdout + stderr bytes so far (cheap; for the causal stdin feeder).
  std::uint64_t output_bytes() const noexcept {
    return bytes_[1].load(std::memory_order_relaxed) + bytes_[2].load(std::memory_order_relaxed);
  }
  // Counters so far (bytes/chunks per stream, plus the host's drop counters and high water).
  Counters counters() const;
  const RecordingClock& clock() const noexcept { return clock_; }

 private:
  TraceWriterHost& host_;
  const RecordingClock& clock_;
  std::array<std::atomic<std::uint64_t>, 3> bytes_{};
  std::array<std::atomic<std::uint64_t>, 3> chunks_{};
  mutable std::mutex context_mutex_;
  std::string context_;
  std::mutex limiter_mutex_;
  std::unique_ptr<OutputLimiter> limiter_;  // set once, before the first chunk
};

}  // namespace ctrecord
