// SignalRouting: turns the recorder's signals into readable events. Blocks SIGCHLD and the
// forwarded signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) for the whole process and reads them
// from a signalfd; ignores SIGPIPE so a closed console shows up as EPIPE. Remembers the
// inherited mask and dispositions so the child starts with those, and restores them on
// destruction. Create it before any thread starts (threads inherit the mask).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <vector>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

struct ReceivedSignal {
  int signo = 0;
  int code = 0;  // si_code: SI_USER (kill), SI_KERNEL (terminal), ...
  pid_t sender = 0;
};

class SignalRouting {
 public:
  SignalRouting();  // throws EnvironmentError
  ~SignalRouting();
  SignalRouting(const SignalRouting&) = delete;
  SignalRouting& operator=(const SignalRouting&) = delete;

  int fd() const noexcept { return fd_.get(); }
  std::vector<ReceivedSignal> read_pending();  // drains the signalfd (non-blocking)

  // What the child must start with.
  const sigset_t& inherited_mask() const noexcept { return inherited_mask_; }
  std::vector<int> signals_to_default_in_child() const;

  // Should `sig` received by the recorder be passed on to the child? Not when the terminal
  // sent it (the child, in the same process group, got it too) and not when ctest-record
  // inherited it as ignored.
  bool should_forward(const ReceivedSignal& sig) const;

  static const std::vector<int>& forwarded_signals();

 private:
  UniqueFd fd_;
  sigset_t inherited_mask_{};
  struct sigaction inherited_sigpipe_ {};
  std::vector<int> inherited_ignored_;
};

}  // namespace ctrecord
