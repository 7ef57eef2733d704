// The ctest-trace command line: `info`, `cat`, `events`, `diff`, `play` and `export` over
// .ctrace files (docs/cli.md).
// trace_cli_main() parses the subcommand and maps errors to exit codes; each subcommand lives
// in its own file (trace_info.cpp, trace_cat.cpp, trace_events_cli.cpp, trace_diff.cpp,
// trace_play.cpp, trace_export.cpp).
#pragma once

#include <string>
#include <vector>

namespace ctharness {

// Exit codes of ctest-trace (docs/cli.md).
inline constexpr int kTraceExitOk = 0;
inline constexpr int kTraceExitDamaged = 1;  // incomplete or damaged trace
inline constexpr int kTraceExitUsage = 2;
inline constexpr int kTraceExitEnvironment = 3;

int trace_cli_main(int argc, char** argv);

// Subcommands: `args` are the words after the subcommand name. They throw UsageError,
// EnvironmentError or TraceFormatError (header problems); they return kTraceExitDamaged after
// printing everything readable when the trace stops early.
int run_trace_info(const std::vector<std::string>& args);
int run_trace_cat(const std::vector<std::string>& args);
int run_trace_events(const std::vector<std::string>& args);
int run_trace_diff(const std::vector<std::string>& args);
int run_trace_play(const std::vector<std::string>& args);
int run_trace_export(const std::vector<std::string>& args);

}  // namespace ctharness
