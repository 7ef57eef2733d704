// IoEventSink: where capture back ends hand their data. It stamps nothing itself (chunks come
// stamped by the reader), counts bytes and chunks per stream, and forwards everything to the
// TraceWriterHost. Notes are also logged, so the console and the trace say the same thing.
// With masking on, chunks are masked first (output_masker.hpp): bytes that could still become
// a secret wait for their stream's next chunk, and are written before any other event.
// --order=exact hands its chunks in sequence order (on_ordered_chunk): there a held tail also
// goes out before a chunk of the other output stream or of another writer, so the merged
// order of stdout and stderr stays the one the chunks came in (a secret a program splits
// between two writes with a write to the other stream in between is then not masked).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ctrecord/output_limit.hpp"
#include "ctrecord/output_masker.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_writer_host.hpp"

namespace ctrecord {

class IoEventSink {
 public:
  IoEventSink(TraceWriterHost& host, const RecordingClock& clock) : host_(host), clock_(clock) {}

  void on_chunk(IoChunk chunk);  // thread-safe; stamps the current context if none is set
  // A stdout/stderr chunk from --order=exact's ledger (order_ledger.hpp), in sequence order.
  // Its context was stamped when it was read (context()), empty meaning none. With masking,
  // a held-back tail that this chunk does not continue (another stream, another writer or
  // context, not the next write of the same thread) is written first, as a chunk of its own.
  void on_ordered_chunk(IoChunk chunk);
  // The context stamped on chunks from now on ("" for none).
  void set_context(std::string context);
  std::string context() const;
  void on_stream_closed(Stream stream, std::string reason);
  void note(NoteLevel level, std::string text);  // logs it and records it
  // Anything else (start, exit). With an output limit, an ExitEvent first writes the cut notes
  // (also logged) and the kept tail.
  void post(TraceEvent event);
  // Masks every later chunk (and captured section) with `rules` before it is recorded.
  void enable_masking(std::shared_ptr<const MaskRules> rules);
  MaskCounts mask_counts() const;
  void flush_masked();  // held-back bytes of every stream, now (before any other event)
  // --max-trace-size: keep at most `limit` bytes of stdout + stderr (output_limit.hpp).
  // Counters still count everything produced. Call before the first chunk.
  void limit_output(std::uint64_t limit);

  // stdout + stderr bytes so far (cheap; for the causal stdin feeder).
  // Counted as recorded (masked), so a replay compares like with like.
  std::uint64_t output_bytes() const noexcept {
    return bytes_[1].load(std::memory_order_relaxed) + bytes_[2].load(std::memory_order_relaxed);
  }
  // Counters so far (bytes/chunks per stream, plus the host's drop counters and high water).
  Counters counters() const;
  const RecordingClock& clock() const noexcept { return clock_; }

 private:
  // `stamped`: the chunk's context is final, even when empty.
  void record(IoChunk chunk, bool stamped = false);
  void mask_and_record(IoChunk chunk, bool stamped);  // with mask_mutex_ held, masking on
  void flush_stream(std::size_t index);               // with mask_mutex_ held, masking on

  TraceWriterHost& host_;
  const RecordingClock& clock_;
  std::array<std::atomic<std::uint64_t>, 3> bytes_{};
  std::array<std::atomic<std::uint64_t>, 3> chunks_{};
  mutable std::mutex context_mutex_;
  std::string context_;

  struct Masking {
    std::shared_ptr<const MaskRules> rules;
    std::array<std::optional<StreamMasker>, 3> streams;
    // Stream, time, producer, context and order fields of each held tail (an ordered chunk's
    // held tail lies within the writes [seq, seq + writes) of its last chunk).
    std::array<IoChunk, 3> last;
    std::array<bool, 3> stamped;  // whether last[i] came through on_ordered_chunk (value-
                                  // initialised by emplace(): clang needs no initialiser here)
    MaskCounts captured;          // in captured sections
  };
  mutable std::mutex mask_mutex_;  // taken before context_mutex_, never after
  std::optional<Masking> masking_;
  std::mutex limiter_mutex_;
  std::unique_ptr<OutputLimiter> limiter_;  // set once, before the first chunk
};

}  // namespace ctrecord
