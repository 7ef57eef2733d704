// SignalRouting: the recorder's signal set-up for spawn mode (a CLI, never the in-process
// library). SIGINT, SIGTERM, SIGHUP and SIGQUIT get a handler that forwards them to the child
// at once (whatever the poll loop is blocked in) unless the terminal sent them (the child, in
// the same process group, got those itself), and that wakes the loop through an eventfd.
// SIGCHLD is blocked and read from a signalfd. SIGPIPE is ignored so a closed console shows
// up as EPIPE, and SIGXFSZ so a trace beyond RLIMIT_FSIZE shows up as EFBIG (a disk-full
// error) instead of killing the recorder. A SIGCHLD inherited as ignored is reset to default
// (otherwise the kernel reaps the child and its status is lost). Everything is restored on
// destruction; the child starts with the inherited mask and dispositions. For a command on a
// pty, SIGWINCH is caught too (window changes are copied to the pty, not forwarded). One instance
// at a time; create it before any thread starts (threads inherit the mask).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <vector>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class SignalRouting {
 public:
  SignalRouting();  // throws EnvironmentError, InternalError if one exists already
  ~SignalRouting();
  SignalRouting(const SignalRouting&) = delete;
  SignalRouting& operator=(const SignalRouting&) = delete;

  // Where forwarded signals go (0: nowhere, e.g. once the child has been reaped). With
  // `whole_group` the child leads its own process group: signals go to the group, and the
  // terminal's signals are forwarded too (the group is not the terminal's foreground group).
  // `terminal_signals`: forward the terminal's signals too (the child runs on a pty of its
  // own, so the recorder's terminal does not reach it).
  void set_child(pid_t pid, bool whole_group = false, bool terminal_signals = false) noexcept;

  // For a command on a pty: SIGWINCH is caught (it wakes the loop through wake_fd()) so the
  // new size can be copied to the command's pty. Restored on destruction.
  void watch_window_changes();
  // True once per window change since the previous call.
  bool take_window_change() noexcept;

  int sigchld_fd() const noexcept { return sigchld_fd_.get(); }
  void drain_sigchld();  // empties the signalfd (non-blocking)

  // Readable when one of the forwarded signals arrived (from anyone, terminal included).
  int wake_fd() const noexcept { return wake_fd_.get(); }
  // The last such signal since the previous call (0: none); empties the wake fd.
  int take_received_signal() noexcept;

  // What the child must start with.
  const sigset_t& inherited_mask() const noexcept { return inherited_mask_; }
  std::vector<int> signals_to_default_in_child() const;

  static const std::vector<int>& forwarded_signals();

 private:
  UniqueFd sigchld_fd_;
  UniqueFd wake_fd_;
  sigset_t inherited_mask_{};
  struct sigaction inherited_sigpipe_ {};
  struct sigaction inherited_sigxfsz_ {};
  struct sigaction inherited_sigchld_ {};
  struct sigaction inherited_sigwinch_ {};
  bool watching_sigwinch_ = false;
  std::vector<std::pair<int, struct sigaction>> replaced_;  // forwarded signals we handle
};

}  // namespace ctrecord
