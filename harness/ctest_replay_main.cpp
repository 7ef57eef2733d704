// ctest-replay: re-run recorded commands and report regressions.
// Parse flags, find the traces, replay them (in worker processes when -j > 1), print a verdict
// per trace and a final table, write reports. Exit: 0 same, 1 regression, 2 usage, 3 error.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
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

// Writes a report, creating its folder first (CI paths like reports/replay.xml).
void write_text_file(const std::string& path, const std::string& text) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw ctrecord::EnvironmentError("mkdir", parent.string(), ec.value());
  }
  ctrecord::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw ctrecord::EnvironmentError("open", path, errno);
  if (int err = ctrecord::write_all(fd.get(), text))
    throw ctrecord::EnvironmentError("write", path, err);
}

void print(const std::string& text) {
  (void)ctrecord::write_all(1, text);
}

// A live "[done/total]" line on stderr when it is a terminal (CI logs get plain lines only).
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), live_(total > 1 && ::isatty(2) == 1) {}
  ~Progress() { clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void show(std::size_t done, const std::string& what) {
    if (!live_) return;
    (void)ctrecord::write_all(2, fmt::format("\r\033[K[{}/{}] {}", done, total_, what));
    shown_ = true;
  }
  void clear() {
    if (live_ && shown_) (void)ctrecord::write_all(2, "\r\033[K");
    shown_ = false;
  }

 private:
  std::size_t total_;
  bool live_;
  bool shown_ = false;
};

std::string temp_path(const char* what) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/ctest-replay-" + what + "-XXXXXX";
  ctrecord::UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd) throw ctrecord::EnvironmentError("mkstemp", pattern, errno);
  return pattern;
}

// Worker processes for -j N. A signal to ctest-replay (kill PID) is passed on to every worker
// (each forwards it to its command's process group and reports an interrupted replay).
constexpr std::size_t kMaxJobs = 64;
std::array<std::atomic<pid_t>, kMaxJobs> g_workers{};
std::atomic<int> g_parent_signal{0};

extern "C" void forward_to_workers(int sig) {
  const int saved_errno = errno;
  g_parent_signal.store(sig);
  for (auto& worker : g_workers) {
    const pid_t pid = worker.load();
    if (pid > 0) ::kill(pid, sig);
  }
  errno = saved_errno;
}

struct WorkerJob {
  std::size_t index = 0;
  std::string verdict_file;
  std::string log_file;
  std::size_t slot = 0;
};

// Kills and reaps whatever is still running and removes the temp files, on every exit path.
class WorkerPool {
 public:
  ~WorkerPool() {
    for (auto& [pid, job] : running_) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      discard(job);
    }
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &saved_[sig], nullptr);
  }
  void install_handlers() {
    struct sigaction action {};
    action.sa_handler = forward_to_workers;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, &saved_[sig]);
  }
  static void discard(const WorkerJob& job) {
    ::unlink(job.verdict_file.c_str());
    ::unlink(job.log_file.c_str());
  }
  std::map<pid_t, WorkerJob> running_;

 private:
  struct sigaction saved_[NSIG] {};
};

