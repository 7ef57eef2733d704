// POSIX back end of child start-up: PATH resolution and posix_spawn with exact stdio,
// signal mask and signal dispositions.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "ctrecord/spawn.hpp"

extern char** environ;

namespace ctrecord {

namespace {
bool is_executable_file(const std::string& path, int& err) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    err = errno;
    return false;
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    err = EACCES;
    return false;
  }
  return true;
}
}  // namespace

ResolvedCommand resolve_command(const std::string& name, const char* path_env) {
  if (name.empty()) return {"", ENOENT};
  if (name.find('/') != std::string::npos) {
    int err = 0;
    if (is_executable_file(name, err)) return {name, 0};
    return {"", err};
  }
  const std::string search = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  bool saw_not_executable = false;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = search.find(':', begin);
    std::string dir =
        search.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    int err = 0;
    if (is_executable_file(candidate, err)) return {candidate, 0};
    if (err == EACCES) saw_not_executable = true;
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return {"", saw_not_executable ? EACCES : ENOENT};
}

int spawn_failure_status(int err) noexcept {
  return (err == ENOENT || err == ENOTDIR) ? 127 : 126;
}

pid_t spawn_child(const ChildSpec& spec) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (int err = posix_spawn_file_actions_init(&actions)) return -err;
  if (int err = posix_spawnattr_init(&attr)) {
    posix_spawn_file_actions_destroy(&actions);
    return -err;
  }
  int err = 0;
  const bool terminal = !spec.controlling_terminal.empty();
  for (int target = 0; target < 3 && err == 0; ++target) {
    const int source = spec.stdio[static_cast<std::size_t>(target)];
    if (terminal && spec.on_terminal[static_cast<std::size_t>(target)]) continue;
    if (source == kCloseInChild) {
      err = posix_spawn_file_actions_addclose(&actions, target);
    } else {
      // dup2 onto itself clears FD_CLOEXEC (glibc >= 2.29), so inherited fds stay usable.
      err = posix_spawn_file_actions_adddup2(&actions, source, target);
    }
  }
  if (terminal) {
    // After setsid (done before the file actions), opening the pty without O_NOCTTY makes it
    // the controlling terminal of the new session.
    int first = -1;
    for (int target = 0; target < 3 && err == 0; ++target) {
      if (!spec.on_terminal[static_cast<std::size_t>(target)]) continue;
      if (first < 0) {
        first = target;
        err = posix_spawn_file_actions_addopen(&actions, target, spec.controlling_terminal.c_str(),
                                               O_RDWR, 0);
      } else {
        err = posix_spawn_file_actions_adddup2(&actions, first, target);
      }
    }
  }
  for (int fd : spec.inherit_fds) {
    if (err == 0) err = posix_spawn_file_actions_adddup2(&actions, fd, fd);
  }
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : spec.default_signals) sigaddset(&defaults, sig);
  if (err == 0 && !spec.cwd.empty()) {
    err = posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (terminal) {
    flags |= POSIX_SPAWN_SETSID;  // also a new process group: setpgid would fail (EPERM)
  } else if (spec.own_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    if (err == 0) err = posix_spawnattr_setpgroup(&attr, 0);
  }
  if (err == 0) err = posix_spawnattr_setsigmask(&attr, &spec.sigmask);
  if (err == 0) err = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (err == 0) err = posix_spawnattr_setflags(&attr, flags);

  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  std::vector<char*> envp;
  char** env = environ;
  if (spec.environment) {
    for (const auto& entry : *spec.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    env = envp.data();
  }
  pid_t pid = -1;
  if (err == 0) err = posix_spawn(&pid, spec.executable.c_str(), &actions, &attr, argv.data(), env);
  if (err == ENOEXEC) {
    // A script without a #! line: run it with /bin/sh, as execvp(3) and shells do.
    std::vector<char*> sh_argv{const_cast<char*>("/bin/sh"),
                               const_cast<char*>(spec.executable.c_str())};
    sh_argv.insert(sh_argv.end(), argv.begin() + 1, argv.end());
    err = posix_spawn(&pid, "/bin/sh", &actions, &attr, sh_argv.data(), env);
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return err == 0 ? pid : -err;
}

}  // namespace ctrecord
