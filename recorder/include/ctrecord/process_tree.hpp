// Process-tree containment for spawn mode (Linux): the recorder as a child subreaper, so
// descendants that daemonise are re-parented to it; the live descendants of a process, walked
// through /proc/PID/task/*/children; killing them all; reaping the re-parented ones that exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ctrecord {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t parent = 0;
  std::string comm;  // /proc/PID/comm: the first 15 bytes of the program name
};

// PR_SET_CHILD_SUBREAPER for this process while the scope lives; the previous setting is
// restored at the end (descendants re-parented meanwhile stay our children). A failure is
// logged and leaves containment to the /proc walk alone.
class SubreaperScope {
 public:
  SubreaperScope();
  ~SubreaperScope();
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;

 private:
  int previous_ = 0;
  bool active_ = false;
};

// The live (not zombie) descendants of `root`, parents before their children. Processes that
// end while the walk runs are skipped.
std::vector<ProcessInfo> live_descendants(pid_t root);

// Whether this process has a child other than `keep` that has not been reaped (alive or not).
bool has_other_children(pid_t keep);

// Reaps, without blocking, every exited child of ours except `keep` (the command, which its
// caller reaps: the walk stops at it while it waits). Returns how many were reaped.
std::size_t reap_children_except(pid_t keep);

// SIGKILLs every live descendant of this process (`keep` included, but never reaped here) until
// none is left or `limit` has passed, reaping those that end as our children. A pid is
// signalled through a pidfd checked against the parent it was found under, so a reused pid is
// never hit. Returns the processes killed; `left` gets those still alive at the limit.
std::vector<ProcessInfo> kill_descendants(pid_t keep, std::chrono::milliseconds limit,
                                          std::vector<ProcessInfo>* left = nullptr);

// "1234 (sleep), 1240 (python3)"
std::string describe_processes(const std::vector<ProcessInfo>& processes);

}  // namespace ctrecord
