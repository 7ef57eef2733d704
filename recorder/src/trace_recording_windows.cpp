// Windows back end: WinTraceRecording (file, writer host and sink of one trace) and
// record_child (spawn mode into a trace).
#include "ctrecord/trace_recording_windows.hpp"

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

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
  sink_->post(std::move(event));
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
    chunk.producer = producer;
    sink_->on_chunk(std::move(chunk));
  };
}

std::optional<std::string> WinTraceRecording::finish() {
  if (finished_) return *finished_;
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
  WinTraceRecording recording(std::move(start));

  WinRecordResult result;
  const std::uint64_t spawn_ns = recording.clock().now_ns();
  try {
    result.child = run_captured_child(spec, recording.chunk_handler(0));
  } catch (const EnvironmentError& e) {
    recording.sink().note(NoteLevel::Error, std::string("the command could not run: ") + e.what());
    recording.finish();
    throw;
  }
  const std::uint64_t exit_ns = recording.clock().now_ns();
  // run_captured_child returns once both output pipes reached their end.
  recording.sink().on_stream_closed(Stream::Stdout, "eof");
  recording.sink().on_stream_closed(Stream::Stderr, "eof");
  if (!result.child.read_error.empty())
    recording.sink().note(NoteLevel::Error,
                          "reading the command's output: " + result.child.read_error);
  ExitEvent exit;
  exit.t_ns = exit_ns;
  exit.exited = true;
  exit.code = static_cast<std::int32_t>(result.child.exit_code);
  exit.status = exit.code;
  exit.duration_ns = exit_ns - spawn_ns;
  recording.sink().post(exit);
  result.trace_error = recording.finish();
  result.counters = recording.sink().counters();
  return result;
}

}  // namespace ctrecord
