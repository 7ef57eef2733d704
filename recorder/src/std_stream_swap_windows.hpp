// Windows back end of in-process capture: StdStreamSwap puts a pipe behind one standard
// stream (CRT descriptor 1 or 2 and the matching Win32 std handle) and puts the original back.
//
// The trap: _dup2(pipe_fd, 1) closes the OS handle behind descriptor 1, which usually IS the
// process's std handle, and a program (or library) may have cached that value from
// GetStdHandle or _get_osfhandle. So the swap protects that handle from closing
// (HANDLE_FLAG_PROTECT_FROM_CLOSE) around the _dup2: the CRT drops it from descriptor 1
// without closing it, it stays ours during the capture (the mirror writes to it), and
// restore() makes it descriptor 1 again (_close + _open_osfhandle, free lower numbers filled
// with NUL meanwhile) and the std handle the very value it was. Afterwards descriptor 1, the
// std handle and every cached copy are the same handles as before start. During that
// restore the stdout FILE is locked; a raw _write(1) by another thread in that instant fails
// (EBADF). C stdio and C++ streams are flushed before each swap: CRT stdout on a pipe is
// fully buffered. The pipe's CRT descriptor gets the original descriptor's mode (text,
// binary, or a Unicode text mode such as _O_U16TEXT), so a text-mode program still writes
// "\r\n", a _O_U16TEXT one UTF-16LE; restore() sets it again.
#pragma once

#include <fcntl.h>
#include <windows.h>

#include "ctrecord/win_handle.hpp"

namespace ctrecord {

// flush_std_streams() and the wide C++ standard streams (wcout, wcerr, wclog).
void flush_standard_streams();

// _dup2(from, fd) that does not close fd's OS handle (protected from close around the call):
// the caller owns it afterwards. -1 with errno set on failure (nothing changed).
int dup2_keeping_handle(int from, int fd);
// Makes `handle` descriptor `fd` again, the same handle value (descriptor fd, open, is closed
// first), in `mode`. False when another thread took the number meanwhile: then fd holds a
// duplicate and `handle` stays open, held by no descriptor.
bool reinstall_handle(int fd, HANDLE handle, int mode) noexcept;

// The CRT gives a new descriptor the lowest free number, which is a standard descriptor when
// one of 0..2 is closed: a saved copy or a pipe would then BE the program's stdin (or stdout)
// during the capture. These keep them above 2; -1 with errno set on failure.
// _dup(fd) at a descriptor above 2.
int dup_above_std_fds(int fd);
// `fd` itself when it is above 2, else a copy above 2 with `fd` closed (on failure too).
int move_above_std_fds(int fd);
// The CRT descriptor's OS handle, or null when it is not open.
HANDLE crt_os_handle(int fd);

class StdStreamSwap {
 public:
  // Swaps in a new pipe for descriptor `fd` (1 or 2) / std handle `std_id`. Throws
  // EnvironmentError with nothing changed.
  StdStreamSwap(int fd, DWORD std_id);
  StdStreamSwap(const StdStreamSwap&) = delete;
  StdStreamSwap& operator=(const StdStreamSwap&) = delete;
  ~StdStreamSwap();

  // The pipe's read end (once): every write end closes at restore().
  UniqueHandle take_read_end() { return std::move(read_end_); }
  // Where the original stream goes (a duplicate of descriptor fd's handle; else the std
  // handle; null when neither is open). Valid until the object is destroyed.
  HANDLE console() const noexcept;
  // Puts the original stream back (flushing first). Idempotent; the saved copy stays open
  // (console()) until destruction.
  void restore() noexcept;

 private:
  int fd_;
  DWORD std_id_;
  HANDLE original_std_ = nullptr;  // GetStdHandle value at start (not owned)
  HANDLE kept_ = nullptr;          // descriptor fd_'s handle at start (null: not open)
  UniqueHandle mirror_;            // our duplicate of kept_
  int mode_ = _O_TEXT;             // fd_'s _setmode mode at start
  UniqueHandle read_end_;
  bool swapped_ = false;
};

}  // namespace ctrecord
