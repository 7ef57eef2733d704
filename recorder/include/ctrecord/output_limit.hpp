// --max-trace-size: bounds the output bytes a trace keeps. The first half of the limit (the
// head) is written as it comes; the most recent output (the tail, at most half the limit and
// kMaxTailBytes) waits in a bounded ring; what falls between is cut. When the recording ends
// the cut is said in one note per stream, in a fixed form that readers parse back
// (parse_cut_note), and the tail follows. stdin is never cut (a replay needs all of it).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/trace_events.hpp"

namespace ctrecord {

// The tail ring's cap whatever the limit: what it costs in memory (plus per-chunk overhead,
// counted in the cap too).
inline constexpr std::uint64_t kMaxTailBytes = 64ull << 20;
// The smallest limit (a few KiB of head and tail at least).
inline constexpr std::uint64_t kMinTraceSizeLimit = 4096;

// One stream's cut: bytes [from, to) of the stream's output are not in the trace.
struct OutputCut {
  std::uint64_t limit = 0;  // --max-trace-size, bytes
  Stream stream = Stream::Stdout;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::uint64_t bytes() const noexcept { return to - from; }
  bool operator==(const OutputCut&) const = default;
};

// "output cut by --max-trace-size 1048576: 123 bytes of stdout cut between offsets 524288
// and 524411"; parse_cut_note reads exactly that back (nullopt for any other note).
std::string cut_note_text(const OutputCut& cut);
std::optional<OutputCut> parse_cut_note(std::string_view text);

class OutputLimiter {
 public:
  explicit OutputLimiter(std::uint64_t limit);

  // What of `chunk` goes into the trace now (nullopt: nothing yet); the rest is held in the
  // tail ring, from which the oldest bytes are cut when it is full. Not thread-safe.
  std::optional<IoChunk> admit(IoChunk chunk);
  // The cut notes (stamped `now_ns`, or with the first tail chunk's time) and the held tail,
  // in order; empties the ring. Nothing when nothing was cut and nothing is held.
  std::vector<TraceEvent> finish(std::uint64_t now_ns);
  const std::vector<OutputCut>& cuts() const noexcept { return cuts_; }

 private:
  struct Held {
    IoChunk chunk;
    std::uint64_t offset = 0;  // of chunk.bytes in its stream
  };
  static std::uint64_t cost(const Held& held) noexcept;
  void cut_front();  // until the tail is within its cap
  void record_cut(Stream stream, std::uint64_t from, std::uint64_t to);

  std::uint64_t limit_;
  std::uint64_t head_left_;
  std::uint64_t tail_cap_;
  std::uint64_t tail_cost_ = 0;
  std::uint64_t offsets_[3] = {0, 0, 0};  // bytes produced so far per stream
  std::deque<Held> tail_;
  std::vector<OutputCut> cuts_;
};

}  // namespace ctrecord
