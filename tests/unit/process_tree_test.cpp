// Tests of process-tree containment: the /proc walk finds children and grandchildren with their
// parents, the subreaper adopts a grandchild whose parent exits, kill_descendants leaves
// nothing alive and nothing unreaped.
#include "ctrecord/process_tree.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using ctrecord::ProcessInfo;

const ProcessInfo* find(const std::vector<ProcessInfo>& list, pid_t pid) {
  const auto it =
      std::find_if(list.begin(), list.end(), [&](const ProcessInfo& p) { return p.pid == pid; });
  return it == list.end() ? nullptr : &*it;
}

// Kills the given processes when the test ends, so a failing test leaves none behind (a
// paused process holding the test's stdout would keep the runner waiting).
struct KillAtEnd {
  std::vector<pid_t> pids;
  ~KillAtEnd() {
    for (const pid_t pid : pids) {
      if (pid > 0) ::kill(pid, SIGKILL);
    }
  }
};

// Whether `pid` is gone or a zombie within `limit`.
bool ends_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z') {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::usleep(10000);
  }
}

// Forks a child that forks a grandchild; both pause(). Returns {child, grandchild}. When
// `orphan`, the child exits once the grandchild exists (the grandchild is then re-parented).
std::pair<pid_t, pid_t> fork_two_levels(bool orphan) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, -1};
  const pid_t child = ::fork();
  if (child == 0) {
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::pause();
      ::_exit(0);
    }
    (void)!::write(fds[1], &grandchild, sizeof grandchild);
    if (orphan) ::_exit(0);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t grandchild = -1;
  (void)!::read(fds[0], &grandchild, sizeof grandchild);
  ::close(fds[0]);
  return {child, grandchild};
}

TEST(ProcessTree, WalkFindsChildrenAndGrandchildrenWithTheirParents) {
  const auto [child, grandchild] = fork_two_levels(false);
  const KillAtEnd cleanup{{child, grandchild}};
  ASSERT_GT(child, 0);
  ASSERT_GT(grandchild, 0);
  const auto found = ctrecord::live_descendants(::getpid());
  ASSERT_NE(find(found, child), nullptr);
  ASSERT_NE(find(found, grandchild), nullptr);
  EXPECT_EQ(find(found, child)->parent, ::getpid());
  EXPECT_EQ(find(found, grandchild)->parent, child);
  EXPECT_EQ(find(found, child)->comm, "ctr_unit_tests");
  EXPECT_LT(find(found, child) - found.data(), find(found, grandchild) - found.data())
      << "parents come before their children";
  EXPECT_TRUE(ctrecord::has_other_children(0));

  std::vector<ProcessInfo> left;
  const auto killed = ctrecord::kill_descendants(0, std::chrono::milliseconds(5000), &left);
  EXPECT_EQ(killed.size(), 2u);
  EXPECT_TRUE(left.empty());
  EXPECT_TRUE(ctrecord::live_descendants(::getpid()).empty());
  EXPECT_FALSE(ctrecord::has_other_children(0)) << "the killed child must have been reaped";
  // Not our child any more (its parent died first): gone, or a zombie of another parent.
  EXPECT_TRUE(ends_within(grandchild, std::chrono::seconds(5)));
}

TEST(ProcessTree, SubreaperAdoptsAndReapsAnOrphan) {
  ctrecord::SubreaperScope scope;
  const auto [child, grandchild] = fork_two_levels(true);
  const KillAtEnd cleanup{{grandchild}};
  ASSERT_GT(grandchild, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto found = ctrecord::live_descendants(::getpid());
  ASSERT_NE(find(found, grandchild), nullptr) << "the orphan must be re-parented to us";
  EXPECT_EQ(find(found, grandchild)->parent, ::getpid());

  ASSERT_EQ(::kill(grandchild, SIGKILL), 0);
  // Its exit is ours to collect; reap_children_except does, without blocking.
  std::size_t reaped = 0;
  for (int i = 0; i < 500 && reaped == 0; ++i) {
    reaped = ctrecord::reap_children_except(0);
    if (reaped == 0) ::usleep(10000);
  }
  EXPECT_EQ(reaped, 1u);
  EXPECT_FALSE(ctrecord::has_other_children(0));
}

TEST(ProcessTree, ReapingLeavesTheKeptChildAlone) {
  const pid_t kept = ::fork();
  if (kept == 0) ::_exit(3);
  ASSERT_GT(kept, 0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(kept), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(ctrecord::reap_children_except(kept), 0u);
  int status = 0;
  ASSERT_EQ(::waitpid(kept, &status, 0), kept) << "the kept child is still ours to reap";
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(ProcessTree, DescribeProcesses) {
  EXPECT_EQ(ctrecord::describe_processes({{12, 1, "sleep"}, {13, 12, "my prog"}}),
            "12 (sleep), 13 (my prog)");
  EXPECT_EQ(ctrecord::describe_processes({}), "");
}

}  // namespace
