// Glue shared by the ctest-trace subcommands: Boost.Program_options parsing of one
// subcommand's words (parser errors become UsageError naming the flag; exactly one TRACE path),
// opening a trace, and reporting why reading stopped.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctharness/stdout_writer.hpp"
#include "ctrecord/trace_reader.hpp"

namespace ctharness {

struct TraceCommandLine {
  boost::program_options::variables_map options;
  std::string trace_path;
  bool help = false;  // -h/--help was given: print the usage and exit 0
};

// `options` must not contain "help" or "trace" (added here). `usage` is the synopsis line
// printed with --help ("ctest-trace info [--json] TRACE").
TraceCommandLine parse_trace_command_line(const std::vector<std::string>& args,
                                          boost::program_options::options_description options,
                                          const std::string& usage);

// Text for --help: the synopsis and the option descriptions.
std::string trace_command_help(const boost::program_options::options_description& options,
                               const std::string& usage);

// Writes that help to `out`, flushes, and returns the exit status for it (0).
int print_trace_command_help(StdoutWriter& out,
                             const boost::program_options::options_description& options,
                             const std::string& usage);

// The trace's header is unusable (not a trace, unsupported version): exit status 1.
struct UnreadableTrace : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Opens `path`; throws UnreadableTrace ("PATH: at byte offset N: ...") or EnvironmentError.
std::unique_ptr<ctrecord::TraceReader> open_trace(const std::string& path);

// After reading to the end: logs why reading stopped early, if it did ("PATH: at byte offset
// N: ..."), and returns the exit status (0 complete, 1 incomplete or damaged).
int report_trace_end(const ctrecord::TraceReader& reader);

}  // namespace ctharness
