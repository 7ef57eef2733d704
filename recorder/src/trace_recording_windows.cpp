// Windows back end: WinTraceRecording (file, writer host and sink of one trace) and
// record_child (spawn mode into a trace).
#include "ctrecord/trace_recording_windows.hpp"

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "ctrecord/errors.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_writer_host.hpp"
#include "ctrecord/win_text.hpp"

namespace ctrecord {

namespace {

// The trace file: binary (no "\r\n" translation), not inherited by child processes, and
// numbered 3 or above, so that a capture's _dup2 over descriptors 0-2 can never replace it
// (a process started without standard handles has them free).
UniqueFd create_trace_file(const std::string& path) {
  UniqueFd fd(::_wopen(wide_from_utf8(path).c_str(),
                       _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY | _O_NOINHERIT,
                       _S_IREAD | _S_IWRITE));
  if (!fd) throw EnvironmentError("open", path, errno);
  std::vector<UniqueFd> low;
  while (fd.get() < 3) {
    UniqueFd higher(::_dup(fd.get()));
    if (!higher) throw EnvironmentError("_dup", path, errno);
    low.push_back(std::move(fd));
    fd = std::move(higher);
  }
  // _dup made an inheritable handle: take that back.
  SetHandleInformation(reinterpret_cast<HANDLE>(::_get_osfhandle(fd.get())), HANDLE_FLAG_INHERIT,
                       0);
  return fd;
}

}  // namespace

WinTraceRecording::WinTraceRecording(WinTraceStart start) : path_(start.trace_path) {
  host_ = std::make_unique<TraceWriterHost>(
      std::make_unique<TraceFileWriter>(create_trace_file(path_), path_));
  sink_ = std::make_unique<IoEventSink>(*host_, clock_);
  StartEvent event =
      collect_start_metadata(std::move(start.argv), std::move(start.executable), start.policy,
                             std::move(start.stdin_mode), start.isatty);
  event.capture_mode = std::move(start.capture_mode);
  if (start.defer_start) {
    deferred_start_ = std::move(event);
  } else {
    sink_->post(std::move(event));
  }
}

void WinTraceRecording::post_start(std::int64_t child_pid) {
  if (!deferred_start_) return;
  deferred_start_->child_pid = child_pid;
  sink_->post(std::move(*deferred_start_));
  deferred_start_.reset();
}

WinTraceRecording::~WinTraceRecording() {
  try {
    finish();
  } catch (...) {
  }
}

ChunkHandler WinTraceRecording::chunk_handler(std::uint64_t producer) {
  return [this, producer](IoChunk chunk) {
    chunk.t_ns = clock_.now_ns();
    chunk.producer = chunk.stream == Stream::Stdin ? 0 : producer;
    sink_->on_chunk(std::move(chunk));
  };
}

ChunkHandler WinTraceRecording::chunk_handler() {
  return [this](IoChunk chunk) {
    chunk.t_ns = clock_.now_ns();
    sink_->on_chunk(std::move(chunk));
  };
}

std::optional<std::string> WinTraceRecording::finish() {
  if (finished_) return *finished_;
  post_start(0);  // a start event even when the child never ran
  finished_.emplace(host_->finish([this](const TraceWriterStats&) {
    EndEvent end;
    end.t_ns = clock_.now_ns();
    end.counters = sink_->counters();
    return end;
  }));
  return *finished_;
}

WinRecordResult record_child(const WinChildSpec& spec, const std::string& trace_path) {
  WinTraceStart start;
  start.trace_path = trace_path;
  for (const auto& arg : spec.argv) start.argv.push_back(utf8_from_wide(arg));
  start.executable = utf8_from_wide(spec.executable);
  start.capture_mode = "spawn";
  start.stdin_mode = spec.stdin_bytes ? "replayed" : "null";
  start.policy.io_capture_source = "default";
  start.defer_start = true;
  WinTraceRecording recording(std::move(start));

  WinRecordResult result;
  bool started = false;
  std::uint64_t spawn_ns = 0;
  WinChildSpec run = spec;
  run.on_started = [&](DWORD child_pid) {
    spawn_ns = recording.clock().now_ns();
    started = true;
    recording.post_start(static_cast<std::int64_t>(child_pid));
    if (spec.on_started) spec.on_started(child_pid);
  };
  try {
    // The producer of each chunk is the child's pid (stdin: 0), set by run_captured_child.
    result.child = run_captured_child(run, recording.chunk_handler());
  } catch (const std::exception& e) {
    recording.sink().note(NoteLevel::Error, std::string(started ? "recording the command failed: "
                                                                : "the command could not run: ") +
                                                e.what());
    recording.finish();
    throw;
  }
  const auto run_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(result.child.run_time).count());
  const std::uint64_t exit_ns = spawn_ns + run_ns;
  // run_captured_child returns once both output pipes reached their end or the drain timeout.
  if (!result.child.stdin_closed_reason.empty())
    recording.sink().on_stream_closed(Stream::Stdin, result.child.stdin_closed_reason);
  for (const Stream stream : {Stream::Stdout, Stream::Stderr}) {
    const auto& held = result.child.held_open;
    recording.sink().on_stream_closed(
        stream,
        std::find(held.begin(), held.end(), stream) != held.end() ? "drain-timeout" : "eof");
  }
  if (!result.child.held_open.empty()) {
    std::string names;
    for (Stream s : result.child.held_open)
      names += (names.empty() ? "" : " and ") + std::string(stream_name(s));
    recording.sink().note(NoteLevel::Warning,
                          names + " still held open by another process (a descendant?) " +
                              std::to_string(spec.drain_timeout.count()) +
                              " ms after the command exited; stopped reading it");
  }
  if (!result.child.read_error.empty())
    recording.sink().note(NoteLevel::Error,
                          "reading the command's output: " + result.child.read_error);
  ExitEvent exit;
  exit.t_ns = exit_ns;
  exit.exited = true;
  exit.code = static_cast<std::int32_t>(result.child.exit_code);
  exit.status = exit.code;
  exit.duration_ns = run_ns;
  recording.sink().post(exit);
  result.trace_error = recording.finish();
  result.counters = recording.sink().counters();
  return result;
}

}  // namespace ctrecord
