// Windows back end: standard input captured in process (a file's consumed range, or a pipe fed
// by a thread), restored exactly (see the header).
#include "stdin_capture_windows.hpp"

#include <fcntl.h>
#include <io.h>
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <vector>

#include "ctrecord/win_error.hpp"
#include "std_stream_swap_windows.hpp"

namespace ctrecord {

namespace {

constexpr DWORD kChunk = 64 * 1024;
constexpr std::int64_t kFileChunk = 1 << 20;

HANDLE os_handle(int fd) {
  return crt_os_handle(fd);
}

UniqueHandle duplicate(HANDLE handle, const char* what) {
  HANDLE copy = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), handle, GetCurrentProcess(), &copy, 0, FALSE,
                       DUPLICATE_SAME_ACCESS))
    throw last_win_error("DuplicateHandle", what);
  return UniqueHandle(copy);
}

}  // namespace

StdinCapture::StdinCapture(ChunkSink& sink) : sink_(sink) {
  const HANDLE fd_handle = os_handle(0);
  if (fd_handle == nullptr) return;  // Mode::Closed: nothing to capture, nothing changed
  if (GetFileType(fd_handle) == FILE_TYPE_DISK) {
    file_ = duplicate(fd_handle, "stdin");
    if (!SetFilePointerEx(file_.get(), LARGE_INTEGER{}, &start_position_, FILE_CURRENT))
      throw last_win_error("SetFilePointerEx", "stdin");
    mode_ = Mode::File;
    return;
  }
  start_forwarding(fd_handle);
  mode_ = Mode::Forwarded;
}

void StdinCapture::start_forwarding(HANDLE fd_handle) {
  original_std_ = GetStdHandle(STD_INPUT_HANDLE);
  source_is_pipe_ = GetFileType(fd_handle) == FILE_TYPE_PIPE;

  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, nullptr, 1 << 20)) throw last_win_error("CreatePipe", "stdin");
  UniqueHandle read_end(read);
  UniqueHandle write_end(write);
  UniqueHandle read_copy = duplicate(read_end.get(), "stdin pipe");
  UniqueHandle finished(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!finished) throw last_win_error("CreateEventW", "stdin");
  buffer_ = std::make_unique<char[]>(kChunk);  // here, not in the feeder thread

  text_mode_ = _setmode(0, _O_BINARY);            // read the mode (there is no getter) ...
  if (text_mode_ != -1) _setmode(0, text_mode_);  // ... and put it back
  if (text_mode_ == -1) text_mode_ = _O_TEXT;
  // The feeder's own copy of the original (the program may close descriptor 0 once it has it
  // back); descriptor 0's handle itself is kept out of the CRT's close and given back at stop.
  UniqueHandle source = duplicate(fd_handle, "stdin");
  int pipe_fd = _open_osfhandle(reinterpret_cast<intptr_t>(read_end.get()), text_mode_ | _O_RDONLY);
  if (pipe_fd != -1) read_end.release();  // pipe_fd owns it now
  pipe_fd = move_above_std_fds(pipe_fd);
  if (pipe_fd == -1)
    throw EnvironmentError(std::string("_open_osfhandle stdin: ") + std::strerror(errno));
  _setmode(pipe_fd, text_mode_);  // a Unicode text mode is not taken by _open_osfhandle
  if (dup2_keeping_handle(pipe_fd, 0) == -1) {
    const int err = errno;
    _close(pipe_fd);
    throw EnvironmentError(std::string("_dup2 fd 0: ") + std::strerror(err));
  }
  _close(pipe_fd);  // descriptor 0 is now the pipe's read end (and our copy)
  _setmode(0, text_mode_);
  // The CRT sets the std handle of 0..2 in _dup2 already; say it explicitly all the same.
  SetStdHandle(STD_INPUT_HANDLE, os_handle(0));
  kept_ = fd_handle;
  source_copy_ = std::move(source);
  source_ = source_copy_.get();
  swapped_ = true;
  pipe_read_copy_ = std::move(read_copy);
  pipe_write_ = std::move(write_end);
  finished_ = std::move(finished);
  try {
    thread_ = std::thread([this] {
      feed();
      SetEvent(finished_.get());
    });
  } catch (...) {
    stop();  // puts descriptor 0 back
    throw;
  }
}

void StdinCapture::set_error(const char* what, DWORD err) noexcept {
  if (!error_.empty()) return;
  try {
    error_ = std::string(what) + ": " + win_error_text(err);
  } catch (...) {
    error_ = "stdin failed";  // fits the small-string buffer: no allocation
  }
}

