// Windows back end of in-process capture: StdStreamSwap puts a pipe behind one standard
// stream (CRT descriptor 1 or 2 and the matching Win32 std handle) and puts the original back.
//
// The trap: _dup2(pipe_fd, 1) closes the OS handle behind descriptor 1, which usually IS the
// process's std handle. So the original is first saved with _dup (a duplicate handle that
// keeps the open file alive), and restored with _dup2 from that copy: afterwards descriptor
// 1 and GetStdHandle(STD_OUTPUT_HANDLE) refer to the same file as before, through a new
// handle value (the old value cannot be kept). A std handle that was NOT descriptor 1's
// handle is put back as the very same value. C stdio and C++ streams are flushed before each
// swap: CRT stdout on a pipe is fully buffered. The pipe's CRT descriptor gets the original
// descriptor's mode (text, binary, or a Unicode text mode such as _O_U16TEXT), so a
// text-mode program still writes "\r\n", a _O_U16TEXT one UTF-16LE; restore() sets it again.
#pragma once

#include <fcntl.h>
#include <windows.h>

#include "ctrecord/win_handle.hpp"

namespace ctrecord {

// fflush(nullptr) and the C++ standard streams.
void flush_standard_streams();

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
  // Where the original stream goes (the saved copy; null when it was closed). Valid until
  // the object is destroyed.
  HANDLE console() const noexcept;
  // Puts the original stream back (flushing first). Idempotent; the saved copy stays open
  // (console()) until destruction.
  void restore() noexcept;

 private:
  int fd_;
  DWORD std_id_;
  HANDLE original_std_ = nullptr;  // GetStdHandle value at start (not owned)
  bool std_was_fd_ = false;        // it was descriptor fd_'s own handle
  int saved_fd_ = -1;              // _dup of fd_ (-1: fd_ was not open)
  int mode_ = _O_TEXT;             // fd_'s _setmode mode at start
  UniqueHandle read_end_;
  bool swapped_ = false;
};

}  // namespace ctrecord
