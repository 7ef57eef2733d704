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
    chunk.producer = producer_;
    handler_thread_ = GetCurrentThreadId();
    handler_(std::move(chunk));
    handler_thread_ = 0;
    return true;
  } catch (const std::exception& e) {
    handler_thread_ = 0;
    fail(stream, e.what());
  } catch (...) {
    handler_thread_ = 0;
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
    if (!WriteFile(handle, bytes, request, &written, nullptr) || written == 0) return false;
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

bool PipeReader::enter_read() noexcept {
  std::lock_guard lock(state_lock_);
  if (cancelled_) return false;
  in_read_ = true;
  return true;
}

void PipeReader::leave_read() noexcept {
  std::lock_guard lock(state_lock_);
  in_read_ = false;
  reads_.fetch_add(1);
}

void PipeReader::cancel_read() noexcept {
  std::lock_guard lock(state_lock_);
  cancelled_ = true;
  // Not in ReadFile: the thread sees cancelled_ before its next read and ends.
  if (in_read_)
    CancelSynchronousIo(static_cast<HANDLE>(pthread_gethandle(thread_.native_handle())));
}

void PipeReader::drain(PipeReader* const* readers, std::size_t count,
                       std::chrono::milliseconds idle_timeout) noexcept {
  using Clock = std::chrono::steady_clock;
  constexpr std::size_t kMax = MAXIMUM_WAIT_OBJECTS;
  struct Watch {
    PipeReader* reader = nullptr;
    std::uint64_t reads = 0;
    Clock::time_point last_progress;
  };
  Watch watches[kMax];
  std::size_t watched = 0;
  const Clock::time_point start = Clock::now();
  constexpr std::chrono::milliseconds kPoll(10);
  if (idle_timeout < kPoll) idle_timeout = kPoll;  // at least one look at the reader
  for (std::size_t i = 0; i < count && watched < kMax; ++i) {
    PipeReader* reader = readers[i];
    if (reader == nullptr || !reader->thread_.joinable()) continue;
    watches[watched++] = Watch{reader, reader->reads_.load(), start};
  }
  for (;;) {
    HANDLE running[kMax];
    DWORD waiting = 0;
    for (std::size_t i = 0; i < watched; ++i)
      if (WaitForSingleObject(watches[i].reader->finished_.get(), 0) != WAIT_OBJECT_0)
        running[waiting++] = watches[i].reader->finished_.get();
    if (waiting == 0) break;
    WaitForMultipleObjects(waiting, running, FALSE, static_cast<DWORD>(kPoll.count()));
    const Clock::time_point now = Clock::now();
    for (std::size_t i = 0; i < watched; ++i) {
      Watch& watch = watches[i];
      PipeReader& reader = *watch.reader;
      if (WaitForSingleObject(reader.finished_.get(), 0) == WAIT_OBJECT_0) continue;
      if (reader.cancelled_) {
        reader.cancel_read();  // again: one issued just before the ReadFile began is lost
        continue;
      }
      bool idle_in_read = false;
      {
        std::lock_guard lock(reader.state_lock_);
        idle_in_read = reader.in_read_;
      }
      const std::uint64_t reads = reader.reads_.load();
      if (reads != watch.reads || !idle_in_read) {
        watch.reads = reads;  // bytes flow, or the thread is mirroring or in the handler
        watch.last_progress = now;
        continue;
      }
      if (now - watch.last_progress >= idle_timeout) reader.cancel_read();
    }
  }
  for (std::size_t i = 0; i < watched; ++i) watches[i].reader->join();
}

void PipeReader::run() noexcept {
  char* const buffer = buffer_.get();
  bool handed_on = true;  // false once the handler failed: read and mirror on, hand nothing on
  while (enter_read()) {
    DWORD got = 0;
    const BOOL ok = ReadFile(read_end_.get(), buffer, kBufferSize, &got, nullptr);
    const DWORD err = ok ? ERROR_SUCCESS : GetLastError();
    leave_read();
    if (!ok) {
      // ERROR_BROKEN_PIPE: every write end closed, the normal end of the stream.
      // ERROR_OPERATION_ABORTED: drain() gave up on a holder that never closes.
      if (err == ERROR_BROKEN_PIPE)
        reached_end_ = true;
      else if (!(err == ERROR_OPERATION_ABORTED && cancelled_))
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
