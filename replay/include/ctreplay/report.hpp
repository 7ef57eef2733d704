// Replay verdicts and their machine-readable reports: JSON (--json) and JUnit XML (--junit,
// one testsuite per trace, one testcase per trace; failure text = the diff, bytes XML 1.0
// forbids escaped as \xNN).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
};

std::string outcome_name(Outcome outcome);              // "same", "regression", "error"
std::string summary_line(const TraceVerdict& verdict);  // one line per trace
std::string json_report(const std::vector<TraceVerdict>& verdicts);
std::string junit_report(const std::vector<TraceVerdict>& verdicts);

}  // namespace ctreplay
