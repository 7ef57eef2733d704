// replay_trace / compare_traces: re-run through the capture engine, then normalise and diff.
#include "ctreplay/replay_run.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/record_session.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctreplay/merged_view.hpp"
#include "ctreplay/redact_pattern.hpp"

extern char** environ;

namespace ctreplay {

using ctrecord::Stream;

RunFacts run_facts(const LoadedTrace& trace) {
  RunFacts facts;
  facts.cwd = trace.start.cwd;
  facts.home = trace.env_value("HOME");
  facts.tmpdir = trace.env_value("TMPDIR");
  if (facts.tmpdir.empty()) facts.tmpdir = "/tmp";
  return facts;
}

std::uint64_t replay_output_limit(const LoadedTrace& expected) {
  const std::uint64_t recorded = expected.produced_output;
  const std::uint64_t limit = std::max(2 * recorded, recorded + kReplayOutputMargin);
  return expected.cuts.empty() ? std::min(limit, kMaxLoadedStreamBytes) : limit;
}

NormalizerOptions normalizer_options_for(NormalizerOptions options, const LoadedTrace& expected,
                                         const LoadedTrace& actual) {
  options.terminal = options.terminal || expected.terminal || actual.terminal;
  return options;
}

namespace {

std::string make_temp_trace(const std::string& near, ctrecord::UniqueFd& fd) {
  std::string pattern = near + ".replay-XXXXXX";
  fd.reset(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd) {
    const char* tmp = std::getenv("TMPDIR");
    pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ctest-replay-XXXXXX";
    fd.reset(::mkostemp(pattern.data(), O_CLOEXEC));
    if (!fd) throw ctrecord::EnvironmentError("mkstemp", pattern, errno);
  }
  return pattern;
}

// "golden/a.ctrace" -> "golden_a": a file name for a trace path (relative to the current
// folder when it lies below it).
std::string flat_name(const std::string& trace_path) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(trace_path, ec).lexically_normal();
  const auto cwd = std::filesystem::current_path(ec);
  const auto relative = absolute.lexically_relative(cwd);
  std::string name = !ec && !relative.empty() && relative.begin()->string() != ".."
                         ? relative.string()
                         : std::filesystem::path(trace_path).lexically_normal().string();
  while (name.rfind("../", 0) == 0) name.erase(0, 3);
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  const std::string suffix = ".ctrace";
  if (name.size() > suffix.size() && name.ends_with(suffix)) name.resize(name.size() - 7);
  for (char& c : name) {
    if (c == '/' || c == ':') c = '_';
  }
  return name.empty() ? "trace" : name;
}

// Moves the finished temp trace into `dir` under a name no other file has (never overwrites).
// Returns the new path.
std::string keep_trace(const std::string& temp_path, const std::string& dir,
                       const std::string& trace_path) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw ctrecord::EnvironmentError("creating folder", dir, ec.value());
  const std::string base = dir + "/" + flat_name(trace_path);
  for (int n = 1; n < 1000; ++n) {
    const std::string dest =
        base + (n == 1 ? std::string() : "-" + std::to_string(n)) + ".replayed.ctrace";
    if (::link(temp_path.c_str(), dest.c_str()) == 0) {
      ::unlink(temp_path.c_str());
      return dest;
    }
    if (errno == EEXIST) continue;
    if (errno != EXDEV && errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK) {
      throw ctrecord::EnvironmentError("link", dest, errno);
    }
    // Another file system (or no hard links there): copy.
    if (std::filesystem::exists(dest, ec)) continue;
    std::filesystem::copy_file(temp_path, dest, ec);
    if (ec) throw ctrecord::EnvironmentError("copying the replay's trace to", dest, ec.value());
    ::unlink(temp_path.c_str());
    return dest;
  }
  throw ctrecord::EnvironmentError("no free file name for the replay's trace at " + base);
}

// A recording made on a pty is replayed on one: the same mode and size (no terminal needed).
void configure_terminal(const LoadedTrace& expected, ctrecord::RecordRequest& request) {
  const auto& terminal = *expected.terminal;
  if (terminal.mode == ctrecord::tty_mode_name(ctrecord::TtyMode::Merged)) {
    request.tty = ctrecord::TtyMode::Merged;
  } else if (terminal.mode == ctrecord::tty_mode_name(ctrecord::TtyMode::StdoutOnly)) {
    request.tty = ctrecord::TtyMode::StdoutOnly;
  } else {
    throw ctrecord::EnvironmentError(expected.path + " was recorded on a terminal of a kind this " +
                                     "ctest-replay does not know ('" + terminal.mode + "')");
  }
  ctrecord::WindowSize size{terminal.rows, terminal.cols, terminal.xpixel, terminal.ypixel};
  if (size.rows == 0 || size.cols == 0) size = ctrecord::kDefaultWindowSize;
  request.window_size = size;
  request.resizes = expected.resizes;
  // Keystrokes carry their own end (the user's Ctrl-D); recorded input from a file or pipe
  // ended with the pty's end-of-file character, so the replay sends one too.
  request.stdin_is_terminal = expected.start.isatty[0] && expected.start.stdin_mode == "forwarded";
}

}  // namespace

