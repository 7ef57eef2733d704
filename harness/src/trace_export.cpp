// `ctest-trace export --format asciicast|text [-o FILE] TRACE`: a recording in another format,
// streamed from the reader: asciicast v2 for asciinema's player (AsciicastEncoder), or the
// output as plain text (export_text) (docs/cli.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "ctharness/asciicast.hpp"
#include "ctharness/stdout_writer.hpp"
#include "ctharness/text_export.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/unique_fd.hpp"

namespace po = boost::program_options;

namespace ctharness {

int run_trace_export(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace export --format asciicast|text [-o FILE] TRACE";
  po::options_description options("options");
  options.add_options()("format,f", po::value<std::string>(),
                        "asciicast (v2, for asciinema) or text (output without escape "
                        "sequences)")("output,o", po::value<std::string>(),
                                      "write to FILE (created or truncated) instead of stdout");
  const auto cmd = parse_trace_command_line(args, options, usage);
  if (cmd.help) {
    StdoutWriter out;
    return print_trace_command_help(out, options, usage);
  }
  if (!cmd.options.count("format")) {
    throw ctrecord::UsageError("missing --format asciicast|text (usage: " + usage + ")");
  }
  const std::string format = cmd.options["format"].as<std::string>();
  if (format != "asciicast" && format != "text") {
    throw ctrecord::UsageError("--format: unknown format '" + format + "'; use asciicast or text");
  }
  auto reader = open_trace(cmd.trace_path);
  ctrecord::UniqueFd file;
  std::string name = "stdout";
  if (cmd.options.count("output")) {
    name = cmd.options["output"].as<std::string>();
    file = ctrecord::UniqueFd(::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file) throw ctrecord::EnvironmentError("open", name, errno);
  }
  StdoutWriter out(file ? file.get() : 1, name);
  if (format == "asciicast") {
    export_asciicast(*reader, out);
  } else {
    export_text(*reader, out);
  }
  out.flush();
  if (file && ::close(file.release()) != 0) {
    throw ctrecord::EnvironmentError("close", name, errno);
  }
  return report_trace_end(*reader);
}

}  // namespace ctharness
