// `ctest-record --artifact-dir DIR`: one folder CI can upload as is, holding the trace,
// summary.json (what ran, how it ended, counters, the tests with their outcomes) and junit.xml
// (one testsuite for the run; one testcase per reported test, or one for the whole command).
// Written after the command ends, also when it failed. See docs/cli.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ctharness {

inline constexpr const char* kArtifactSummaryFile = "summary.json";
inline constexpr const char* kArtifactJunitFile = "junit.xml";

// Writes a whole file (created with mode 0644, or truncated). Throws EnvironmentError naming
// the path and the errno text.
void write_artifact_file(const std::string& path, const std::string& text);

struct ArtifactTracePath {
  std::string path;
  bool default_name = false;  // created like a default path (O_EXCL, never overwrites)
};

// Where the trace goes with --artifact-dir DIR, after creating DIR (and parents) if missing:
// no -o: DIR/<the default name, <program>-<UTC time>-<pid>.ctrace>; a relative -o PATH:
// DIR/PATH (its folders created); an absolute -o PATH: PATH itself. Throws EnvironmentError.
ArtifactTracePath prepare_artifact_trace_path(const std::string& dir,
                                              const std::optional<std::string>& output,
                                              const std::string& argv0);

struct RecordArtifactsRun {
  std::string dir;
  std::string trace_path;
  std::vector<std::string> command;
  int status = 0;                          // the command's status (as ctest-record reports it)
  std::optional<std::string> trace_error;  // the trace was left incomplete
};

// Reads the finished trace back and writes DIR/summary.json and DIR/junit.xml. Throws
// EnvironmentError when a file cannot be written.
void write_record_artifacts(const RecordArtifactsRun& run);

// The same, for ctest-record's main: on failure logs an error naming the file and the reason
// and returns `own_failure` (125) when `exit_status` was 0; otherwise returns `exit_status`
// (a failing command's status wins, as for an incomplete trace).
int finish_record_artifacts(const RecordArtifactsRun& run, int exit_status, int own_failure);

// The two documents, from a trace on disk (for the functions above and the tests).
std::string record_summary_json(const RecordArtifactsRun& run);
std::string record_junit_xml(const RecordArtifactsRun& run);

}  // namespace ctharness
