// LoadedTrace: one recording read fully into memory for comparison: each stream's bytes with
// the recording time of every chunk, the merged order (and whether it is exact), stdin as a
// feed plan, start and exit, and the tests a framework integration reported (their console
// output as ranges of the streams, their captured sections as bytes).
// Refuses incomplete or damaged traces (a replay against half a recording proves nothing), and
// traces holding more than kMaxLoadedStreamBytes: both found by a streaming pass (the trace
// reader's own memory bound) before anything is kept.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/output_limit.hpp"
#include "ctrecord/record_session.hpp"
#include "ctrecord/stdin_feeder.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctreplay/order_stats.hpp"
#include "ctreplay/test_records.hpp"

namespace ctreplay {

// The most stream bytes (stdin + stdout + stderr) a comparison loads from one trace; the
// loaded trace takes about as much memory again for its bookkeeping.
inline constexpr std::uint64_t kMaxLoadedStreamBytes = 1ull << 30;

// One output chunk of the merged order: `size` bytes at `offset` of streams[stream], and where
// its place in that order comes from.
struct OutputPiece {
  ctrecord::Stream stream = ctrecord::Stream::Stdout;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  ctrecord::ChunkOrder order = ctrecord::ChunkOrder::Read;
};

struct ChunkSpan {
  std::uint64_t end_offset = 0;  // offset just past this chunk in its stream
  std::uint64_t t_ns = 0;
};

struct LoadedTrace {
  std::string path;
  ctrecord::StartEvent start;
  std::optional<ctrecord::ExitEvent> exit;
  std::array<std::string, 3> streams;  // indexed by ctrecord::Stream
  std::array<std::vector<ChunkSpan>, 3> spans;
  // stdout/stderr chunks in trace order: the order the recorder read them, or for an exact-order
  // recording (--order=exact) the order they were written, unsequenced chunks where they were
  // read.
  std::vector<OutputPiece> output_order;
  OrderStats order;  // counts of output_order by ChunkOrder
  std::vector<ctrecord::RecordedInput> stdin_chunks;
  std::vector<TestRecord> tests;  // empty: no test events (no integration reported any)
  // Set when the command ran on a pseudo-terminal (ctest-record --tty): mode, size, $TERM.
  std::optional<ctrecord::TerminalEvent> terminal;
  // Window-size changes in recorded order, each with the output bytes recorded before it.
  std::vector<ctrecord::ScheduledResize> resizes;
  // Set when the recording masked its output: the --redact patterns it used (a replay masks
  // its own recording the same way, so masked compares with masked). Unset: not masked.
  std::optional<std::vector<std::string>> redact_patterns;
  // ctest-record --max-trace-size cut these output ranges out (from the trace's notes).
  std::vector<ctrecord::OutputCut> cuts;
  // stdout + stderr bytes the command wrote, by the end event's counters (cut ones included).
  std::uint64_t produced_output = 0;

  // Recording time of the chunk holding line `line` (1-based) of `stream`.
  std::uint64_t time_of_line(ctrecord::Stream stream, std::uint64_t line) const;
  std::string env_value(const std::string& name, bool* found = nullptr) const;
  // A test's console bytes of one stream.
  std::string test_output(const TestRecord& test, ctrecord::Stream stream) const;
};

// Throws ctrecord::EnvironmentError (unreadable, incomplete or damaged trace).
LoadedTrace load_trace(const std::string& path);

}  // namespace ctreplay
