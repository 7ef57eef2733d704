// ctest-record: run a command with its standard streams recorded into a trace.
// Parse flags, resolve the policy, open the trace, record, report. Exit status: the command's,
// 124 when --timeout expired, or 125 for ctest-record's own failures.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "ctharness/order_shim.hpp"
#include "ctharness/pytest_activation.hpp"
#include "ctharness/record_artifacts.hpp"
#include "ctharness/record_cli.hpp"
#include "ctharness/trace_retention.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/record_session.hpp"
#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/std_fds.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_output.hpp"
#include "ctreplay/redact_pattern.hpp"

namespace {
constexpr int kOwnFailure = 125;
constexpr int kTimedOut = 124;  // as timeout(1)

// --tty: pty or pipes, and which of our descriptors is the user's terminal. --order=exact
// needs pipes, so auto means pipes then.
void configure_terminal(ctharness::TtyChoice choice, const ctrecord::StdFdState& std_fds,
                        ctrecord::RecordRequest& request) {
  const auto& tty = std_fds.isatty;
  switch (choice) {
    case ctharness::TtyChoice::Auto:
      request.tty = tty[0] && tty[1] && request.order != ctrecord::OrderMode::Exact
                        ? ctrecord::TtyMode::Merged
                        : ctrecord::TtyMode::None;
      break;
    case ctharness::TtyChoice::Always: request.tty = ctrecord::TtyMode::Merged; break;
    case ctharness::TtyChoice::StdoutOnly: request.tty = ctrecord::TtyMode::StdoutOnly; break;
    case ctharness::TtyChoice::Never: request.tty = ctrecord::TtyMode::None; break;
  }
  if (request.tty == ctrecord::TtyMode::None) return;
  if (tty[0]) request.keyboard_fd = 0;
  for (int fd = 0; fd < 3; ++fd) {
    if (tty[static_cast<std::size_t>(fd)]) {
      request.size_source_fd = fd;
      break;
    }
  }
}

int run(int argc, char** argv, const ctrecord::StdFdState& std_fds) {
  namespace log = ctrecord::log;
  const ctharness::RecordCliOptions options = ctharness::parse_record_args(argc, argv);
  if (options.help) {
    std::fputs(ctharness::record_help_text().c_str(), stdout);
    return 0;
  }
  if (options.version) {
    std::printf("ctest-record %s\n", ctrecord::tool_version().c_str());
    return 0;
  }
  if (options.quiet) log::set_level(log::Level::Warning);
  if (options.verbose) log::set_level(log::Level::Debug);

  ctrecord::RecordRequest request;
  request.argv = options.command;
  request.policy =
      ctrecord::resolve_policy(std::getenv(ctrecord::kCaptureIoEnvVar), options.capture_io);
  request.policy.env_recording =
      ctrecord::resolve_env_recording(std::getenv(ctrecord::kRecordEnvEnvVar), options.record_env);
  request.mask_output = options.mask_output;
  request.redact_patterns = ctreplay::compile_redact_patterns(options.redact);
  request.no_stdin = options.no_stdin;
  request.grace = std::chrono::milliseconds(static_cast<long long>(options.grace_seconds * 1000.0));
  request.contain_descendants = true;
  request.kill_orphans = options.kill_orphans;
  if (options.timeout_seconds) {
    request.timeout =
        std::chrono::milliseconds(static_cast<long long>(*options.timeout_seconds * 1000.0));
  }
  if (options.compression_level) {
    request.writer_options.compression_level = *options.compression_level;
    request.writer_options.adaptive_compression = false;
  }
  request.max_trace_output = options.max_trace_size;
  request.std_fds = std_fds;
  request.order =
      ctharness::resolve_record_order(options, std::getenv(ctrecord::kRecordOrderEnvVar));
  if (request.order == ctrecord::OrderMode::Exact && request.policy.io_capture_enabled) {
    request.order_shim = ctharness::find_order_shim(std::getenv(ctharness::kOrderShimEnvVar),
                                                    ctharness::own_executable_dir());
  }
  configure_terminal(options.tty, std_fds, request);
  if (options.pytest_plugin && request.policy.io_capture_enabled) {
    request.environment = ctharness::pytest_command_environment(options.command);
  }

  bool default_path = !options.output;
  std::string path = default_path ? ctharness::default_trace_path(options.command[0],
                                                                  std::getenv("CTEST_TRACE_DIR"),
                                                                  std::time(nullptr), ::getpid())
                                  : *options.output;
  if (options.artifact_dir) {  // --artifact-dir: the trace goes there (record_artifacts.hpp)
    const auto artifact = ctharness::prepare_artifact_trace_path(
        *options.artifact_dir, options.output, options.command[0]);
    path = artifact.path;
    default_path = artifact.default_name;
  }
  ctrecord::TraceOutput output = ctrecord::TraceOutput::open(path, default_path);
  auto writer = std::make_unique<ctrecord::TraceFileWriter>(output.take_fd(), output.write_path());

  const ctrecord::RecordResult result = ctrecord::record_command(request, std::move(writer));
  std::optional<std::string> trace_error = result.trace_error;
  if (trace_error && output.replaces_existing()) {
    // An incomplete trace never replaces a whole one (a golden trace, say): both are kept.
    log::error("the new trace {} is incomplete: {}; {} was left as it was", output.write_path(),
               *trace_error, path);
  } else if (trace_error) {
    log::error("the trace {} is incomplete: {}", path, *trace_error);
  } else {
    try {
      output.commit();
      log::info("trace: {}", path);
    } catch (const ctrecord::EnvironmentError& e) {
      trace_error = e.what();
      log::error("{}; the new trace is {}", e.what(), output.write_path());
    }
  }
  if (options.keep && default_path) {  // retention (--keep): only ever default-named traces
    const auto slash = path.find_last_of('/');
    ctharness::prune_default_traces(slash == std::string::npos ? "." : path.substr(0, slash),
                                    ctharness::trace_program_name(options.command[0]),
                                    *options.keep);
  }
  // Timed out: 124 as timeout(1); the trace keeps the command's own end (SIGKILL) and a note.
  int status = result.timed_out ? kTimedOut : result.status;
  if (trace_error) status = status == 0 ? kOwnFailure : status;
  if (options.artifact_dir) {  // summary.json and junit.xml, also when the command failed
    status = ctharness::finish_record_artifacts(
        {*options.artifact_dir, output.write_path(), options.command, result.status, trace_error},
        status, kOwnFailure);
  }
  return status;
}
}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a descriptor: see (and plug) closed standard fds.
  const ctrecord::StdFdState std_fds = ctrecord::guard_std_fds();
  ctrecord::log::set_program_name("ctest-record");
  try {
    return run(argc, argv, std_fds);
  } catch (const ctrecord::UsageError& e) {
    ctrecord::log::error("{}", e.what());
  } catch (const ctrecord::EnvironmentError& e) {
    ctrecord::log::error("{}", e.what());
  } catch (const std::exception& e) {
    ctrecord::log::error("internal error (a bug in ctest-record, please report it): {}", e.what());
  }
  return kOwnFailure;
}
