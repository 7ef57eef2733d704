// Child process start-up (POSIX back end: posix_spawn). The child gets exactly the three
// descriptors it is given as 0/1/2 plus whatever non-close-on-exec descriptors the recorder
// inherited; every descriptor the recorder opens is O_CLOEXEC. Signal mask and dispositions
// are the ones ctest-record inherited, never the recorder's own.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

namespace ctrecord {

struct ResolvedCommand {
  std::string path;  // what to execute (empty when not found)
  int error = 0;     // ENOENT (not found) or EACCES (found, not executable) when path is empty
};

// Finds `name` as execvp would: as given when it contains '/', otherwise in `path_env`
// (PATH; the default search path when null).
ResolvedCommand resolve_command(const std::string& name, const char* path_env);

inline constexpr int kCloseInChild = -1;

struct ChildSpec {
  std::vector<std::string> argv;
  std::string executable;             // resolved path
  std::array<int, 3> stdio{0, 1, 2};  // descriptor to become the child's fd i, or kCloseInChild
  sigset_t sigmask{};                 // the mask the child starts with
  std::vector<int> default_signals;   // reset to SIG_DFL in the child
  bool own_process_group = false;     // setpgid(0, 0) in the child
  const std::vector<std::string>* environment = nullptr;  // "NAME=VALUE"; null: ours
  std::string cwd;                                        // chdir there first ("" = stay)
  std::vector<int> inherit_fds;  // close-on-exec descriptors the child keeps, at the same number
  // A pty slave (e.g. /dev/pts/3): the child starts a new session (setsid) and opens it as
  // its controlling terminal, on each fd i with on_terminal[i] (stdio[i] is then unused).
  // own_process_group is implied (a session leader leads its own group).
  std::string controlling_terminal;
  std::array<bool, 3> on_terminal{};
};

// Starts the child. Returns its pid, or -errno when it could not be started (the exec failed:
// not found, not executable, ...).
pid_t spawn_child(const ChildSpec& spec);

// Shell-style status for a command that could not be started: 127 not found, 126 otherwise.
int spawn_failure_status(int err) noexcept;

}  // namespace ctrecord
