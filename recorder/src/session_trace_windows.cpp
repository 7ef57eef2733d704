// ctrecord::Session (session.hpp) on Windows: the in-process capture of WinSession
// (session_windows.hpp: stdin, stdout and stderr) recorded into a trace by a WinTraceRecording,
// with the same start event (stdin_mode "forwarded", "file", "closed", or "inherited" when
// stdin is not captured), notes, stream_closed and End events as the POSIX session.cpp.
// Differences: set_context() stamps the chunks read after it but is no barrier (chunks written
// before it and not read yet get the new context); argv defaults to GetCommandLineW split
// by CommandLineToArgvW. The Session front is session_front.cpp, shared with POSIX.
// clang-format off
#include <windows.h>  // first: shellapi.h needs its types
#include <shellapi.h>
// clang-format on
#include <io.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/session.hpp"
#include "ctrecord/session_windows.hpp"
#include "ctrecord/thread_snapshot_store.hpp"
#include "ctrecord/trace_recording_windows.hpp"
#include "ctrecord/win_text.hpp"
#include "session_capture.hpp"

namespace ctrecord {

namespace {

std::vector<std::string> own_command_line() {
  std::vector<std::string> argv;
  int count = 0;
  wchar_t** args = CommandLineToArgvW(GetCommandLineW(), &count);
  if (args == nullptr) return argv;
  for (int i = 0; i < count; ++i) argv.push_back(utf8_from_wide(args[i]));
  LocalFree(args);
  return argv;
}

std::string own_executable() {
  std::wstring path(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(length);
  return utf8_from_wide(path);
}

bool is_console(DWORD std_id) {
  const HANDLE handle = GetStdHandle(std_id);
  DWORD mode = 0;
  return handle != nullptr && handle != INVALID_HANDLE_VALUE &&
         GetFileType(handle) == FILE_TYPE_CHAR && GetConsoleMode(handle, &mode) != 0;
}

// stdin_mode as session.cpp records it, for what StdinCapture will do with descriptor 0: a
// regular file stays in place ("file"), anything else is forwarded through a pipe.
std::string stdin_mode_of_descriptor_0() {
  const intptr_t handle = ::_get_osfhandle(0);
  if (handle == -1 || handle == -2) return "closed";
  return GetFileType(reinterpret_cast<HANDLE>(handle)) == FILE_TYPE_DISK ? "file" : "forwarded";
}

// A copy of descriptor 2 for the session's own log lines (descriptor 2 is a capture pipe
// while the session runs, and a log line must never become program output); not inherited.
int log_copy_of_stderr() {
  const int copy = ::_dup(2);
  if (copy >= 0) {
    SetHandleInformation(reinterpret_cast<HANDLE>(::_get_osfhandle(copy)), HANDLE_FLAG_INHERIT, 0);
  }
  return copy;
}

class InProcessCapture final : public SessionCapture {
 public:
  explicit InProcessCapture(SessionOptions options)
      : options_(std::move(options)), policy_(session_policy(options_)) {}

  void start() override {
    WinTraceStart start;
    start.trace_path = options_.trace_path;
    start.argv = options_.argv.empty() ? own_command_line() : options_.argv;
    start.executable = own_executable();
    start.capture_mode = "in-process";
    const bool capture_stdin = policy_.io_capture_enabled && options_.capture_stdin;
    start.stdin_mode = capture_stdin ? stdin_mode_of_descriptor_0() : "inherited";
    start.policy = policy_;
    start.isatty = {is_console(STD_INPUT_HANDLE), is_console(STD_OUTPUT_HANDLE),
                    is_console(STD_ERROR_HANDLE)};
    recording_.emplace(std::move(start));
    if (!policy_.io_capture_enabled) {
      recording_->sink().note(NoteLevel::Info, "I/O capture is off (" + policy_.io_capture_source +
                                                   "); the trace holds metadata only");
      return;
    }
    recording_->sink().set_context(ThreadSnapshotStore::global().latest());
    log_fd_ = log_copy_of_stderr();
    try {
      session_.emplace(WinSession::start(
          {.on_chunk = recording_->chunk_handler(static_cast<std::uint64_t>(GetCurrentProcessId())),
           .mirror = true,
           .capture_stdin = options_.capture_stdin,
           .drain_timeout = options_.drain_timeout}));
    } catch (...) {
      if (log_fd_ >= 0) ::_close(log_fd_);
      log_fd_ = -1;
      try {
        recording_->sink().note(NoteLevel::Error,
                                "in-process capture could not start; nothing was captured");
        recording_->finish();
      } catch (...) {
      }
      throw;
    }
    previous_log_fd_ = log::output_fd();
    log::set_output_fd(log_fd_);
  }

  StopReport stop() override {
    StopReport report;
    flush_std_streams();
    if (session_) {
      const WinStopReport stopped = session_->stop();
      session_.reset();
      log::set_output_fd(previous_log_fd_);
      if (log_fd_ >= 0) ::_close(log_fd_);
      log_fd_ = -1;
      report.held_open = stopped.held_open;
      report.stdin_unconsumed_bytes = stopped.stdin_unconsumed_bytes;
      IoEventSink& sink = recording_->sink();
      if (stopped.stdin_unconsumed_bytes > 0) {
        sink.note(NoteLevel::Warning,
                  fmt::format("{} bytes of stdin were read ahead but not consumed by the program "
                              "before stop; later readers of stdin will not see them",
                              stopped.stdin_unconsumed_bytes));
      }
      if (!stopped.read_error.empty())
        sink.note(NoteLevel::Error, "capture: reading the pipes: " + stopped.read_error);
      if (!stopped.stdin_closed_reason.empty())
        sink.on_stream_closed(Stream::Stdin, stopped.stdin_closed_reason);
      for (const Stream stream : {Stream::Stdout, Stream::Stderr}) {
        const bool held = std::find(report.held_open.begin(), report.held_open.end(), stream) !=
                          report.held_open.end();
        sink.on_stream_closed(stream, held ? "drain-timeout" : "eof");
      }
      if (!report.held_open.empty()) {
        std::string names;
        for (Stream s : report.held_open)
          names += (names.empty() ? "" : " and ") + std::string(stream_name(s));
        sink.note(NoteLevel::Warning,
                  fmt::format("stop: {} still held open by another process (a child?) after "
                              "the drain timeout of {} ms; stopped reading it",
                              names, options_.drain_timeout.count()));
      }
    }
    report.trace_error = recording_->finish();
    report.counters = recording_->sink().counters();
    return report;
  }

  void context_changed(const std::string& context) override {
    if (recording_) recording_->sink().set_context(context);
  }

  const std::string& trace_path() const noexcept override { return options_.trace_path; }

 private:
  SessionOptions options_;
  RecorderPolicy policy_;
  std::optional<WinTraceRecording> recording_;
  std::optional<WinSession> session_;
  int log_fd_ = -1;
  int previous_log_fd_ = 2;
};

}  // namespace

std::unique_ptr<SessionCapture> make_session_capture(SessionOptions options) {
  return std::make_unique<InProcessCapture>(std::move(options));
}

}  // namespace ctrecord