// Replays `traces` in worker processes (this binary with the same arguments, told which trace
// to take), at most `jobs` at once. Verdicts come back through files.
std::vector<TraceVerdict> replay_in_workers(const std::vector<std::string>& traces, unsigned jobs,
                                            int argc, char** argv) {
  jobs = std::min<unsigned>(jobs, kMaxJobs);
  std::vector<TraceVerdict> verdicts(traces.size());
  WorkerPool pool;
  pool.install_handlers();
  Progress progress(traces.size());
  std::vector<bool> slot_busy(kMaxJobs, false);
  std::size_t next = 0, done = 0;
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  while (done < traces.size()) {
    while (next < traces.size() && pool.running_.size() < jobs && g_parent_signal.load() == 0) {
      WorkerJob job{next, temp_path("verdict"), temp_path("log"), 0};
      while (slot_busy[job.slot]) ++job.slot;
      ctrecord::UniqueFd log_fd(::open(job.log_file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      ctrecord::UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!log_fd || !null_fd) {
        WorkerPool::discard(job);
        throw ctrecord::EnvironmentError("open", job.log_file, errno);
      }
      ctrecord::ChildSpec spec;
      spec.argv = {"/proc/self/exe", "--worker-index", std::to_string(next), "--verdict-out",
                   job.verdict_file};
      spec.argv.insert(spec.argv.end(), argv + 1, argv + argc);
      spec.executable = "/proc/self/exe";
      spec.stdio = {null_fd.get(), log_fd.get(), log_fd.get()};
      spec.sigmask = mask;
      const pid_t pid = ctrecord::spawn_child(spec);
      if (pid < 0) {
        WorkerPool::discard(job);
        throw ctrecord::EnvironmentError("posix_spawn", "/proc/self/exe", -pid);
      }
      slot_busy[job.slot] = true;
      g_workers[job.slot].store(pid);
      pool.running_.emplace(pid, job);
      ++next;
    }
    if (pool.running_.empty()) break;  // interrupted before everything started
    progress.show(done, fmt::format("{} running", pool.running_.size()));
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw ctrecord::EnvironmentError("waitpid", "", errno);
    }
    const auto it = pool.running_.find(pid);
    if (it == pool.running_.end()) continue;
    const WorkerJob job = it->second;
    pool.running_.erase(it);
    g_workers[job.slot].store(0);
    slot_busy[job.slot] = false;
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
    std::string text;
    if (std::FILE* log_file = std::fopen(job.log_file.c_str(), "rb")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, log_file)) > 0) text.append(buf, n);
      std::fclose(log_file);
    }
    if (!text.empty()) {
      progress.clear();
      (void)ctrecord::write_all(2, text);
    }
    WorkerPool::discard(job);
    verdicts[job.index] = std::move(verdict);
  }
  for (std::size_t i = 0; i < traces.size(); ++i) {
    if (verdicts[i].trace.empty()) {
      verdicts[i].trace = traces[i];
      verdicts[i].outcome = Outcome::Error;
      verdicts[i].error = "not replayed: interrupted";
      verdicts[i].interrupted_by = g_parent_signal.load();
    }
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
  std::vector<std::string> traces = ctharness::expand_trace_inputs(options.inputs);
  if (options.worker_index) {
    if (*options.worker_index >= traces.size())
      throw ctrecord::InternalError("worker index out of range");
    traces = {traces[*options.worker_index]};
  }
  if (!options.replay.command.empty() && traces.size() != 1) {
    throw ctrecord::UsageError("'-- COMMAND' replays exactly one trace; " +
                               std::to_string(traces.size()) + " were given");
  }
  if (options.artifact_dir && !options.verdict_out) {
    ctharness::prepare_artifact_dir(*options.artifact_dir);  // fail before replaying anything
  }
  ctreplay::ReplayOptions replay = options.replay;
  replay.diff.color = !options.verdict_out && ::isatty(1) == 1;
  const unsigned jobs =
      options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());

  std::vector<TraceVerdict> verdicts;
  if (jobs > 1 && traces.size() > 1) {
    verdicts = replay_in_workers(traces, jobs, argc, argv);
    for (const auto& verdict : verdicts) print_details(verdict, options.quiet);
  } else {
    Progress progress(options.verdict_out ? 0 : traces.size());
    for (const auto& trace : traces) {
      progress.show(verdicts.size(), "replaying " + trace);
      verdicts.push_back(ctreplay::replay_trace(trace, replay, std_fds));
      progress.clear();
      if (verdicts.back().interrupted_by != 0) {
        if (!options.verdict_out) print(ctharness::describe_verdict(verdicts.back(), false));
        break;  // Ctrl-C: stop, do not start the next replay
      }
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
  if (options.artifact_dir) ctharness::write_replay_artifacts(*options.artifact_dir, verdicts);
  int interrupted = 0;
  for (const auto& verdict : verdicts) {
    if (verdict.interrupted_by != 0) interrupted = verdict.interrupted_by;
  }
  if (interrupted != 0) {
    log::error("interrupted by signal {}", interrupted);
    return 128 + interrupted;
  }
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
