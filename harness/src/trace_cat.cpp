// `ctest-trace cat [--stream NAME]... TRACE`: the exact recorded bytes of the chosen streams
// (default stdout and stderr), in recorded order, raw to stdout.
#include <array>
#include <string>
#include <vector>

#include "ctharness/stdout_writer.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctrecord/errors.hpp"

namespace po = boost::program_options;

namespace ctharness {

int run_trace_cat(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace cat [--stream stdin|stdout|stderr]... TRACE";
  po::options_description options("options");
  options.add_options()("stream,s", po::value<std::vector<std::string>>()->composing(),
                        "stream to print: stdin, stdout or stderr (repeatable; default stdout "
                        "and stderr)");
  const auto cmd = parse_trace_command_line(args, options, usage);
  StdoutWriter out;
  if (cmd.help) return print_trace_command_help(out, options, usage);
  std::array<bool, ctrecord::kStreamCount> selected{false, true, true};
  if (cmd.options.count("stream")) {
    selected = {};
    for (const auto& name : cmd.options["stream"].as<std::vector<std::string>>()) {
      const auto stream = ctrecord::parse_stream(name);
      if (!stream) {
        throw ctrecord::UsageError("--stream: unknown stream '" + name +
                                   "'; use stdin, stdout or stderr");
      }
      selected[static_cast<std::size_t>(*stream)] = true;
    }
  }
  auto reader = open_trace(cmd.trace_path);
  while (auto event = reader->next()) {
    const auto* chunk = std::get_if<ctrecord::IoChunk>(&*event);
    if (chunk != nullptr && selected[static_cast<std::size_t>(chunk->stream)]) {
      out.write(chunk->bytes);
    }
  }
  out.flush();
  return report_trace_end(*reader);
}

}  // namespace ctharness
