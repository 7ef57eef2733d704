// The ctest-replay command line: options, help text, trace discovery, printing verdicts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ctreplay/replay_run.hpp"

namespace ctharness {

struct ReplayCliOptions {
  ctreplay::ReplayOptions replay;
  std::vector<std::string> inputs;  // traces or folders
  std::optional<std::string> json_path;
  std::optional<std::string> junit_path;
  std::optional<std::string> artifact_dir;  // summary.json, junit.xml, regressed replays' traces
  unsigned jobs = 0;                        // 0: number of cores
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
  bool list_normalizers = false;
  std::optional<std::string> verdict_out;   // internal: a worker writes its verdict here
  std::optional<std::size_t> worker_index;  // internal: a worker replays only this trace
};

// --ansi=keep|strip (ctest-replay and ctest-trace diff): strip turns the `ansi` normaliser on,
// keep turns it off (also when a rules file names it). Throws ctrecord::UsageError otherwise.
void apply_ansi_option(const std::string& value, ctreplay::NormalizerOptions& normalize);
inline constexpr const char* kAnsiOptionHelp =
    "keep (default): escape sequences (colours, cursor moves) count; strip: remove them from "
    "both sides before comparing";

// Throws ctrecord::UsageError naming the bad option.
ReplayCliOptions parse_replay_args(int argc, const char* const* argv);
std::string replay_help_text();

// Every .ctrace under the folders (recursively, sorted) and every file named directly.
std::vector<std::string> expand_trace_inputs(const std::vector<std::string>& inputs);

// What a user reads for one trace: the summary line, then for a regression the first
// divergence, the exit status change and each differing stream's diff.
std::string describe_verdict(const ctreplay::TraceVerdict& verdict, bool details);
// Just the part after the summary line ("" for a plain same verdict).
std::string verdict_details(const ctreplay::TraceVerdict& verdict);

// --artifact-dir DIR: creates DIR (and its parents) if missing. Throws EnvironmentError.
void prepare_artifact_dir(const std::string& dir);
// Writes DIR/summary.json (the JSON report) and DIR/junit.xml. Throws EnvironmentError naming
// the path and the errno text.
void write_replay_artifacts(const std::string& dir,
                            const std::vector<ctreplay::TraceVerdict>& verdicts);

// A worker's verdict, passed to the parent process through a file (cereal, binary).
void save_verdict(const ctreplay::TraceVerdict& verdict, const std::string& path);
ctreplay::TraceVerdict load_verdict(const std::string& path);

}  // namespace ctharness