void StdinCapture::feed() noexcept {
  char* const buffer = buffer_.get();
  bool handed_on = true;  // false once the handler failed: feed on, hand nothing on
  while (!cancelled_) {
    DWORD got = 0;
    if (!ReadFile(source_, buffer, kChunk, &got, nullptr)) {
      const DWORD err = GetLastError();
      // ERROR_BROKEN_PIPE: the original's writers are gone, its normal end.
      // ERROR_OPERATION_ABORTED: stop() cancelled the read.
      if (err == ERROR_BROKEN_PIPE) source_ended_ = true;
      if (err != ERROR_BROKEN_PIPE && !(err == ERROR_OPERATION_ABORTED && cancelled_))
        set_error("ReadFile stdin", err);
      break;
    }
    if (got == 0) {
      if (source_is_pipe_) continue;  // a zero-byte write on the other end
      source_ended_ = true;           // the end of a file, NUL or a console's ^Z
      break;
    }
    if (cancelled_) {  // read just as stop() began: fd 0 is the original again
      unfed_bytes_ += got;
      break;
    }
    DWORD fed = 0;
    DWORD write_error = ERROR_SUCCESS;
    while (fed < got) {
      DWORD written = 0;
      if (!WriteFile(pipe_write_.get(), buffer + fed, got - fed, &written, nullptr)) {
        write_error = GetLastError();
        break;
      }
      fed += written;
    }
    unfed_bytes_ += got - fed;
    // A handler that fails ends the handing on, never the feeding: the program still gets
    // its stdin.
    if (fed > 0 && handed_on && !sink_.deliver(Stream::Stdin, buffer, fed)) {
      handed_on = false;
      if (error_.empty()) {
        try {
          error_ = sink_.error();
        } catch (...) {
          error_ = "handler failed";
        }
      }
    }
    if (write_error != ERROR_SUCCESS) {
      if (!(write_error == ERROR_OPERATION_ABORTED && cancelled_))
        set_error("WriteFile stdin pipe", write_error);
      break;
    }
  }
  pipe_write_.reset();  // the program reads the end of its stdin
}

std::uint64_t StdinCapture::drain_pipe() noexcept {
  std::uint64_t drained = 0;
  char buffer[16 * 1024];
  for (;;) {
    DWORD available = 0;
    if (!PeekNamedPipe(pipe_read_copy_.get(), nullptr, 0, nullptr, &available, nullptr) ||
        available == 0)
      return drained;
    DWORD got = 0;
    // `available` bytes are there, so this read returns at once.
    if (!ReadFile(pipe_read_copy_.get(), buffer,
                  std::min<DWORD>(available, static_cast<DWORD>(sizeof buffer)), &got, nullptr) ||
        got == 0)
      return drained;
    drained += got;
  }
}

StdinCapture::Result StdinCapture::record_file_range() noexcept {
  try {
    return record_file_range_or_throw();
  } catch (...) {
    Result result;
    result.error = "stdin failed";  // out of memory: fits the small-string buffer
    return result;
  }
}

StdinCapture::Result StdinCapture::record_file_range_or_throw() {
  Result result;
  LARGE_INTEGER end{};
  if (!SetFilePointerEx(file_.get(), LARGE_INTEGER{}, &end, FILE_CURRENT)) {
    result.error = "stdin is a file but its position cannot be read (" +
                   win_error_text(GetLastError()) + "); consumed stdin not recorded";
    return result;
  }
  if (end.QuadPart < start_position_.QuadPart) {
    result.error = "stdin's position moved backwards; the consumed part of stdin is not recorded";
    return result;
  }
  std::vector<char> buffer;
  std::int64_t offset = start_position_.QuadPart;
  while (offset < end.QuadPart) {
    buffer.resize(static_cast<std::size_t>(std::min(end.QuadPart - offset, kFileChunk)));
    OVERLAPPED at{};  // a positioned read (which moves the shared position: put back below)
    at.Offset = static_cast<DWORD>(offset & 0xffffffff);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD got = 0;
    if (!ReadFile(file_.get(), buffer.data(), static_cast<DWORD>(buffer.size()), &got, &at) ||
        got == 0) {
      result.error = "stdin file could not be read back at offset " + std::to_string(offset) +
                     ": " +
                     (got == 0 ? std::string("file shrank") : win_error_text(GetLastError()));
      break;
    }
    if (!sink_.deliver(Stream::Stdin, buffer.data(), got)) {
      result.error = sink_.error();
      break;
    }
    offset += got;
  }
  SetFilePointerEx(file_.get(), end, nullptr, FILE_BEGIN);
  return result;
}

StdinCapture::Result StdinCapture::stop() noexcept {
  if (stopped_) return {};
  stopped_ = true;
  if (mode_ == Mode::File) {
    Result result = record_file_range();
    file_.reset();
    if (result.error.empty()) result.closed_reason = "file-consumed";
    return result;
  }
  if (!swapped_) return {};
  // The original first: from here on the program reads its real stdin again.
  // (No stdin FILE lock here, unlike stdout's: a thread blocked in fgets(stdin) holds it.)
  reinstall_handle(0, kept_, text_mode_);  // closes descriptor 0's pipe read end (our copy stays)
  SetStdHandle(STD_INPUT_HANDLE, original_std_);
  swapped_ = false;

  std::uint64_t in_pipe = 0;
  if (thread_.joinable()) {
    cancelled_ = true;
    const HANDLE thread = static_cast<HANDLE>(pthread_gethandle(thread_.native_handle()));
    // The feeder may be blocked reading the original (nothing to read) or writing into the
    // full pipe (the program stopped reading), or between the two: cancel until it returns,
    // draining the pipe so that a write can finish anyway.
    while (WaitForSingleObject(finished_.get(), 0) != WAIT_OBJECT_0) {
      CancelSynchronousIo(thread);
      in_pipe += drain_pipe();
      WaitForSingleObject(finished_.get(), 10);
    }
    thread_.join();
  }
  in_pipe += drain_pipe();
  pipe_read_copy_.reset();
  pipe_write_.reset();
  finished_.reset();
  source_ = nullptr;
  source_copy_.reset();
  return Result{in_pipe + unfed_bytes_, error_, source_ended_ ? "eof" : "session-stopped"};
}

StdinCapture::~StdinCapture() {
  stop();
}

}  // namespace ctrecord
