// SignalRouting: signalfd for SIGCHLD and forwarded signals, SIGPIPE ignored, and the
// inherited signal state kept for the child.
#include "ctrecord/signal_routing.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ctrecord/errors.hpp"

namespace ctrecord {

const std::vector<int>& SignalRouting::forwarded_signals() {
  static const std::vector<int> signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  return signals;
}

SignalRouting::SignalRouting() {
  sigset_t routed;
  sigemptyset(&routed);
  sigaddset(&routed, SIGCHLD);
  for (int sig : forwarded_signals()) {
    sigaddset(&routed, sig);
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      inherited_ignored_.push_back(sig);
    }
  }
  if (int err = ::pthread_sigmask(SIG_BLOCK, &routed, &inherited_mask_)) {
    throw EnvironmentError("pthread_sigmask", "", err);
  }
  fd_.reset(::signalfd(-1, &routed, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_) {
    int err = errno;
    ::pthread_sigmask(SIG_SETMASK, &inherited_mask_, nullptr);
    throw EnvironmentError("signalfd", "", err);
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &inherited_sigpipe_);
}

SignalRouting::~SignalRouting() {
  ::sigaction(SIGPIPE, &inherited_sigpipe_, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &inherited_mask_, nullptr);
}

std::vector<int> SignalRouting::signals_to_default_in_child() const {
  std::vector<int> result;
  // SIGPIPE is ignored here only for our own sake; the child gets what we inherited (an
  // inherited SIG_IGN survives exec by itself). Handlers never survive exec.
  if (inherited_sigpipe_.sa_handler != SIG_IGN) result.push_back(SIGPIPE);
  return result;
}

bool SignalRouting::should_forward(const ReceivedSignal& sig) const {
  if (sig.signo == SIGCHLD) return false;
  if (sig.code == SI_KERNEL) return false;  // from the terminal: the child got it already
  return std::find(inherited_ignored_.begin(), inherited_ignored_.end(), sig.signo) ==
         inherited_ignored_.end();
}

std::vector<ReceivedSignal> SignalRouting::read_pending() {
  std::vector<ReceivedSignal> result;
  signalfd_siginfo info[8];
  for (;;) {
    ssize_t n = ::read(fd_.get(), info, sizeof info);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      throw EnvironmentError("read", "signalfd", errno);
    }
    const auto count = static_cast<std::size_t>(n) / sizeof(signalfd_siginfo);
    for (std::size_t i = 0; i < count; ++i) {
      result.push_back({static_cast<int>(info[i].ssi_signo), info[i].ssi_code,
                        static_cast<pid_t>(info[i].ssi_pid)});
    }
    if (count < 8) break;
  }
  return result;
}

}  // namespace ctrecord
