// ctest-trace entry point: picks the subcommand and maps errors to the documented exit codes
// (0 ok, 1 incomplete or damaged trace, 2 usage, 3 environment). Errors are logged through
// ctrecord::log; results go to stdout. SIGPIPE is ignored so that a closed stdout comes back
// as EPIPE; the command then stops quietly and dies of SIGPIPE, as cat(1) would.
#include "ctharness/trace_cli.hpp"

#include <csignal>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "ctharness/stdout_writer.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/fd_io.hpp"
#include "ctrecord/log.hpp"

#ifndef CTR_VERSION
#define CTR_VERSION "unknown"
#endif

namespace ctharness {

namespace {

constexpr std::string_view kUsage =
    "usage: ctest-trace info [--json] TRACE\n"
    "       ctest-trace cat [--stream stdin|stdout|stderr]... TRACE\n"
    "       ctest-trace events TRACE\n"
    "       ctest-trace diff [--merged] [--normalize R] [--ignore-lines RE] [--no-normalize N] A "
    "B\n"
    "       ctest-trace play [--speed X] [--max-wait S] TRACE\n"
    "       ctest-trace export --format asciicast|text [-o FILE] TRACE\n"
    "\n"
    "  info    metadata, exit status, per-stream sizes and completeness (--json: one object)\n"
    "  cat     the exact recorded bytes of the chosen streams (default stdout and stderr)\n"
    "  events  one JSON object per event per line\n"
    "  diff    compare two recordings with ctest-replay's normalisers and differ (1: differ)\n"
    "  play    the recorded output with its recorded pauses (stdout to stdout, stderr to stderr)\n"
    "  export  asciicast v2 (asciinema's player; \"o\"/\"i\"/\"r\" events) or plain text\n"
    "\n"
    "exit status: 0 ok, 1 trace incomplete or damaged, 2 usage error, 3 cannot read the file\n";

int dispatch(const std::string& command, const std::vector<std::string>& args) {
  if (command == "info") return run_trace_info(args);
  if (command == "cat") return run_trace_cat(args);
  if (command == "events") return run_trace_events(args);
  if (command == "diff") return run_trace_diff(args);
  if (command == "play") return run_trace_play(args);
  if (command == "export") return run_trace_export(args);
  throw ctrecord::UsageError("unknown command '" + command +
                             "'; expected info, cat, events, diff, play or export (see "
                             "ctest-trace --help)");
}

}  // namespace

int trace_cli_main(int argc, char** argv) {
  ctrecord::log::set_program_name("ctest-trace");
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> words(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    if (words.empty()) {
      ctrecord::log::error("missing command; expected info, cat, events, diff, play or export");
      (void)ctrecord::write_all(2, kUsage);
      return kTraceExitUsage;
    }
    const std::string& command = words.front();
    if (command == "-h" || command == "--help" || command == "help") {
      StdoutWriter out;
      out.write(kUsage);
      out.flush();
      return kTraceExitOk;
    }
    if (command == "--version") {
      StdoutWriter out;
      out.write("ctest-trace " CTR_VERSION "\n");
      out.flush();
      return kTraceExitOk;
    }
    return dispatch(command, std::vector<std::string>(words.begin() + 1, words.end()));
  } catch (const StdoutClosed&) {
    die_of_sigpipe();
    return kTraceExitDamaged;  // only reached when SIGPIPE could not be delivered
  } catch (const ctrecord::UsageError& e) {
    ctrecord::log::error("{}", e.what());
    return kTraceExitUsage;
  } catch (const ctrecord::EnvironmentError& e) {
    ctrecord::log::error("{}", e.what());
    return kTraceExitEnvironment;
  } catch (const UnreadableTrace& e) {
    // The header is unusable; damage further in is reported by the commands themselves.
    ctrecord::log::error("{}", e.what());
    return kTraceExitDamaged;
  } catch (const std::bad_alloc&) {
    ctrecord::log::error("out of memory");
    return kTraceExitEnvironment;
  } catch (const std::exception& e) {
    ctrecord::log::error("internal error (a bug in ctest-trace): {}", e.what());
    return kTraceExitEnvironment;
  }
}

}  // namespace ctharness
