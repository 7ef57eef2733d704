// Replay verdicts and their machine-readable reports: JSON (--json) and JUnit XML (--junit,
// one testsuite per trace; one testcase per trace, or when both runs reported tests one per
// test plus one for the whole run; failure text = the diff, bytes XML 1.0 forbids escaped as
// \xNN).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctreplay/differ.hpp"

namespace ctreplay {

enum class Outcome { Same, Regression, Error };

struct ExitComparison {
  int expected_status = 0;
  int actual_status = 0;
  bool same = true;
  bool timed_out = false;  // the replay was killed by --timeout
};

// One test of a trace whose recording and replay both reported tests (control channel).
enum class TestChange { Same, Changed, Added, Removed };

struct TestComparison {
  std::string id;
  TestChange change = TestChange::Same;
  std::optional<std::string> recorded_outcome;  // unset: added
  std::optional<std::string> replayed_outcome;  // unset: removed
  std::uint64_t recorded_duration_ns = 0;
  std::uint64_t replayed_duration_ns = 0;
  // The differing parts of the test's output after normalisation: "stdout", "stderr" (its
  // console bytes), "captured SECTION" (a framework-captured section). Same parts are left out.
  std::vector<StreamComparison> differences;

  bool outcome_changed() const {
    return recorded_outcome && replayed_outcome && *recorded_outcome != *replayed_outcome;
  }
};

struct TraceVerdict {
  std::string trace;    // path
  std::string command;  // shell-quoted command that was replayed
  Outcome outcome = Outcome::Same;
  std::string error;  // why it could not be replayed (Outcome::Error)
  std::vector<StreamComparison> streams;
  ExitComparison exit;
  // First divergence over all streams: stream, byte offset, and the time offset in the
  // recording of the chunk that holds it (ns since the recording started).
  std::optional<std::string> first_stream;
  std::optional<std::uint64_t> first_byte_offset;
  std::optional<std::uint64_t> first_time_ns;
  std::vector<std::string> normalizers;  // in effect
  std::vector<std::string> notes;        // e.g. "causal stdin timed out at chunk 3; fed the rest"
  double seconds = 0;                    // wall time of the replay
  bool updated = false;                  // --update replaced the trace with this run
  int interrupted_by = 0;                // the replay was stopped by this signal (Ctrl-C, ...)
  // Per-test comparison: only when both the recording and the replay reported tests. Recorded
  // tests in recorded order, then added ones in replayed order.
  bool tests_compared = false;
  std::vector<TestComparison> tests;
  std::string tests_note;  // why tests were not compared although one side has them
  std::optional<std::string> replayed_trace;  // the replay's own trace, kept (--artifact-dir)
};

std::string outcome_name(Outcome outcome);        // "same", "regression", "error"
std::string test_change_name(TestChange change);  // "same", "changed", "added", "removed"
// "outcome passed -> failed; stdout differs at line 3; captured stdout call differs" ...
std::string test_change_reason(const TestComparison& test);
std::string summary_line(const TraceVerdict& verdict);  // one line per trace
std::string json_report(const std::vector<TraceVerdict>& verdicts);
std::string junit_report(const std::vector<TraceVerdict>& verdicts);

// `text` escaped for XML 1.0 (character data, or an attribute value when `attribute`); bytes
// XML forbids become the literal text \xNN.
std::string xml_escape(std::string_view text, bool attribute);

}  // namespace ctreplay
