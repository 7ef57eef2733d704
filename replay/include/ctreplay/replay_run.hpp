// Replaying one trace: re-run the recorded command (or another one) through the same capture
// engine with the recorded stdin fed back, record that run into a new trace, and compare the
// two recordings after normalisation. compare_traces() is the same comparison for two
// existing recordings (`ctest-trace diff`).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/std_fds.hpp"
#include "ctrecord/stdin_feeder.hpp"
#include "ctreplay/differ.hpp"
#include "ctreplay/loaded_trace.hpp"
#include "ctreplay/normalizer.hpp"
#include "ctreplay/report.hpp"

namespace ctreplay {

struct ReplayOptions {
  // Unset: causal for a recording made on a pty (keystrokes wait for the prompt they
  // answered), all at once otherwise.
  std::optional<ctrecord::FeedMode> stdin_mode;
  double speed = 1.0;
  std::chrono::milliseconds causal_timeout{10000};
  std::chrono::milliseconds timeout{600000};
  std::optional<std::string> cwd;
  bool env_from_trace = false;
  std::vector<std::string> env;      // NAME=VALUE, wins over recorded values
  std::vector<std::string> command;  // instead of the recorded argv
  bool merged = false;
  NormalizerOptions normalize;
  DiffOptions diff;
  bool update = false;
  bool keep_old = false;
  // Keep the replay's own trace of a regressed (not updated) trace in this folder, as
  // <trace path with '/' -> '_'>.replayed.ctrace (TraceVerdict::replayed_trace).
  std::optional<std::string> keep_regressed_in;
  // Last say on the environment of the command about to run (argv, NAME=VALUE entries):
  // ctest-replay activates the pytest plugin here, as ctest-record does. Empty: none.
  std::function<std::vector<std::string>(const std::vector<std::string>& argv,
                                         std::vector<std::string> env)>
      adjust_environment;
  // The --order=exact preload shim, asked for only when the recording is an exact-order one
  // (then the replay records its own run in exact order too, so --merged compares write
  // order with write order). Empty: exact recordings replay in read order.
  std::function<std::string()> order_shim;
};

// Variables whose recorded values are restored for a replay (they change output formatting).
bool is_formatting_variable(const std::string& name);

// The environment a replay of `trace` runs with (see docs/cli.md).
std::vector<std::string> replay_environment(const LoadedTrace& trace, const ReplayOptions& options);

// Never throws for the trace's own problems: they become Outcome::Error verdicts. Throws
// ctrecord::UsageError for bad normaliser options.
TraceVerdict replay_trace(const std::string& trace_path, const ReplayOptions& options,
                          const ctrecord::StdFdState& std_fds);

// Compares two recordings (expected first). Throws EnvironmentError for unusable traces.
TraceVerdict compare_traces(const LoadedTrace& expected, const LoadedTrace& actual,
                            const Normalizer& normalizer, const DiffOptions& diff, bool merged);

// Per-test comparison (both traces have tests): added, removed, outcome and output changes,
// output normalised like whole streams. Recorded order first, then added tests.
std::vector<TestComparison> compare_tests(const LoadedTrace& expected, const LoadedTrace& actual,
                                          const Normalizer& normalizer, const DiffOptions& diff);

// How much output (stdout + stderr bytes) the replayed command may write before it is killed
// and the verdict is a regression: max(2 x recorded, recorded + kReplayOutputMargin), where
// recorded is what the command wrote when recorded (the end counters, cut bytes included);
// for a trace that was not cut, at most kMaxLoadedStreamBytes (what a comparison loads).
inline constexpr std::uint64_t kReplayOutputMargin = 16ull << 20;
std::uint64_t replay_output_limit(const LoadedTrace& expected);

// cwd, HOME and TMPDIR of a recording (for the paths normaliser).
RunFacts run_facts(const LoadedTrace& trace);

// `options` for comparing these two recordings: `terminal` (the progress normaliser on by
// default) when either was recorded on a terminal.
NormalizerOptions normalizer_options_for(NormalizerOptions options, const LoadedTrace& expected,
                                         const LoadedTrace& actual);

std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace ctreplay
