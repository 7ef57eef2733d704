// Process-tree containment (Linux): subreaper scope, /proc walk of descendants, kill and reap.
#include "ctrecord/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <utility>

#include "ctrecord/log.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

namespace {

// A small /proc file, "" when it cannot be read (the process is gone).
std::string read_proc_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

struct ProcStat {
  bool found = false;
  char state = '?';
  pid_t parent = 0;
  std::string comm;
};

// /proc/PID/stat: "PID (COMM) STATE PPID ..."; COMM may hold ')' and spaces.
ProcStat read_stat(pid_t pid) {
  ProcStat stat;
  const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 4 > text.size()) {
    return stat;
  }
  stat.found = true;
  stat.comm = text.substr(open + 1, close - open - 1);
  stat.state = text[close + 2];
  stat.parent = static_cast<pid_t>(std::atoi(text.c_str() + close + 4));
  return stat;
}

// The children of every thread of `pid` (a child belongs to the thread that forked it).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return children;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const std::string list = read_proc_file(tasks + "/" + entry->d_name + "/children");
    const char* p = list.c_str();
    char* end = nullptr;
    for (long child = std::strtol(p, &end, 10); end != p; child = std::strtol(p, &end, 10)) {
      children.push_back(static_cast<pid_t>(child));
      p = end;
    }
  }
  ::closedir(dir);
  return children;
}

// A pidfd for `process` if it is still the child of the parent it was found under (checked
// after opening, so the pidfd cannot name a process that reused the pid); empty otherwise.
UniqueFd open_checked(const ProcessInfo& process) {
  // Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks C linkage for C++ (fixed in 2.37).
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, process.pid, 0)));
  if (!pidfd) return pidfd;  // gone
  const ProcStat now = read_stat(process.pid);
  if (!now.found || now.parent != process.parent) return UniqueFd();  // gone, or another one
  return pidfd;
}

}  // namespace

SubreaperScope::SubreaperScope() {
  ::prctl(PR_GET_CHILD_SUBREAPER, &previous_, 0, 0, 0);
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    log::warning(
        "cannot become a child subreaper (prctl: {}): processes the command leaves "
        "behind may escape the orphan report",
        std::strerror(errno));
    return;
  }
  active_ = true;
}

SubreaperScope::~SubreaperScope() {
  if (active_) ::prctl(PR_SET_CHILD_SUBREAPER, previous_, 0, 0, 0);
}

std::vector<ProcessInfo> live_descendants(pid_t root) {
  std::vector<ProcessInfo> found;
  std::vector<pid_t> parents{root};
  for (std::size_t next = 0; next < parents.size(); ++next) {
    for (const pid_t child : children_of(parents[next])) {
      const ProcStat stat = read_stat(child);
      if (!stat.found || stat.state == 'Z' || stat.state == 'X') continue;
      found.push_back({child, parents[next], stat.comm});
      parents.push_back(child);
    }
  }
  return found;
}

bool has_other_children(pid_t keep) {
  for (const pid_t child : children_of(::getpid())) {
    if (child != keep) return true;
  }
  return false;
}

std::size_t reap_children_except(pid_t keep) {
  std::size_t reaped = 0;
  for (;;) {
    siginfo_t info{};
    int r;
    do {
      r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0 || info.si_pid == 0 || info.si_pid == keep) return reaped;
    int r2;
    do {
      r2 = ::waitpid(info.si_pid, nullptr, WNOHANG);
    } while (r2 < 0 && errno == EINTR);
    if (r2 <= 0) return reaped;
    ++reaped;
  }
}

std::vector<ProcessInfo> kill_descendants(pid_t keep, std::chrono::milliseconds limit,
                                          std::vector<ProcessInfo>* left) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<ProcessInfo> killed;
  std::set<pid_t> signalled;
  for (;;) {
    const std::vector<ProcessInfo> alive = live_descendants(::getpid());
    const bool out_of_time = std::chrono::steady_clock::now() >= deadline;
    if (alive.empty() || out_of_time) {
      // live_descendants leaves zombies out, but a killed child of ours is only gone once
      // reaped, and a zombie whose other threads are still exiting cannot be reaped yet
      // (waitid does not report it): keep reaping until no such child is left.
      reap_children_except(keep);
      if (out_of_time || !has_other_children(keep)) {
        if (left != nullptr) *left = alive;
        return killed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    // Every pidfd first, then the signals: a parent killed first would hand its children to
    // another parent before they were checked.
    std::vector<std::pair<UniqueFd, const ProcessInfo*>> targets;
    for (const auto& process : alive) {
      if (UniqueFd pidfd = open_checked(process)) targets.emplace_back(std::move(pidfd), &process);
    }
    for (const auto& [pidfd, process] : targets) {
      if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) == 0 &&
          signalled.insert(process->pid).second) {
        killed.push_back(*process);
      }
    }
    reap_children_except(keep);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    reap_children_except(keep);
  }
}

std::string describe_processes(const std::vector<ProcessInfo>& processes) {
  std::string text;
  for (const auto& process : processes) {
    if (!text.empty()) text += ", ";
    text += std::to_string(process.pid) + " (" + process.comm + ")";
  }
  return text;
}

}  // namespace ctrecord