bool is_formatting_variable(const std::string& name) {
  return ctrecord::is_formatting_env_name(name);
}

std::vector<std::string> replay_environment(const LoadedTrace& trace,
                                            const ReplayOptions& options) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  // Formatting variables take their recorded values; ones unset in the recording are unset.
  for (auto it = env.begin(); it != env.end();) {
    bool recorded = false;
    trace.env_value(it->first, &recorded);
    if (is_formatting_variable(it->first) && !recorded) {
      it = env.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& var : trace.start.env) {
    if (var.redacted) continue;
    if (options.env_from_trace || is_formatting_variable(var.name)) env[var.name] = var.value;
  }
  for (const auto& assignment : options.env) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ctrecord::UsageError("--env takes NAME=VALUE, not '" + assignment + "'");
    }
    env[assignment.substr(0, eq)] = assignment.substr(eq + 1);
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : env) result.push_back(name + "=" + value);
  return result;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

namespace {

// Text from a trace, safe to print on a terminal: control bytes as \xNN.
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

// The trust model (docs/security.md): a trace names the command ctest-replay runs. When it was
// recorded on another host, say what will run before running it.
void announce_foreign_command(const std::string& trace_path, const LoadedTrace& trace,
                              const std::string& command, const std::string& cwd) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && trace.start.hostname == host) return;
  std::string folder = cwd;
  if (folder.size() > 1 && folder.back() == '/')
    folder.pop_back();  // "/a/b/." normalises to "/a/b/"
  ctrecord::log::info("{} was recorded on host {}; running: {} (in {})", printable(trace_path),
                      trace.start.hostname.empty() ? "(unknown)" : printable(trace.start.hostname),
                      printable(command), printable(folder));
}

}  // namespace

TraceVerdict compare_traces(const LoadedTrace& expected, const LoadedTrace& actual,
                            const Normalizer& normalizer, const DiffOptions& diff, bool merged) {
  TraceVerdict verdict;
  verdict.trace = expected.path;
  verdict.command = shell_quote(actual.start.argv);
  verdict.normalizers = normalizer.active();
  for (Stream stream : {Stream::Stdout, Stream::Stderr}) {
    const auto index = static_cast<std::size_t>(stream);
    StreamComparison cmp =
        compare_stream(std::string(ctrecord::stream_name(stream)),
                       normalizer.apply(expected.streams[index], Side::Recorded),
                       normalizer.apply(actual.streams[index], Side::Current), diff);
    if (!cmp.same && !verdict.first_stream && cmp.first) {
      verdict.first_stream = cmp.stream;
      verdict.first_byte_offset = cmp.first->byte_offset;
      verdict.first_time_ns = expected.time_of_line(stream, cmp.first->line);
    }
    verdict.streams.push_back(std::move(cmp));
  }
  if (merged) {
    MergedViews views = merged_views(expected, actual, normalizer);
    StreamComparison cmp = compare_stream("merged", views.expected, views.actual, diff);
    for (auto& note : views.notes) verdict.notes.push_back(std::move(note));
    if (!cmp.same && !verdict.first_stream && cmp.first) {
      verdict.first_stream = "merged";
      verdict.first_byte_offset = cmp.first->byte_offset;
    }
    verdict.streams.push_back(std::move(cmp));
  }
  verdict.exit.expected_status = expected.exit ? expected.exit->status : -1;
  verdict.exit.actual_status = actual.exit ? actual.exit->status : -1;
  // Status alone would equate "killed by SIGTERM" with "exit 143".
  verdict.exit.same = verdict.exit.expected_status == verdict.exit.actual_status &&
                      expected.exit.has_value() == actual.exit.has_value() &&
                      (!expected.exit || (expected.exit->exited == actual.exit->exited &&
                                          expected.exit->signal == actual.exit->signal &&
                                          expected.exit->code == actual.exit->code));
  if (!verdict.exit.same && expected.exit && actual.exit &&
      verdict.exit.expected_status == verdict.exit.actual_status) {
    const auto how = [](const ctrecord::ExitEvent& e) {
      return e.exited ? "exit code " + std::to_string(e.code)
                      : "killed by signal " + std::to_string(e.signal);
    };
    verdict.notes.push_back("same status, different end: recorded " + how(*expected.exit) +
                            ", replayed " + how(*actual.exit));
  }
  if (!expected.tests.empty() && !actual.tests.empty()) {
    verdict.tests_compared = true;
    verdict.tests = compare_tests(expected, actual, normalizer, diff);
  } else if (!expected.tests.empty()) {
    verdict.tests_note = "tests not compared: the replay reported none (the recording has " +
                         std::to_string(expected.tests.size()) + ")";
  } else if (!actual.tests.empty()) {
    verdict.tests_note = "tests not compared: the recording has none (the replay reported " +
                         std::to_string(actual.tests.size()) + ")";
  }
  bool same = verdict.exit.same;
  for (const auto& cmp : verdict.streams) same = same && cmp.same;
  // A changed outcome or captured section need not show in the console streams.
  for (const auto& test : verdict.tests) same = same && test.change == TestChange::Same;
  verdict.outcome = same ? Outcome::Same : Outcome::Regression;
  return verdict;
}

