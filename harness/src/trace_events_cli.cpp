// `ctest-trace events TRACE`: every event as one JSON object per line (JSON Lines).
#include <string>
#include <vector>

#include "ctharness/json_writer.hpp"
#include "ctharness/stdout_writer.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctharness/trace_json.hpp"

namespace po = boost::program_options;

namespace ctharness {

int run_trace_events(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace events TRACE";
  po::options_description options("options");
  const auto cmd = parse_trace_command_line(args, options, usage);
  StdoutWriter out;
  if (cmd.help) return print_trace_command_help(out, options, usage);
  auto reader = open_trace(cmd.trace_path);
  while (auto event = reader->next()) {
    JsonWriter json(out.buffer());
    write_event_json(json, *event);
    out.buffer() += '\n';
    out.maybe_flush();
  }
  out.flush();
  return report_trace_end(*reader);
}

}  // namespace ctharness
