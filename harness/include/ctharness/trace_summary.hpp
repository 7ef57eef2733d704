// TraceSummary: what `ctest-trace info` reports, gathered by reading a whole trace once
// (start/exit/end records, the terminal of a pty recording and its resizes, per-stream byte and
// chunk counts from the io events actually read, their order (read or exact), notes, the tests a
// framework integration reported with their output sizes, completeness and where reading stopped).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctharness/json_writer.hpp"
#include "ctrecord/output_limit.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctreplay/order_stats.hpp"
#include "ctreplay/test_records.hpp"

namespace ctharness {

struct StreamTotals {
  std::uint64_t bytes = 0;
  std::uint64_t chunks = 0;
};

struct TraceSummary {
  std::string path;
  std::uint32_t format_version = 0;
  bool complete = false;
  std::optional<std::string> error;  // why reading stopped early, with the offset
  std::optional<std::uint64_t> error_offset;
  std::uint64_t frames = 0;
  std::uint64_t file_size = 0;
  std::uint64_t events = 0;
  std::optional<ctrecord::StartEvent> start;
  std::optional<ctrecord::ExitEvent> exit;
  std::optional<ctrecord::EndEvent> end;
  std::optional<ctrecord::TerminalEvent> terminal;  // the `opened` event of a pty recording
  std::uint64_t resizes = 0;                        // `resized` events
  std::array<StreamTotals, ctrecord::kStreamCount> streams{};
  ctreplay::OrderStats order;  // where the merged order of stdout and stderr comes from
  std::vector<ctrecord::NoteEvent> notes;
  std::vector<ctrecord::OutputCut> cuts;    // output cut by --max-trace-size (from the notes)
  std::vector<ctreplay::TestRecord> tests;  // sizes only, no bytes; empty: no test events
};

// Reads every remaining event of `reader`.
TraceSummary summarize_trace(ctrecord::TraceReader& reader);

// Into an open object: "test_counts" {outcome: n, ...} and "tests" [{id, outcome, finished,
// duration_ns, started_ns, runs, output_bytes {stdout, stderr}, captured_bytes, captured
// [{section, bytes}]}, ...] (shared by `ctest-trace info --json` and the record artifacts).
void write_tests_json(JsonWriter& json, const std::vector<ctreplay::TestRecord>& tests);

// Into an open object, the parts of a summary every JSON report shares (`ctest-trace info
// --json`, the record artifacts' summary.json): "streams" {stdin|stdout|stderr: {bytes,
// chunks}}, "end" (the end event or null), "notes" [{level, text}], and "cuts" [{stream,
// from, to, bytes, limit}] (output cut by --max-trace-size; empty when nothing was).
void write_streams_json(JsonWriter& json, const TraceSummary& summary);
void write_end_json(JsonWriter& json, const TraceSummary& summary);
void write_notes_json(JsonWriter& json, const TraceSummary& summary);
// "terminal": null for a pipe recording, else {"mode", "merged", "term", "rows", "cols",
// "xpixel", "ypixel", "resizes"}.
void write_terminal_json(JsonWriter& json, const TraceSummary& summary);
// "order": {"mode": "read"|"exact", "exact_chunks", "exact_bytes", "writes",
// "unsequenced_chunks", "unsequenced_bytes", "read_chunks", "read_bytes", "out_of_sequence"}
// (stdout and stderr chunks; mode "exact" when any carries exact-order fields).
void write_order_json(JsonWriter& json, const TraceSummary& summary);
// The `order:` line of `ctest-trace info`, or nothing when it says nothing worth a line (a
// read-order trace whose output is in one stream or none).
std::optional<std::string> order_text(const TraceSummary& summary);

// Text lines for `ctest-trace info`: {"tests", "3 (2 passed, 1 failed)"}, then one
// {"test", "passed   0.012 s  ID  (stdout 10 B, stderr 0 B, captured 12 B)"} per test.
std::vector<std::pair<std::string, std::string>> tests_text(
    const std::vector<ctreplay::TestRecord>& tests);

}  // namespace ctharness
