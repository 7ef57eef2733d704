// ctest-replay: re-run recorded commands and report regressions.
// Parse flags, find the traces, replay them (in worker processes when -j > 1), print a verdict
// per trace and a final table, write reports. Exit: 0 same, 1 regression, 2 usage, 3 error.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <thread>

#include "ctharness/replay_cli.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/fd_io.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/spawn.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/std_fds.hpp"
#include "ctreplay/report.hpp"

namespace {
constexpr int kSame = 0, kRegression = 1, kUsage = 2, kEnvironment = 3;
namespace log = ctrecord::log;
using ctreplay::Outcome;
using ctreplay::TraceVerdict;

void write_text_file(const std::string& path, const std::string& text) {
  ctrecord::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw ctrecord::EnvironmentError("open", path, errno);
  if (int err = ctrecord::write_all(fd.get(), text))
    throw ctrecord::EnvironmentError("write", path, err);
}

void print(const std::string& text) {
  (void)ctrecord::write_all(1, text);
}

std::string temp_path(const char* what) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/ctest-replay-" + what + "-XXXXXX";
  ctrecord::UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd) throw ctrecord::EnvironmentError("mkstemp", pattern, errno);
  return pattern;
}

// Replays `traces` in worker processes (this binary, one trace each), at most `jobs` at once.
std::vector<TraceVerdict> replay_in_workers(const std::vector<std::string>& traces, unsigned jobs,
                                            int argc, char** argv,
                                            const std::vector<std::string>& inputs) {
  // The worker gets our options minus the inputs and the report files.
  std::vector<std::string> base{"/proc/self/exe"};
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;
    if (word == "--json" || word == "--junit" || word == "--jobs" || word == "-j") {
      ++i;
      continue;
    }
    if (word.rfind("--json=", 0) == 0 || word.rfind("--junit=", 0) == 0 ||
        word.rfind("--jobs=", 0) == 0 || (word.rfind("-j", 0) == 0 && word.size() > 2)) {
      continue;
    }
    if (std::find(inputs.begin(), inputs.end(), word) != inputs.end()) continue;
    base.push_back(word);
  }
  struct Running {
    std::size_t index;
    std::string verdict_file;
    std::string log_file;
  };
  std::vector<TraceVerdict> verdicts(traces.size());
  std::map<pid_t, Running> running;
  std::size_t next = 0, done = 0;
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  while (done < traces.size()) {
    while (next < traces.size() && running.size() < jobs) {
      Running job{next, temp_path("verdict"), temp_path("log")};
      ctrecord::UniqueFd log_fd(::open(job.log_file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      ctrecord::UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!log_fd || !null_fd) throw ctrecord::EnvironmentError("open", job.log_file, errno);
      ctrecord::ChildSpec spec;
      spec.argv = base;
      spec.argv.insert(spec.argv.end(),
                       {"--jobs", "1", "--verdict-out", job.verdict_file, traces[next]});
      spec.executable = "/proc/self/exe";
      spec.stdio = {null_fd.get(), log_fd.get(), log_fd.get()};
      spec.sigmask = mask;
      const pid_t pid = ctrecord::spawn_child(spec);
      if (pid < 0) throw ctrecord::EnvironmentError("posix_spawn", "/proc/self/exe", -pid);
      running.emplace(pid, job);
      ++next;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw ctrecord::EnvironmentError("waitpid", "", errno);
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running job = it->second;
    running.erase(it);
    ++done;
    TraceVerdict verdict;
    try {
      verdict = ctharness::load_verdict(job.verdict_file);
    } catch (const std::exception& e) {
      verdict.trace = traces[job.index];
      verdict.outcome = Outcome::Error;
      verdict.error = std::string("the worker replaying it failed (status ") +
                      std::to_string(status) + "): " + e.what();
    }
    std::FILE* log_file = std::fopen(job.log_file.c_str(), "rb");
    if (log_file) {
      char buf[4096];
      std::size_t n;
      std::string text;
      while ((n = std::fread(buf, 1, sizeof buf, log_file)) > 0) text.append(buf, n);
      std::fclose(log_file);
      if (!text.empty()) (void)ctrecord::write_all(2, text);
    }
    ::unlink(job.verdict_file.c_str());
    ::unlink(job.log_file.c_str());
    verdicts[job.index] = std::move(verdict);
  }
  return verdicts;
}

void print_details(const TraceVerdict& verdict, bool quiet) {
  if (quiet) return;
  const std::string details = ctharness::verdict_details(verdict);
  if (!details.empty()) print("== " + verdict.trace + "\n" + details);
}

int run(int argc, char** argv, const ctrecord::StdFdState& std_fds) {
  const ctharness::ReplayCliOptions options = ctharness::parse_replay_args(argc, argv);
  if (options.help) {
    print(ctharness::replay_help_text());
    return kSame;
  }
  if (options.version) {
    print("ctest-replay " + ctrecord::tool_version() + "\n");
    return kSame;
  }
  if (options.list_normalizers) {
    std::string text;
    for (const auto& [name, description] : ctreplay::Normalizer::builtins()) {
      text += name + std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') + description + "\n";
    }
    print(text);
    return kSame;
  }
  if (options.verbose) log::set_level(log::Level::Debug);
  if (options.quiet) log::set_level(log::Level::Warning);
  // Bad rules are usage errors before anything runs.
  ctreplay::Normalizer check(options.replay.normalize, {}, {});
  const std::vector<std::string> traces = ctharness::expand_trace_inputs(options.inputs);
  if (!options.replay.command.empty() && traces.size() != 1) {
    throw ctrecord::UsageError("'-- COMMAND' replays exactly one trace; " +
                               std::to_string(traces.size()) + " were given");
  }
  ctreplay::ReplayOptions replay = options.replay;
  replay.diff.color = !options.verdict_out && ::isatty(1) == 1;
  const unsigned jobs =
      options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());

  std::vector<TraceVerdict> verdicts;
  if (jobs > 1 && traces.size() > 1) {
    verdicts = replay_in_workers(traces, jobs, argc, argv, options.inputs);
    for (const auto& verdict : verdicts) print_details(verdict, options.quiet);
  } else {
    for (const auto& trace : traces) {
      verdicts.push_back(ctreplay::replay_trace(trace, replay, std_fds));
      // One trace: its verdict as soon as it is known. Many: details now, the table at the end.
      if (options.verdict_out) continue;
      if (traces.size() == 1) {
        print(ctharness::describe_verdict(verdicts.back(), !options.quiet));
      } else {
        print_details(verdicts.back(), options.quiet);
      }
    }
  }
  if (options.verdict_out) {
    ctharness::save_verdict(verdicts.front(), *options.verdict_out);
    return kSame;
  }
  if (verdicts.size() > 1) {
    std::size_t same = 0, regressions = 0, errors = 0;
    std::string table = "\n";
    for (const auto& verdict : verdicts) {
      table += ctreplay::summary_line(verdict);
      if (table.back() != '\n') table += '\n';
      same += verdict.outcome == Outcome::Same;
      regressions += verdict.outcome == Outcome::Regression;
      errors += verdict.outcome == Outcome::Error;
    }
    table += fmt::format("{} traces: {} same, {} regressed, {} could not be replayed\n",
                         verdicts.size(), same, regressions, errors);
    print(table);
  }
  if (options.json_path) write_text_file(*options.json_path, ctreplay::json_report(verdicts));
  if (options.junit_path) write_text_file(*options.junit_path, ctreplay::junit_report(verdicts));
  bool any_error = false, any_regression = false;
  for (const auto& verdict : verdicts) {
    any_error |= verdict.outcome == Outcome::Error;
    // --update accepted the new behaviour: not a failure.
    any_regression |= verdict.outcome == Outcome::Regression && !verdict.updated;
    if (verdict.outcome == Outcome::Error) log::error("{}: {}", verdict.trace, verdict.error);
  }
  return any_error ? kEnvironment : any_regression ? kRegression : kSame;
}
}  // namespace

int main(int argc, char** argv) {
  const ctrecord::StdFdState std_fds = ctrecord::guard_std_fds();
  log::set_program_name("ctest-replay");
  try {
    return run(argc, argv, std_fds);
  } catch (const ctrecord::UsageError& e) {
    log::error("{}", e.what());
    return kUsage;
  } catch (const ctrecord::EnvironmentError& e) {
    log::error("{}", e.what());
    return kEnvironment;
  } catch (const std::exception& e) {
    log::error("internal error (a bug in ctest-replay, please report it): {}", e.what());
    return kEnvironment;
  }
}
