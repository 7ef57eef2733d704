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
#include "flush_std_streams.hpp"

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
  flush_std_streams();
  std::wcout.flush();
  std::wcerr.flush();
  std::wclog.flush();
}

int dup2_keeping_handle(int from, int fd) {
  const HANDLE kept = os_handle(fd);
  DWORD flags = 0;
  if (kept != nullptr && (!GetHandleInformation(kept, &flags) ||
                          !SetHandleInformation(kept, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                                                HANDLE_FLAG_PROTECT_FROM_CLOSE))) {
    errno = EBADF;
    return -1;
  }
  // The CRT's CloseHandle of `kept` fails (protected); it frees the slot all the same.
  const int result = _dup2(from, fd);
  if (kept != nullptr)
    SetHandleInformation(kept, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                         flags & HANDLE_FLAG_PROTECT_FROM_CLOSE);
  return result;
}

bool reinstall_handle(int fd, HANDLE handle, int mode) noexcept {
  // The lowest free number is what _open_osfhandle takes: fill the free ones below fd with
  // NUL first. A descriptor 0..2 opened or closed also sets its std handle: put those back.
  HANDLE std_before[3];
  const DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  for (int i = 0; i < 3; ++i) std_before[i] = GetStdHandle(std_ids[i]);
  int fillers[3];
  int filled = 0;
  while (filled < 3) {
    const int filler = _open("NUL", _O_RDONLY | _O_BINARY);
    if (filler == -1) break;
    if (filler >= fd) {
      _close(filler);
      break;
    }
    fillers[filled++] = filler;
  }
  _close(fd);  // the replacement (the pipe's end)
  const int opened = _open_osfhandle(reinterpret_cast<intptr_t>(handle), _O_TEXT);
  bool same = opened == fd;
  if (opened != -1 && opened != fd) {
    // Another thread took the number meanwhile: fd gets a duplicate, `handle` stays open (it
    // may be cached as the std handle) but no descriptor holds it.
    if (_dup2(opened, fd) == -1) same = false;
    DWORD flags = 0;
    const bool kept = GetHandleInformation(handle, &flags) &&
                      SetHandleInformation(handle, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                                           HANDLE_FLAG_PROTECT_FROM_CLOSE);
    _close(opened);
    if (kept)
      SetHandleInformation(handle, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                           flags & HANDLE_FLAG_PROTECT_FROM_CLOSE);
  }
  if (opened != -1) _setmode(fd, mode);
  for (int i = 0; i < filled; ++i) {
    _close(fillers[i]);
    SetStdHandle(std_ids[fillers[i]], std_before[fillers[i]]);
  }
  return same;
}

StdStreamSwap::StdStreamSwap(int fd, DWORD std_id) : fd_(fd), std_id_(std_id) {
  original_std_ = GetStdHandle(std_id);
  const HANDLE fd_handle = os_handle(fd);

  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, nullptr, 1 << 20)) throw last_win_error("CreatePipe", fd_name(fd));
  UniqueHandle read_end(read);
  UniqueHandle write_end(write);

  // _O_TEXT, _O_BINARY, or one of the Unicode text modes (_O_U16TEXT, _O_U8TEXT, _O_WTEXT),
  // which _open_osfhandle and _dup2 do not carry over: set with _setmode on each descriptor.
  int mode = _O_TEXT;
  UniqueHandle mirror;
  if (fd_handle != nullptr) {
    // The mirror's own copy: the program may close descriptor fd once it has it back.
    HANDLE copy = nullptr;
    if (!DuplicateHandle(GetCurrentProcess(), fd_handle, GetCurrentProcess(), &copy, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
      throw last_win_error("DuplicateHandle", fd_name(fd));
    mirror.reset(copy);
    mode = _setmode(fd, _O_BINARY);      // read the mode (there is no getter) ...
    if (mode != -1) _setmode(fd, mode);  // ... and put it back
    if (mode == -1) mode = _O_TEXT;
  }
  int pipe_fd = _open_osfhandle(reinterpret_cast<intptr_t>(write_end.get()), mode);
  if (pipe_fd != -1) write_end.release();  // pipe_fd owns it now
  // Above 2: with descriptor fd itself closed it would land there and be closed below.
  pipe_fd = move_above_std_fds(pipe_fd);
  if (pipe_fd == -1)
    throw EnvironmentError("_open_osfhandle " + fd_name(fd) + ": " + std::strerror(errno));
  _setmode(pipe_fd, mode);
  mode_ = mode;

  flush_standard_streams();
  if (dup2_keeping_handle(pipe_fd, fd) == -1) {
    const int err = errno;
    _close(pipe_fd);
    throw EnvironmentError("_dup2 " + fd_name(fd) + ": " + std::strerror(err));
  }
  _close(pipe_fd);  // descriptor fd is now the pipe's only write end
  _setmode(fd, mode);
  kept_ = fd_handle;  // ours until restore() gives it back to descriptor fd
  mirror_ = std::move(mirror);
  swapped_ = true;
  // The CRT sets the std handle of 0..2 in _dup2 already; say it explicitly all the same.
  SetStdHandle(std_id_, os_handle(fd_));
  read_end_ = std::move(read_end);
}

HANDLE StdStreamSwap::console() const noexcept {
  if (mirror_) return mirror_.get();
  return original_std_ == INVALID_HANDLE_VALUE ? nullptr : original_std_;
}

void StdStreamSwap::restore() noexcept {
  if (!swapped_) return;
  swapped_ = false;
  FILE* const stream = fd_ == 1 ? stdout : stderr;
  // Other threads' stdio waits for the moment descriptor fd_ is closed (no EBADF error flag).
  _lock_file(stream);
  flush_standard_streams();
  if (kept_ != nullptr) {
    reinstall_handle(fd_, kept_, mode_);  // closes the pipe's write end
  } else {
    _close(fd_);  // it was closed before: closed again (this closes the pipe's write end)
  }
  SetStdHandle(std_id_, original_std_);
  _unlock_file(stream);
}

StdStreamSwap::~StdStreamSwap() {
  restore();
}

}  // namespace ctrecord