TraceVerdict replay_trace(const std::string& trace_path, const ReplayOptions& options,
                          const ctrecord::StdFdState& std_fds) {
  const auto started = std::chrono::steady_clock::now();
  TraceVerdict verdict;
  verdict.trace = trace_path;
  std::string temp_path;
  try {
    const LoadedTrace expected = load_trace(trace_path);
    if (expected.start.capture_mode == "in-process") {
      throw ctrecord::EnvironmentError(
          trace_path +
          " was recorded in-process (a library session inside a program), not by "
          "ctest-record: there is no command to re-run; compare recordings with "
          "ctest-trace diff instead");
    }
    if (!expected.start.capture_io) {
      throw ctrecord::EnvironmentError(trace_path +
                                       " was recorded with I/O capture off: nothing to compare");
    }
    ctrecord::RecordRequest request;
    request.argv = options.command.empty() ? expected.start.argv : options.command;
    verdict.command = shell_quote(request.argv);
    request.policy.io_capture_enabled = true;
    request.policy.io_capture_source = "replay";
    request.std_fds = std_fds;
    request.mirror = false;
    request.own_process_group = true;
    request.timeout = options.timeout;
    request.mask_output = expected.redact_patterns.has_value();
    if (expected.redact_patterns) {
      try {
        request.redact_patterns = compile_redact_patterns(*expected.redact_patterns);
      } catch (const ctrecord::UsageError& e) {
        throw ctrecord::EnvironmentError(trace_path +
                                         " records a pattern this replay cannot use: " + e.what());
      }
    }
    request.environment = replay_environment(expected, options);
    if (options.adjust_environment) {
      request.environment = options.adjust_environment(request.argv, *request.environment);
    }
    std::error_code ec;
    const auto cwd = std::filesystem::absolute(options.cwd ? *options.cwd : ".", ec);
    request.cwd = cwd.lexically_normal().string();
    if (ec || !std::filesystem::is_directory(*request.cwd, ec)) {
      throw ctrecord::EnvironmentError("cannot run in " + *request.cwd + ": not a folder");
    }
    ctrecord::FeedPlan plan;
    plan.chunks = expected.stdin_chunks;
    plan.mode = options.stdin_mode.value_or(expected.terminal ? ctrecord::FeedMode::Causal
                                                              : ctrecord::FeedMode::All);
    plan.speed = options.speed;
    plan.causal_timeout = options.causal_timeout;
    request.stdin_feed = std::move(plan);
    if (expected.terminal) configure_terminal(expected, request);
    request.max_output = replay_output_limit(expected);
    if (expected.order.exact() && options.order_shim && request.tty == ctrecord::TtyMode::None) {
      request.order = ctrecord::OrderMode::Exact;
      request.order_shim = options.order_shim();
    }
    // A cut recording (--max-trace-size) is compared head with head and tail with tail: the
    // replay is recorded under the same limit.
    if (!expected.cuts.empty()) request.max_trace_output = expected.cuts.front().limit;
    if (options.command.empty()) {
      announce_foreign_command(trace_path, expected, verdict.command, *request.cwd);
    }
    ctrecord::log::debug("replaying {}: {} (in {})", trace_path, verdict.command, *request.cwd);

    ctrecord::UniqueFd fd;
    temp_path = make_temp_trace(trace_path, fd);
    const ctrecord::RecordResult result = ctrecord::record_command(
        request, std::make_unique<ctrecord::TraceFileWriter>(std::move(fd), temp_path));
    if (result.trace_error) {
      throw ctrecord::EnvironmentError("cannot write the replay's trace " + temp_path + ": " +
                                       *result.trace_error);
    }
    LoadedTrace actual = load_trace(temp_path);
    actual.path = temp_path;

    RunFacts current;
    current.cwd = *request.cwd;
    for (const auto& entry : *request.environment) {
      if (entry.rfind("HOME=", 0) == 0) current.home = entry.substr(5);
      if (entry.rfind("TMPDIR=", 0) == 0) current.tmpdir = entry.substr(7);
    }
    if (current.tmpdir.empty()) current.tmpdir = "/tmp";
    const Normalizer normalizer(normalizer_options_for(options.normalize, expected, actual),
                                run_facts(expected), current);
    auto notes = result.notes;
    for (const auto& cut : expected.cuts) {
      notes.push_back(fmt::format(
          "the recording was cut by --max-trace-size {}: {} bytes of {} between offsets {} and "
          "{} were not recorded; the replay was recorded under the same limit and only the "
          "kept head and tail are compared",
          cut.limit, cut.bytes(), ctrecord::stream_name(cut.stream), cut.from, cut.to));
    }
    verdict = compare_traces(expected, actual, normalizer, options.diff, options.merged);
    verdict.trace = trace_path;
    verdict.notes.insert(verdict.notes.begin(), notes.begin(), notes.end());
    if (result.output_limit_hit && verdict.outcome != Outcome::Error) {
      verdict.outcome = Outcome::Regression;
      verdict.notes.push_back(fmt::format(
          "the output grew beyond {} bytes (recorded: {}); the command's process group was "
          "killed and only what was read until then is compared",
          *request.max_output, expected.produced_output));
    }
    if (result.interrupted_by != 0) {
      verdict.outcome = Outcome::Error;
      verdict.interrupted_by = result.interrupted_by;
      verdict.error = "interrupted by signal " + std::to_string(result.interrupted_by) +
                      "; the replay is not a verdict";
    }
    if (result.timed_out && verdict.outcome != Outcome::Error) {
      verdict.exit.timed_out = true;
      verdict.outcome = Outcome::Regression;
      verdict.notes.push_back("timed out; the command's process group was killed");
    }
    if (!result.started && verdict.exit.expected_status != result.status) {
      throw ctrecord::EnvironmentError("cannot run " + verdict.command + " (status " +
                                       std::to_string(result.status) +
                                       (result.status == 127 ? ": command not found)" : ")"));
    }
    // Only a completed run may become the new recording: never an interrupted or timed-out one.
    if (options.update && verdict.outcome == Outcome::Regression && !result.timed_out &&
        !result.output_limit_hit) {
      if (options.keep_old) {
        // A hard link keeps the trace path valid at every moment (rename then replaces it
        // atomically); fall back to a rename where links are not supported.
        const std::string old_path = trace_path + ".old";
        ::unlink(old_path.c_str());
        if (::link(trace_path.c_str(), old_path.c_str()) != 0 &&
            ::rename(trace_path.c_str(), old_path.c_str()) != 0) {
          throw ctrecord::EnvironmentError("rename", trace_path, errno);
        }
      }
      if (::rename(temp_path.c_str(), trace_path.c_str()) != 0) {
        throw ctrecord::EnvironmentError("rename", temp_path, errno);
      }
      temp_path.clear();
      verdict.updated = true;
      verdict.notes.push_back("updated: the trace now holds this run");
    }
    if (options.keep_regressed_in && verdict.outcome == Outcome::Regression && !verdict.updated) {
      try {
        verdict.replayed_trace = keep_trace(temp_path, *options.keep_regressed_in, trace_path);
        temp_path.clear();
      } catch (const ctrecord::EnvironmentError& e) {
        ctrecord::log::warning("{}", e.what());
        verdict.notes.push_back(std::string("the replay's trace was not kept: ") + e.what());
      }
    }
  } catch (const ctrecord::UsageError&) {
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
    throw;
  } catch (const std::exception& e) {
    verdict.outcome = Outcome::Error;
    verdict.error = e.what();
  }
  if (!temp_path.empty()) ::unlink(temp_path.c_str());
  verdict.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return verdict;
}

}  // namespace ctreplay
