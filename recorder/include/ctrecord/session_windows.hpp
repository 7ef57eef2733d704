// In-process capture, Windows back end (what ctrecord::Session, session.hpp, records into a
// trace on Windows: src/session_trace_windows.cpp): WinSession captures this process's stdin,
// stdout and stderr (CRT descriptors 0, 1 and 2 and the Win32 std handles) while the console stays
// live, handing each chunk to a ChunkHandler, and puts all three back on stop.
//
//   auto session = ctrecord::WinSession::start({.on_chunk = collect});
//   std::puts("hello");   // reaches the console AND the handler ("hello\r\n" in text mode)
//   session.stop();       // descriptors and std handles restored, threads joined
//
// start() flushes C stdio and C++ streams, creates a pipe, gives its CRT descriptor the
// original mode (text, binary, _O_U16TEXT...), installs it with _dup2 + SetStdHandle while
// the original OS handle is protected from the close _dup2 would do (kept for stop), and
// starts one reader thread per stream that mirrors to a duplicate of the original. stdin
// (capture_stdin, as on POSIX): a regular file is left in place and the bytes consumed by stop()
// are recorded (no read-ahead); any other stdin (pipe, console, NUL) is replaced by a pipe that a
// feeder thread fills from the original, recording what it fed; what was fed or read ahead but not
// consumed by stop() is counted (stdin_unconsumed_bytes: later readers of stdin will not see it); a
// closed descriptor 0 is left alone (stdin_capture_windows.hpp). stop() flushes, restores (the same
// handle values, so handles cached from GetStdHandle or _get_osfhandle before start keep
// working, and the same modes; std_stream_swap_windows.hpp), stops the
// feeder at once (a blocked ReadFile or WriteFile is cancelled), waits for the output pipes'
// end, joins the threads and closes every handle it opened: start/stop loops leave the handle
// count as it was. A child process that inherited an output pipe and still holds it: once a
// reader has waited `drain_timeout` in one ReadFile on the empty pipe, that ReadFile is
// cancelled (CancelSynchronousIo) and the report names the stream. Output still flowing
// (a slow mirror target, a slow handler) is never cut: each stream's timeout counts from the
// restore and restarts at every read, and only a ReadFile is ever cancelled. One session per
// process at a time (UsageError). No set_context barrier here: Session's set_context stamps
// the chunks read after it (docs/platform-contract.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctrecord/chunk_handler.hpp"

namespace ctrecord {

struct WinSessionOptions {
  // Required: called from the reader threads, one call at a time, in the order of the chunks'
  // t_ns. If it throws (anything) it is not called again; the streams are still read and
  // mirrored to their end and WinStopReport::read_error names the failure.
  ChunkHandler on_chunk;
  // Also write the captured bytes to the original streams: descriptor 1's (2's) file. A std
  // handle that was not descriptor 1's handle at start gets its raw WriteFile output captured,
  // but mirrored to descriptor 1's file (one pipe serves both).
  bool mirror = true;
  bool capture_stdin = true;  // false: descriptor 0 is left alone and not recorded
  // stop(): give up on a stream whose pipe stayed open but empty this long (another process
  // holds a write end); sampled every 10 ms.
  std::chrono::milliseconds drain_timeout{2000};
};

struct WinStopReport {
  std::string read_error;  // a stream's capture is incomplete: a read, the handler, or stdin's
                           // file range failed (the first such problem)
  std::vector<Stream> held_open;  // streams whose pipe was still open (and idle) at the drain
                                  // timeout: their end was not seen
  std::uint64_t stdin_unconsumed_bytes = 0;  // read ahead, never consumed by the program
  // Why the captured stdin ended: "file-consumed", "eof" (before stop) or "session-stopped";
  // "" when stdin was not captured (capture_stdin false, descriptor 0 closed).
  std::string stdin_closed_reason;
};

class WinSession {
 public:
  // Throws UsageError (a session is already active, no handler) or EnvironmentError (pipe,
  // _dup, _dup2 failures: nothing left changed).
  static WinSession start(WinSessionOptions options);

  WinSession(WinSession&&) noexcept;
  WinSession& operator=(WinSession&&) noexcept;
  ~WinSession();  // stops if still active

  // Restores stdin, stdout and stderr, waits for the readers. A second call returns the first
  // report. Throws UsageError when called from the chunk handler (it runs on a thread stop()
  // waits for; nothing is changed): stop from another thread. Destroying or move-assigning an
  // active session from the handler ends in std::terminate for the same reason.
  WinStopReport stop();
  bool active() const noexcept;

 private:
  struct Impl;
  explicit WinSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrecord
