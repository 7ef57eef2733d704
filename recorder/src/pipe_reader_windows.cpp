// Windows back end: the reader thread of one captured pipe (ReadFile loop, console mirror).
#include "pipe_reader_windows.hpp"

#include <pthread.h>

#include <exception>
#include <utility>

#include "ctrecord/win_error.hpp"

namespace ctrecord {

namespace {
constexpr DWORD kBufferSize = 64 * 1024;
}  // namespace

bool ChunkSink::deliver(Stream stream, std::string bytes) noexcept {
  std::lock_guard lock(mutex_);
  if (failed_) return false;
  if (!handler_) return true;
  try {
    IoChunk chunk;
    chunk.stream = stream;
    chunk.t_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::steady_clock::now() - origin_)
                                                .count());
    chunk.bytes = std::move(bytes);
    chunk.producer = GetCurrentProcessId();
    handler_(std::move(chunk));
    return true;
  } catch (const std::exception& e) {
    fail(stream, e.what());
  } catch (...) {
    fail(stream, "an exception not derived from std::exception");
  }
  return false;
}

bool ChunkSink::deliver(Stream stream, const char* bytes, std::size_t size) noexcept {
  std::string copy;
  try {
    copy.assign(bytes, size);
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!failed_) fail(stream, "out of memory copying a chunk");
    return false;
  }
  return deliver(stream, std::move(copy));
}

void ChunkSink::fail(Stream stream, const char* what) noexcept {
  failed_ = true;
  failed_stream_ = stream;
  try {
    error_ = std::string("chunk handler (") + std::string(stream_name(stream)) + "): " + what;
  } catch (...) {
    error_.clear();  // error() says what it can
  }
}

std::string ChunkSink::error() const {
  std::lock_guard lock(mutex_);
  if (!failed_) return {};
  if (!error_.empty()) return error_;
  return std::string("chunk handler (") + std::string(stream_name(failed_stream_)) + ") failed";
}

bool write_all(HANDLE handle, const char* bytes, std::size_t size) noexcept {
  while (size > 0) {
    DWORD written = 0;
    const DWORD request = size > 0x10000000 ? 0x10000000 : static_cast<DWORD>(size);
    if (!WriteFile(handle, bytes, request, &written, nullptr)) return false;
    bytes += written;
    size -= written;
  }
  return true;
}

PipeReader::PipeReader(Stream stream, UniqueHandle read_end, HANDLE mirror, ChunkSink& sink)
    : stream_(stream),
      read_end_(std::move(read_end)),
      finished_(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
      mirror_(mirror),
      sink_(sink),
      buffer_(std::make_unique<char[]>(kBufferSize)) {
  if (!finished_) throw last_win_error("CreateEventW", std::string(stream_name(stream)));
  thread_ = std::thread([this] {
    run();
    SetEvent(finished_.get());
  });
}

void PipeReader::join() {
  if (thread_.joinable()) thread_.join();
}

bool PipeReader::join_within(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return !cancelled_;
  const DWORD wait_ms = static_cast<DWORD>(timeout.count());
  if (WaitForSingleObject(finished_.get(), wait_ms) != WAIT_OBJECT_0) {
    cancelled_ = true;
    // The thread may be between two ReadFile calls: cancel until it has finished.
    const HANDLE thread = static_cast<HANDLE>(pthread_gethandle(thread_.native_handle()));
    do {
      CancelSynchronousIo(thread);
    } while (WaitForSingleObject(finished_.get(), 10) != WAIT_OBJECT_0);
  }
  thread_.join();
  return !cancelled_;
}

void PipeReader::run() noexcept {
  char* const buffer = buffer_.get();
  bool handed_on = true;  // false once the handler failed: read and mirror on, hand nothing on
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(read_end_.get(), buffer, kBufferSize, &got, nullptr)) {
      const DWORD err = GetLastError();
      // ERROR_BROKEN_PIPE: every write end closed, the normal end of the stream.
      // ERROR_OPERATION_ABORTED: join_within() gave up on a holder that never closes.
      if (err != ERROR_BROKEN_PIPE && !(err == ERROR_OPERATION_ABORTED && cancelled_))
        set_error("ReadFile", err);
      break;
    }
    if (got == 0) continue;  // a zero-byte write on the other end
    // A console that went away stops the mirror, never the capture.
    if (mirror_ != nullptr && !write_all(mirror_, buffer, got)) mirror_ = nullptr;
    // A handler that fails ends the handing on, never the stream: the program's writes must
    // not fail (a closed read end would give them ERROR_NO_DATA, and C++ streams a sticky
    // badbit), and the mirror goes on.
    if (handed_on && !sink_.deliver(stream_, buffer, got)) {
      handed_on = false;
      set_handler_error();
    }
    if (cancelled_) break;
  }
  read_end_.reset();
}

void PipeReader::set_error(const char* call, DWORD err) noexcept {
  try {
    error_ =
        std::string(call) + " " + std::string(stream_name(stream_)) + ": " + win_error_text(err);
  } catch (...) {
    error_ = "read failed";  // fits the small-string buffer: no allocation
  }
}

void PipeReader::set_handler_error() noexcept {
  try {
    error_ = sink_.error();
  } catch (...) {
    error_ = "handler failed";
  }
}

}  // namespace ctrecord
