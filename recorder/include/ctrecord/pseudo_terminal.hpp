// Pseudo-terminals for `ctest-record --tty`: opening a pty pair for the command, window sizes,
// and TerminalModeGuard, which puts the user's terminal in raw mode while the command owns the
// keyboard and puts back exactly what was there when it ends (destructor, every exit path
// that unwinds).
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <string>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

// How the command's standard streams meet a pty (RecordRequest::tty).
enum class TtyMode {
  None,        // pipes
  Merged,      // stdin, stdout and stderr on the pty: one output stream ("pty")
  StdoutOnly,  // stdin and stdout on the pty, stderr a pipe ("pty-stdout")
};

const char* tty_mode_name(TtyMode mode) noexcept;  // "", "pty", "pty-stdout"

struct WindowSize {
  std::uint16_t rows = 0;
  std::uint16_t cols = 0;
  std::uint16_t xpixel = 0;
  std::uint16_t ypixel = 0;
  bool operator==(const WindowSize&) const = default;
};

inline constexpr WindowSize kDefaultWindowSize{24, 80, 0, 0};

// The window size of the terminal `fd` refers to; nullopt when it is not a terminal or the
// size is unknown (0 x 0).
std::optional<WindowSize> window_size_of(int fd) noexcept;

// The recorder's end of a new pty. The command opens `slave_path` as its controlling
// terminal; `master` is close-on-exec and non-blocking.
struct PtyPair {
  UniqueFd master;
  std::string slave_path;
  // Kept open by the recorder until the command has opened its own, so the master never
  // sees a hang-up in between (a pty whose slave was never opened reads as EIO).
  UniqueFd slave;
};

// A new pty with the kernel's default settings (echo, canonical input, ^C for SIGINT, "\n"
// written as "\r\n": the same on every machine, so a replay sees the terminal the recording
// saw) and the given window size. Throws EnvironmentError.
PtyPair open_pty(const WindowSize& size);

// Sets the pty's window size; the kernel sends SIGWINCH to its foreground process group.
// Returns 0 or errno.
int set_window_size(int master_fd, const WindowSize& size) noexcept;

// Raw mode on a terminal for as long as the guard lives, as script(1) sets it: input byte by
// byte, no echo, no signals from keys (Ctrl-C reaches the command as a byte), no output
// processing (the console gets the pty's bytes exactly). The settings found at construction are
// restored exactly (TCSADRAIN, retried on EINTR) by the destructor or restore().
class TerminalModeGuard {
 public:
  // Does nothing when `fd` is not a terminal.
  explicit TerminalModeGuard(int fd);
  ~TerminalModeGuard() { restore(); }
  TerminalModeGuard(const TerminalModeGuard&) = delete;
  TerminalModeGuard& operator=(const TerminalModeGuard&) = delete;

  bool active() const noexcept { return active_; }
  void restore() noexcept;

 private:
  int fd_ = -1;
  bool active_ = false;
  termios saved_{};
};

}  // namespace ctrecord
