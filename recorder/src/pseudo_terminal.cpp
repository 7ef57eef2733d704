// Pseudo-terminal pairs, window sizes and the raw-mode guard (POSIX, Linux-tested).
#include "ctrecord/pseudo_terminal.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/pipes.hpp"

namespace ctrecord {

const char* tty_mode_name(TtyMode mode) noexcept {
  switch (mode) {
    case TtyMode::None: return "";
    case TtyMode::Merged: return "pty";
    case TtyMode::StdoutOnly: return "pty-stdout";
  }
  return "";
}

std::optional<WindowSize> window_size_of(int fd) noexcept {
  winsize ws{};
  if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
    return std::nullopt;
  }
  return WindowSize{ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
}

int set_window_size(int master_fd, const WindowSize& size) noexcept {
  winsize ws{};
  ws.ws_row = size.rows;
  ws.ws_col = size.cols;
  ws.ws_xpixel = size.xpixel;
  ws.ws_ypixel = size.ypixel;
  return ::ioctl(master_fd, TIOCSWINSZ, &ws) == 0 ? 0 : errno;
}

PtyPair open_pty(const WindowSize& size) {
  PtyPair pty;
  pty.master = above_std_fds(UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)));
  if (!pty.master) throw EnvironmentError("posix_openpt", "/dev/ptmx", errno);
  if (::grantpt(pty.master.get()) != 0) throw EnvironmentError("grantpt", "/dev/ptmx", errno);
  if (::unlockpt(pty.master.get()) != 0) throw EnvironmentError("unlockpt", "/dev/ptmx", errno);
  char name[128];
  if (int err = ::ptsname_r(pty.master.get(), name, sizeof name)) {
    throw EnvironmentError("ptsname", "/dev/ptmx", err);
  }
  pty.slave_path = name;
  pty.slave = above_std_fds(UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)));
  if (!pty.slave) throw EnvironmentError("open", pty.slave_path, errno);
  if (int err = set_window_size(pty.master.get(), size)) {
    throw EnvironmentError("ioctl TIOCSWINSZ", pty.slave_path, err);
  }
  set_nonblocking(pty.master.get());
  return pty;
}

TerminalModeGuard::TerminalModeGuard(int fd) : fd_(fd) {
  if (fd < 0 || ::isatty(fd) != 1) return;
  if (::tcgetattr(fd, &saved_) != 0) {
    log::warning("cannot read the terminal's settings ({}); leaving it as it is",
                 std::strerror(errno));
    return;
  }
  termios raw = saved_;
  // As script(1) does: output untouched too (the command's pty already turned "\n" into
  // "\r\n"), so the console gets exactly the bytes the trace holds.
  ::cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  int r;
  do {
    r = ::tcsetattr(fd, TCSANOW, &raw);  // keeps keys typed ahead
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    log::warning("cannot put the terminal in raw mode ({}); keys are line-buffered",
                 std::strerror(errno));
    return;
  }
  active_ = true;
}

void TerminalModeGuard::restore() noexcept {
  if (!active_) return;
  active_ = false;
  int r;
  do {
    r = ::tcsetattr(fd_, TCSADRAIN, &saved_);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    log::warning("cannot restore the terminal's settings ({}); run 'stty sane'",
                 std::strerror(errno));
  }
}

}  // namespace ctrecord
