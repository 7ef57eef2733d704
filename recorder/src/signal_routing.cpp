// SignalRouting: forwarding handlers, SIGCHLD signalfd, SIGPIPE and SIGXFSZ ignored, inherited
// signal state kept for the child and restored on destruction.
#include "ctrecord/signal_routing.hpp"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "ctrecord/errors.hpp"

namespace ctrecord {

namespace {
// State the async-signal handler reads: lock-free atomics and a plain fd only.
std::atomic<pid_t> g_child{0};  // negative: a process group
std::atomic<bool> g_forward_terminal{false};
std::atomic<int> g_wake_fd{-1};
std::atomic<int> g_last_signal{0};
std::atomic<bool> g_instance{false};
std::atomic<bool> g_window_changed{false};
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void forward_signal(int sig, siginfo_t* info, void*) {
  const int saved_errno = errno;
  // SI_KERNEL: the terminal sent it to the whole foreground process group, child included.
  if (info == nullptr || info->si_code != SI_KERNEL || g_forward_terminal.load()) {
    const pid_t child = g_child.load();
    if (child != 0) ::kill(child, sig);
  }
  g_last_signal.store(sig);
  const std::uint64_t one = 1;
  const int fd = g_wake_fd.load();
  if (fd >= 0) (void)!::write(fd, &one, sizeof one);
  errno = saved_errno;
}
extern "C" void note_window_change(int) {
  const int saved_errno = errno;
  g_window_changed.store(true);
  const std::uint64_t one = 1;
  const int fd = g_wake_fd.load();
  if (fd >= 0) (void)!::write(fd, &one, sizeof one);
  errno = saved_errno;
}
}  // namespace

const std::vector<int>& SignalRouting::forwarded_signals() {
  static const std::vector<int> signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  return signals;
}

SignalRouting::SignalRouting() {
  if (g_instance.exchange(true)) throw InternalError("only one SignalRouting may exist at a time");
  try {
    wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_fd_) throw EnvironmentError("eventfd", "", errno);

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (int err = ::pthread_sigmask(SIG_BLOCK, &chld, &inherited_mask_)) {
      throw EnvironmentError("pthread_sigmask", "", err);
    }
    sigchld_fd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigchld_fd_) {
      const int err = errno;
      ::pthread_sigmask(SIG_SETMASK, &inherited_mask_, nullptr);
      throw EnvironmentError("signalfd", "", err);
    }
  } catch (...) {
    g_instance.store(false);
    throw;
  }
  g_wake_fd.store(wake_fd_.get());
  g_last_signal.store(0);

  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGCHLD, nullptr, &inherited_sigchld_);
  if (inherited_sigchld_.sa_handler == SIG_IGN) ::sigaction(SIGCHLD, &dfl, nullptr);

  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &inherited_sigpipe_);
  // A trace write beyond RLIMIT_FSIZE must fail with EFBIG (an incomplete trace, reported),
  // not kill the recorder and leave the command without its reader.
  ::sigaction(SIGXFSZ, &ignore, &inherited_sigxfsz_);

  struct sigaction forward {};
  forward.sa_sigaction = forward_signal;
  forward.sa_flags = SA_SIGINFO;  // no SA_RESTART: a blocked write returns EINTR, loops retry
  sigemptyset(&forward.sa_mask);
  for (int sig : forwarded_signals()) {
    struct sigaction current {};
    ::sigaction(sig, nullptr, &current);
    if (current.sa_handler == SIG_IGN) continue;  // inherited as ignored: stays ignored
    ::sigaction(sig, &forward, nullptr);
    replaced_.emplace_back(sig, current);
  }
}

SignalRouting::~SignalRouting() {
  if (watching_sigwinch_) ::sigaction(SIGWINCH, &inherited_sigwinch_, nullptr);
  for (const auto& [sig, action] : replaced_) ::sigaction(sig, &action, nullptr);
  ::sigaction(SIGPIPE, &inherited_sigpipe_, nullptr);
  ::sigaction(SIGXFSZ, &inherited_sigxfsz_, nullptr);
  drain_sigchld();
  ::sigaction(SIGCHLD, &inherited_sigchld_, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &inherited_mask_, nullptr);
  g_child.store(0);
  g_wake_fd.store(-1);
  g_instance.store(false);
}

void SignalRouting::watch_window_changes() {
  if (watching_sigwinch_) return;
  struct sigaction action {};
  action.sa_handler = note_window_change;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGWINCH, &action, &inherited_sigwinch_) != 0) {
    throw EnvironmentError("sigaction SIGWINCH", "", errno);
  }
  g_window_changed.store(false);
  watching_sigwinch_ = true;
}

bool SignalRouting::take_window_change() noexcept {
  return g_window_changed.exchange(false);
}

void SignalRouting::set_child(pid_t pid, bool whole_group, bool terminal_signals) noexcept {
  g_forward_terminal.store((whole_group || terminal_signals) && pid != 0);
  g_child.store(whole_group && pid > 0 ? -pid : pid);
}

std::vector<int> SignalRouting::signals_to_default_in_child() const {
  std::vector<int> result;
  // SIGPIPE and SIGXFSZ are ignored here only for our own sake; the child gets what we
  // inherited (an inherited SIG_IGN survives exec by itself). Handlers never survive exec. An
  // inherited ignored SIGCHLD cannot be handed on by posix_spawn: the child gets the default.
  if (inherited_sigpipe_.sa_handler != SIG_IGN) result.push_back(SIGPIPE);
  if (inherited_sigxfsz_.sa_handler != SIG_IGN) result.push_back(SIGXFSZ);
  return result;
}

void SignalRouting::drain_sigchld() {
  signalfd_siginfo info[8];
  while (::read(sigchld_fd_.get(), info, sizeof info) > 0) {
  }
}

int SignalRouting::take_received_signal() noexcept {
  std::uint64_t count = 0;
  while (::read(wake_fd_.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
  return g_last_signal.exchange(0);
}

}  // namespace ctrecord
