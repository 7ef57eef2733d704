// Shared by the ctest-trace subcommands: option parsing (Boost.Program_options), opening a
// trace and reporting why reading stopped.
#include "ctharness/trace_cli_options.hpp"

#include <sstream>

#include "ctharness/parse_options.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"

namespace po = boost::program_options;

namespace ctharness {

std::string trace_command_help(const po::options_description& options, const std::string& usage) {
  std::ostringstream out;
  out << "usage: " << usage << "\n" << options;
  return out.str();
}

int print_trace_command_help(StdoutWriter& out, const po::options_description& options,
                             const std::string& usage) {
  out.write(trace_command_help(options, usage));
  out.flush();
  return kTraceExitOk;
}

TraceCommandLine parse_trace_command_line(const std::vector<std::string>& args,
                                          po::options_description options,
                                          const std::string& usage) {
  options.add_options()("help,h", "show this help");
  TraceCommandLine result;
  result.options = parse_options(args, options, {}, "trace", "usage: " + usage);
  result.help = result.options.count("help") > 0;
  if (result.help) return result;
  const auto traces = result.options.count("trace")
                          ? result.options["trace"].as<std::vector<std::string>>()
                          : std::vector<std::string>{};
  if (traces.size() != 1) {
    throw ctrecord::UsageError(std::string(traces.empty() ? "missing the TRACE argument"
                                                          : "expected exactly one TRACE file") +
                               " (usage: " + usage + ")");
  }
  result.trace_path = traces.front();
  return result;
}

std::unique_ptr<ctrecord::TraceReader> open_trace(const std::string& path) {
  try {
    return std::make_unique<ctrecord::TraceReader>(path);
  } catch (const ctrecord::TraceFormatError& e) {
    throw UnreadableTrace(path + ": " + e.what());
  }
}

int report_trace_end(const ctrecord::TraceReader& reader) {
  if (reader.complete()) return kTraceExitOk;
  if (reader.error()) {
    ctrecord::log::error("{}: {}", reader.path(), reader.error()->what());
  } else {
    ctrecord::log::error("{}: the trace is incomplete", reader.path());
  }
  return kTraceExitDamaged;
}

}  // namespace ctharness
