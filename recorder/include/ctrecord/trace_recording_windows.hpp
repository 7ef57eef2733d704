// Windows back end: one .ctrace being written, with the pieces and the format Linux uses
// (TraceFileWriter, TraceWriterHost, IoEventSink): the file is created and the start event
// posted on construction (or, with `defer_start`, by post_start once the child's pid is known);
// the capture (WinSession or run_captured_child) hands its chunks to
// chunk_handler(); finish() writes the End event and closes the file. ctrecord::Session
// (session.hpp) on Windows and record_child() below are built on it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/chunk_handler.hpp"
#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/spawn_windows.hpp"
#include "ctrecord/trace_events.hpp"

namespace ctrecord {

struct WinTraceStart {
  std::string trace_path;         // UTF-8; created or truncated (binary, not inheritable)
  std::vector<std::string> argv;  // UTF-8, recorded as the command
  std::string executable;         // UTF-8 full path
  std::string capture_mode;       // "spawn" or "in-process"
  std::string stdin_mode;         // as on Linux: "inherited", "null", "replayed", ...
  RecorderPolicy policy;          // capture_io and the environment recording
  std::array<bool, 3> isatty{};   // whether std handles 0/1/2 were consoles
  // The start event is collected on construction but posted by post_start() (spawn mode: it
  // carries the child's pid, known only once the child runs). finish() posts it if needed.
  bool defer_start = false;
};

class WinTraceRecording {
 public:
  // Creates the trace file and posts the start event. Throws EnvironmentError naming the
  // path and the system's message when the file cannot be created.
  explicit WinTraceRecording(WinTraceStart start);
  ~WinTraceRecording();  // finishes the trace if finish() was not called (errors dropped)
  WinTraceRecording(const WinTraceRecording&) = delete;
  WinTraceRecording& operator=(const WinTraceRecording&) = delete;

  // Posts the deferred start event with `child_pid` (once; no effect without defer_start).
  void post_start(std::int64_t child_pid);
  // Records each chunk it is given, stamped with this recording's clock at the time it was
  // handed over (the read time) and, for stdout and stderr, with `producer` (0: unknown);
  // stdin chunks keep producer 0, as on POSIX. Thread-safe.
  ChunkHandler chunk_handler(std::uint64_t producer);
  // The same, keeping the producer each chunk carries (run_captured_child sets the child's).
  ChunkHandler chunk_handler();
  IoEventSink& sink() noexcept { return *sink_; }
  const RecordingClock& clock() const noexcept { return clock_; }

  // Writes everything queued and the End event, closes the file. Returns the trace's error
  // (incomplete trace) if any. Once; later calls return the first result.
  std::optional<std::string> finish();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  RecordingClock clock_;
  std::unique_ptr<TraceWriterHost> host_;
  std::unique_ptr<IoEventSink> sink_;
  std::optional<StartEvent> deferred_start_;
  std::optional<std::optional<std::string>> finished_;
};

// Spawn mode with a trace: run_captured_child (spawn_windows.hpp) recording into
// `trace_path`: start event (capture_mode "spawn", stdin_mode "replayed" with stdin_bytes,
// else "null", child_pid; posted once the child runs, as on POSIX), the chunks (stdout and
// stderr with the child's pid as producer, stdin with 0), stream_closed for stdout and stderr
// ("eof", or "drain-timeout" with a warning note for a stream a descendant still held), the
// exit event (code and status: the exit code as a signed 32-bit value; duration measured
// around the run), the End event. Not recorded: CPU times and peak memory. spec.on_started,
// if set, is called after the start event was posted.
struct WinRecordResult {
  WinChildResult child;
  std::optional<std::string> trace_error;  // set when the trace is incomplete
  Counters counters;
};
// Throws EnvironmentError when the trace or the child cannot be created (then the trace, if
// it was created, ends with a note and the End event).
WinRecordResult record_child(const WinChildSpec& spec, const std::string& trace_path);

}  // namespace ctrecord
