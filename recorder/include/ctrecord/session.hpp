// In-process capture: ctrecord::Session records this process's own fds 0/1/2 into a trace
// while the console stays live, and restores them exactly on stop.
//
//   auto session = ctrecord::Session::start({.trace_path = "unit.ctrace"});
//   std::puts("hello");          // reaches the console AND the trace
//   session.stop();              // fds restored, trace finished
//
// start() saves each std fd (fcntl F_DUPFD_CLOEXEC, 3), installs a pipe with dup2, and starts
// one relay thread that mirrors every byte to the saved fd and hands IoChunks to the same
// IoEventSink/TraceWriterHost as ctest-record. stdin: a regular file is left in place and the
// bytes consumed by stop() are recorded (no read-ahead); any other stdin is fed through a pipe
// by the relay thread, recording what it fed; bytes read ahead but not consumed by stop() are
// reported (warning + note with the count). stop() flushes C stdio and C++ streams, restores
// fds 0/1/2 (same open files, same FD_CLOEXEC bits; a closed fd is closed again), drains the
// pipes with a timeout (a forked child still holding a write end cannot hang it), joins the
// thread, closes everything it opened and finishes the trace. One session per process at a
// time: starting a second is a UsageError. A failure half-way through start() undoes
// everything it had done. The tool's own log lines go to the saved stderr, never the trace.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/trace_events.hpp"

namespace ctrecord {

struct SessionHooks {
  std::function<void()> after_start;  // runs right after capture started
  std::function<void()> before_stop;  // runs right before capture stops
};

struct SessionOptions {
  std::string trace_path;                         // required; created/truncated, mode 0600
  std::optional<bool> capture_io;                 // overrides CTEST_CAPTURE_IO when set
  bool capture_stdin = true;                      // false: fd 0 is left alone and not recorded
  std::chrono::milliseconds drain_timeout{2000};  // stop(): wait this long for pipe EOF
  SessionHooks hooks;
  std::vector<std::string> argv;  // recorded as the command; default /proc/self/cmdline
};

struct StopReport {
  std::optional<std::string> trace_error;    // set when the trace is incomplete
  std::vector<Stream> held_open;             // streams still open at the drain timeout
  std::uint64_t stdin_unconsumed_bytes = 0;  // read ahead, never consumed by the program
  Counters counters;
};

class Session {
 public:
  // Throws UsageError (a session is already active, empty trace path, bad CTEST_CAPTURE_IO)
  // or EnvironmentError (trace cannot be created, pipe/dup failures: nothing left changed).
  static Session start(SessionOptions options);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();  // stops if still active; errors are logged

  // Restores fds 0/1/2 and finishes the trace. A second call returns the first report.
  StopReport stop();
  bool active() const noexcept;
  const std::string& trace_path() const noexcept;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ThreadSnapshotStore front door: sets the calling thread's current context (e.g. the test
// "suite.test" that is running). While a session is active this is a barrier: C stdio and
// C++ streams are flushed and the relay thread takes everything already written to the pipes
// (stamped with the old context) before chunks are stamped with the new one. With fd-level
// capture the writing thread is unknown: chunks carry the context set most recently by any
// thread. An empty string clears it.
void set_context(const std::string& context);
// The context the calling thread set last ("" if none).
std::string current_context();

}  // namespace ctrecord
