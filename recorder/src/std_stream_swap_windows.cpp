// Windows back end: one standard stream swapped to a pipe and back (CRT descriptor + std
// handle), with the _dup2 trap handled (see the header).
#include "std_stream_swap_windows.hpp"

#include <fcntl.h>
#include <io.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "ctrecord/win_error.hpp"

namespace ctrecord {

namespace {

std::string fd_name(int fd) {
  return "fd " + std::to_string(fd);
}

HANDLE os_handle(int fd) {
  return crt_os_handle(fd);
}

}  // namespace

HANDLE crt_os_handle(int fd) {
  const intptr_t handle = _get_osfhandle(fd);
  return handle == -1 || handle == -2 ? nullptr : reinterpret_cast<HANDLE>(handle);
}

int dup_above_std_fds(int fd) {
  int low[3];
  int held = 0;
  int copy = _dup(fd);
  while (copy != -1 && copy < 3 && held < 3) {
    low[held++] = copy;
    copy = _dup(fd);
  }
  const int err = errno;
  for (int i = 0; i < held; ++i) _close(low[i]);  // closed again (the std handle: see session)
  errno = err;
  return copy;
}

int move_above_std_fds(int fd) {
  if (fd == -1 || fd > 2) return fd;
  const int copy = dup_above_std_fds(fd);
  const int err = errno;
  _close(fd);
  errno = err;
  return copy;
}

void flush_standard_streams() {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::clog.flush();
  std::wcout.flush();
  std::wcerr.flush();
  std::wclog.flush();
}

StdStreamSwap::StdStreamSwap(int fd, DWORD std_id) : fd_(fd), std_id_(std_id) {
  original_std_ = GetStdHandle(std_id);
  const HANDLE fd_handle = os_handle(fd);
  std_was_fd_ = fd_handle != nullptr && fd_handle == original_std_;

  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, nullptr, 1 << 20)) throw last_win_error("CreatePipe", fd_name(fd));
  UniqueHandle read_end(read);
  UniqueHandle write_end(write);

  // _O_TEXT, _O_BINARY, or one of the Unicode text modes (_O_U16TEXT, _O_U8TEXT, _O_WTEXT),
  // which _open_osfhandle and _dup2 do not carry over: set with _setmode on each descriptor.
  int mode = _O_TEXT;
  if (fd_handle != nullptr) {
    saved_fd_ = dup_above_std_fds(fd);
    if (saved_fd_ == -1)
      throw EnvironmentError("_dup " + fd_name(fd) + ": " + std::strerror(errno));
    mode = _setmode(fd, _O_BINARY);      // read the mode (there is no getter) ...
    if (mode != -1) _setmode(fd, mode);  // ... and put it back
    if (mode == -1) mode = _O_TEXT;
  }
  int pipe_fd = _open_osfhandle(reinterpret_cast<intptr_t>(write_end.get()), mode);
  if (pipe_fd != -1) write_end.release();  // pipe_fd owns it now
  // Above 2: with descriptor fd itself closed it would land there and be closed below.
  pipe_fd = move_above_std_fds(pipe_fd);
  if (pipe_fd == -1) {
    const int err = errno;
    if (saved_fd_ != -1) _close(saved_fd_);
    saved_fd_ = -1;
    throw EnvironmentError("_open_osfhandle " + fd_name(fd) + ": " + std::strerror(err));
  }
  _setmode(pipe_fd, mode);
  mode_ = mode;

  flush_standard_streams();
  if (_dup2(pipe_fd, fd) == -1) {
    const int err = errno;
    _close(pipe_fd);
    if (saved_fd_ != -1) _close(saved_fd_);
    saved_fd_ = -1;
    throw EnvironmentError("_dup2 " + fd_name(fd) + ": " + std::strerror(err));
  }
  _close(pipe_fd);  // descriptor fd is now the pipe's only write end
  _setmode(fd, mode);
  swapped_ = true;
  // The CRT sets the std handle of 0..2 in _dup2 already; say it explicitly all the same.
  SetStdHandle(std_id_, os_handle(fd_));
  read_end_ = std::move(read_end);
}

HANDLE StdStreamSwap::console() const noexcept {
  if (saved_fd_ != -1) return os_handle(saved_fd_);
  return original_std_ == INVALID_HANDLE_VALUE ? nullptr : original_std_;
}

void StdStreamSwap::restore() noexcept {
  if (!swapped_) return;
  swapped_ = false;
  flush_standard_streams();
  if (saved_fd_ != -1) {
    _dup2(saved_fd_, fd_);  // closes the pipe's write end
    _setmode(fd_, mode_);
  } else {
    _close(fd_);  // it was closed before: closed again (this closes the pipe's write end)
  }
  SetStdHandle(std_id_, std_was_fd_ ? os_handle(fd_) : original_std_);
}

StdStreamSwap::~StdStreamSwap() {
  restore();
  if (saved_fd_ != -1) _close(saved_fd_);
}

}  // namespace ctrecord
