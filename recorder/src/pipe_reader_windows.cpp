// Windows back end: the reader thread of one captured pipe (ReadFile loop, console mirror).
#include "pipe_reader_windows.hpp"

#include <pthread.h>

#include <exception>
#include <utility>
#include <vector>

#include "ctrecord/win_error.hpp"

namespace ctrecord {

void ChunkSink::deliver(Stream stream, std::string bytes) {
  IoChunk chunk;
  chunk.stream = stream;
  chunk.t_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::steady_clock::now() - origin_)
                                              .count());
  chunk.bytes = std::move(bytes);
  chunk.producer = GetCurrentProcessId();
  std::lock_guard lock(mutex_);
  if (handler_) handler_(std::move(chunk));
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
      sink_(sink) {
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

void PipeReader::run() {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(read_end_.get(), buffer.data(), static_cast<DWORD>(buffer.size()), &got,
                  nullptr)) {
      const DWORD err = GetLastError();
      // ERROR_BROKEN_PIPE: every write end closed, the normal end of the stream.
      // ERROR_OPERATION_ABORTED: join_within() gave up on a holder that never closes.
      if (err != ERROR_BROKEN_PIPE && !(err == ERROR_OPERATION_ABORTED && cancelled_))
        error_ = std::string("ReadFile ") + std::string(stream_name(stream_)) + ": " +
                 win_error_text(err);
      break;
    }
    if (got == 0) continue;  // a zero-byte write on the other end
    // A console that went away stops the mirror, never the capture.
    if (mirror_ != nullptr && !write_all(mirror_, buffer.data(), got)) mirror_ = nullptr;
    try {
      sink_.deliver(stream_, std::string(buffer.data(), got));
    } catch (const std::exception& e) {
      // A handler that throws ends the capture of this stream, never the process.
      error_ =
          std::string("chunk handler (") + std::string(stream_name(stream_)) + "): " + e.what();
      break;
    }
    if (cancelled_) break;
  }
  read_end_.reset();
}

}  // namespace ctrecord
