// Tests of a recording: what a test-framework integration reported over the control channel
// (docs/control-protocol.md) as `test` and `captured` events, with each test's share of the
// console output (the io chunks whose context is its id). Shared by `ctest-trace info`, the
// ctest-record artifacts and ctest-replay's per-test comparison.
//
// One record per test id, in the order of first appearance (normally its first `started`
// event). A test started again (a rerun) keeps one record: its output accumulates, its outcome
// is the last one reported and its duration is the sum. A test whose last start has no
// matching finish (the command crashed or was killed mid-test) is "unfinished".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ctrecord/trace_events.hpp"

namespace ctreplay {

inline constexpr std::string_view kUnfinishedOutcome = "unfinished";
// Never started, or finished with an empty outcome.
inline constexpr std::string_view kUnknownOutcome = "unknown";

struct CapturedSection {
  std::string section;     // "stdout call", "log setup", ...
  std::uint64_t size = 0;  // bytes, also when the bytes themselves were not kept
  std::string bytes;       // all of this section's bytes, in order (when kept)
};

struct TestRecord {
  std::string id;
  std::string outcome;  // as reported ("passed", "failed", ...), "unfinished" or "unknown"
  bool finished = false;
  // The framework's duration when it gave one, otherwise the recording time between the
  // started and finished events (0 for an unfinished test).
  std::uint64_t duration_ns = 0;
  std::uint64_t started_ns = 0;                // recording time of the first start
  std::uint32_t runs = 0;                      // started events (more than 1: rerun)
  std::array<std::uint64_t, 3> output_size{};  // console bytes per ctrecord::Stream
  std::array<std::string, 3> output;           // console bytes per stream (when kept)
  // Where those bytes lie in the whole stream: {offset, size}, adjacent chunks merged.
  std::array<std::vector<std::pair<std::uint64_t, std::uint64_t>>, 3> output_ranges;
  std::vector<CapturedSection> captured;  // by section, in order of first appearance

  std::uint64_t captured_size() const;
  const CapturedSection* find_captured(std::string_view section) const;
};

// Feeds on events in trace order. Sizes and output ranges are always kept; the bytes of the
// console output and of captured sections only when asked for (ctest-trace info over a big
// trace needs neither; a replay takes console output from the whole streams by range).
class TestRecordBuilder {
 public:
  explicit TestRecordBuilder(bool keep_output = true, bool keep_captured = true)
      : keep_output_(keep_output), keep_captured_(keep_captured) {}
  void add(const ctrecord::TraceEvent& event);
  void add(const ctrecord::IoChunk& chunk);
  void add(const ctrecord::TestEvent& test);
  void add(const ctrecord::CapturedEvent& captured);
  // True once any test or captured event was seen.
  bool any() const { return !records_.empty(); }
  std::vector<TestRecord> finish();

 private:
  TestRecord& record(const std::string& id, std::uint64_t t_ns);

  bool keep_output_;
  bool keep_captured_;
  std::array<std::uint64_t, 3> stream_offset_{};
  std::vector<TestRecord> records_;
  std::unordered_map<std::string, std::size_t> index_;
  struct Timing {
    std::optional<std::uint64_t> open_since;  // t_ns of a start not finished yet
    std::uint64_t framework_ns = 0;           // sum of the framework's durations
    std::uint64_t recorded_ns = 0;            // sum of started..finished recording times
  };
  std::vector<Timing> timing_;  // parallel to records_
};

// Every test of a trace file (throws what TraceReader throws; stops quietly at damage).
std::vector<TestRecord> read_test_records(const std::string& trace_path, bool keep_bytes);

// A test's console output of one stream, cut out of that whole stream by its ranges.
std::string test_output(const TestRecord& test, ctrecord::Stream stream,
                        std::string_view whole_stream);

// Outcomes counted, in a stable order (the usual ones first, then others alphabetically).
std::vector<std::pair<std::string, std::uint64_t>> count_outcomes(
    const std::vector<TestRecord>& tests);

// How an outcome shows in JUnit.
enum class JunitKind { Passed, Failure, Error, Skipped };
// failed -> Failure; error, unfinished -> Error; skipped, xfailed -> Skipped (as pytest's own
// JUnit report has them); passed, xpassed and anything else -> Passed.
JunitKind junit_kind(std::string_view outcome);

struct JunitName {
  std::string classname;
  std::string name;
};
// classname/name from a test id: pytest "tests/test_a.py::TestX::test_y[1]" ->
// ("tests.test_a.TestX", "test_y[1]"); unittest "pkg.mod.Class.test_x" -> ("pkg.mod.Class",
// "test_x"); gtest "Suite.Name" -> ("Suite", "Name"); anything else -> (fallback, id).
JunitName junit_name(const std::string& id, const std::string& fallback_classname);

}  // namespace ctreplay
