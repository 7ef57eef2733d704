// Windows back end: PipeReader, one thread that reads a pipe with ReadFile until every write
// end is closed, mirrors each chunk to a console handle (when it has one) and hands it, tagged
// with its stream and the time it was read, to the capture's ChunkSink.
#pragma once

#include <windows.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>  // std::lock_guard
#include <string>
#include <thread>

#include "ctrecord/chunk_handler.hpp"
#include "ctrecord/win_handle.hpp"

namespace ctrecord {

// A lock that holds no kernel handle (SRWLOCK). Not std::mutex: with mingw-w64's posix
// threads libstdc++'s std::mutex has no destructor (std_mutex.h: __GTHREAD_MUTEX_INIT is
// defined, so pthread_mutex_destroy is never called), and winpthreads gives a contended mutex
// a kernel object: one per-session mutex could leak a handle per session.
class SrwLock {
 public:
  void lock() noexcept { AcquireSRWLockExclusive(&lock_); }
  void unlock() noexcept { ReleaseSRWLockExclusive(&lock_); }

 private:
  SRWLOCK lock_ = SRWLOCK_INIT;
};

// The chunks of one capture, serialised: one handler call at a time, times from one origin.
// A handler that throws (anything) is never called again: its error is kept (error()) and
// the capture goes on without it, so the program's streams keep flowing and mirroring.
class ChunkSink {
 public:
  // `producer` is every chunk's IoChunk::producer: this process (in-process capture) or, in
  // spawn mode, the child's pid (PROCESS_INFORMATION::dwProcessId).
  explicit ChunkSink(ChunkHandler handler, std::uint64_t producer = GetCurrentProcessId())
      : handler_(std::move(handler)),
        origin_(std::chrono::steady_clock::now()),
        producer_(producer) {}
  // Hands the chunk to the handler. Never throws. False when it was not handed on because
  // the handler failed (on this chunk or before).
  bool deliver(Stream stream, std::string bytes) noexcept;
  // The same from raw bytes (copied here: an allocation failure counts as a failure too).
  bool deliver(Stream stream, const char* bytes, std::size_t size) noexcept;
  // "" or the first handler failure, "chunk handler (stdout): what()".
  std::string error() const;
  // True when called from inside the handler (on the thread running it).
  bool in_handler() const noexcept { return handler_thread_.load() == GetCurrentThreadId(); }

 private:
  void fail(Stream stream, const char* what) noexcept;

  mutable SrwLock mutex_;
  ChunkHandler handler_;
  std::chrono::steady_clock::time_point origin_;
  std::uint64_t producer_;
  std::atomic<DWORD> handler_thread_{0};  // the thread in handler_, 0 when none
  bool failed_ = false;                   // under mutex_
  std::string error_;                     // under mutex_; may stay "" when building it failed
  Stream failed_stream_ = Stream::Stdout;
};

class PipeReader {
 public:
  // Starts reading `read_end` at once. `mirror` (not owned, may be null) must stay open
  // until join() returned.
  PipeReader(Stream stream, UniqueHandle read_end, HANDLE mirror, ChunkSink& sink);
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;
  ~PipeReader() { join(); }

  // Waits for the end of the stream (every write end closed). Idempotent.
  void join();
  // Waits for the end of each reader's stream (their write ends closed by the caller just
  // before), all at once, and joins them. A reader gives up only when it has sat in one
  // ReadFile on an empty pipe for `idle_timeout` (another process still holds a write end):
  // that ReadFile is cancelled (CancelSynchronousIo) and the reader is held_open(). The
  // timeout restarts whenever the reader returns from a read; a reader that is mirroring or
  // in the handler is never cancelled and never given up on, however slow (so a mirror
  // target or handler that blocks for ever blocks this too). Idle time is sampled every
  // 10 ms, so a timeout below that acts as about 10 ms. Null entries are skipped.
  static void drain(PipeReader* const* readers, std::size_t count,
                    std::chrono::milliseconds idle_timeout) noexcept;
  // The stream did not end by itself: drain() gave up on it. After join()/drain().
  bool held_open() const noexcept { return cancelled_ && !reached_end_; }
  // The read error that ended the stream early, or the handler failure that stopped this
  // stream's chunks from being handed on ("" at a clean end of the stream). After join().
  const std::string& error() const noexcept { return error_; }

 private:
  void run() noexcept;
  // Enters the ReadFile state unless cancelled (false: stop reading).
  bool enter_read() noexcept;
  void leave_read() noexcept;
  // Cancels the blocked ReadFile, if the thread is in one now (never its other I/O).
  void cancel_read() noexcept;
  void set_error(const char* call, DWORD err) noexcept;
  void set_handler_error() noexcept;

  Stream stream_;
  UniqueHandle read_end_;
  UniqueHandle finished_;  // manual-reset event, set when run() returns
  // The drain handshake. in_read_ is set (under state_lock_) just before ReadFile and cleared
  // (under state_lock_) just after, so a CancelSynchronousIo issued under state_lock_ while
  // in_read_ is set can only hit that ReadFile (or nothing, if it comes before the call: it
  // is then repeated), never the mirror's WriteFile or the handler's own I/O.
  SrwLock state_lock_;
  bool in_read_ = false;                 // under state_lock_
  std::atomic<bool> cancelled_{false};   // set under state_lock_
  std::atomic<std::uint64_t> reads_{0};  // ReadFile calls returned: progress
  bool reached_end_ = false;             // the thread's; ERROR_BROKEN_PIPE seen
  HANDLE mirror_;
  ChunkSink& sink_;
  std::string error_;
  std::unique_ptr<char[]> buffer_;  // allocated by the constructor, not the thread
  std::thread thread_;
};

// Writes all of `bytes` to `handle` (partial writes retried). False when a write failed or
// wrote nothing (a full PIPE_NOWAIT pipe: given up rather than spun on).
bool write_all(HANDLE handle, const char* bytes, std::size_t size) noexcept;

}  // namespace ctrecord
