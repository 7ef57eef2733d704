// Windows back end of in-process capture: two StdStreamSwaps, their reader threads, the
// StdinCapture, and the one-session-per-process slot.
#include "ctrecord/session_windows.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

#include "ctrecord/errors.hpp"
#include "pipe_reader_windows.hpp"
#include "std_stream_swap_windows.hpp"
#include "stdin_capture_windows.hpp"

namespace ctrecord {

namespace {
std::atomic<bool> g_session_active{false};
}  // namespace

struct WinSession::Impl {
  explicit Impl(WinSessionOptions options)
      : mirror(options.mirror),
        capture_stdin(options.capture_stdin),
        drain_timeout(options.drain_timeout),
        sink(std::move(options.on_chunk)) {
    report.held_open.reserve(2);  // take_down() never allocates for it
  }

  // Declared in the order they are set up; stop() takes them down in reverse explicitly.
  bool mirror = true;
  bool capture_stdin = true;
  std::chrono::milliseconds drain_timeout;
  ChunkSink sink;
  std::optional<StdinCapture> stdin_capture;
  // Descriptor 0 closed at start: its std handle, which the CRT resets whenever a descriptor
  // passes through number 0 (dup_above_std_fds), put back after start and after stop.
  std::optional<HANDLE> closed_stdin_std;
  std::optional<StdStreamSwap> out_swap;
  std::optional<StdStreamSwap> err_swap;
  std::optional<PipeReader> out_reader;
  std::optional<PipeReader> err_reader;
  bool active = false;
  WinStopReport report;

  // The first problem goes into the report (noexcept: take_down() must finish).
  void note_error(const std::string& error) noexcept {
    if (!report.read_error.empty() || error.empty()) return;
    try {
      report.read_error = error;
    } catch (...) {
      report.read_error = "capture failed";  // fits the small-string buffer: no allocation
    }
  }

  void take_down() noexcept {
    // Stdin first: the original is back and the feeder stopped (never waits for input).
    if (stdin_capture) {
      const StdinCapture::Result stdin_result = stdin_capture->stop();
      report.stdin_unconsumed_bytes = stdin_result.unconsumed_bytes;
      report.stdin_closed_reason = stdin_result.closed_reason;
      note_error(stdin_result.error);
    }
    // Restore first: that closes the pipes' write ends, so the readers reach the end.
    if (err_swap) err_swap->restore();
    if (out_swap) out_swap->restore();
    // Both streams at once, each with the whole timeout, counted from here and restarted
    // while its bytes flow.
    PipeReader* readers[] = {out_reader ? &*out_reader : nullptr,
                             err_reader ? &*err_reader : nullptr};
    PipeReader::drain(readers, 2, drain_timeout);
    if (out_reader && out_reader->held_open()) report.held_open.push_back(Stream::Stdout);
    if (err_reader && err_reader->held_open()) report.held_open.push_back(Stream::Stderr);
    if (out_reader) note_error(out_reader->error());
    if (err_reader) note_error(err_reader->error());
    out_reader.reset();
    err_reader.reset();
    err_swap.reset();  // closes the mirrors' copies, after the readers stopped mirroring
    out_swap.reset();
    stdin_capture.reset();
    if (closed_stdin_std) SetStdHandle(STD_INPUT_HANDLE, *closed_stdin_std);
  }
};

WinSession WinSession::start(WinSessionOptions options) {
  if (!options.on_chunk) throw UsageError("WinSession::start: on_chunk is required");
  // Allocated first: a failure here must not leave the one-session slot taken.
  auto impl = std::make_unique<Impl>(std::move(options));
  if (g_session_active.exchange(true))
    throw UsageError("WinSession::start: a session is already active in this process");
  try {
    if (crt_os_handle(0) == nullptr) impl->closed_stdin_std = GetStdHandle(STD_INPUT_HANDLE);
    if (impl->capture_stdin) impl->stdin_capture.emplace(impl->sink);
    impl->out_swap.emplace(1, STD_OUTPUT_HANDLE);
    impl->err_swap.emplace(2, STD_ERROR_HANDLE);
    impl->out_reader.emplace(Stream::Stdout, impl->out_swap->take_read_end(),
                             impl->mirror ? impl->out_swap->console() : nullptr, impl->sink);
    impl->err_reader.emplace(Stream::Stderr, impl->err_swap->take_read_end(),
                             impl->mirror ? impl->err_swap->console() : nullptr, impl->sink);
  } catch (...) {
    impl->take_down();
    g_session_active = false;
    throw;
  }
  if (impl->closed_stdin_std) SetStdHandle(STD_INPUT_HANDLE, *impl->closed_stdin_std);
  impl->active = true;
  return WinSession(std::move(impl));
}

WinSession::WinSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WinSession::WinSession(WinSession&&) noexcept = default;
WinSession& WinSession::operator=(WinSession&& other) noexcept {
  if (this != &other) {
    if (impl_) stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
WinSession::~WinSession() {
  if (impl_) stop();
}

WinStopReport WinSession::stop() {
  if (!impl_) return {};
  if (impl_->active && impl_->sink.in_handler())
    throw UsageError(
        "WinSession::stop: called from the chunk handler, which runs on a reader thread that "
        "stop() waits for; stop from another thread");
  if (impl_->active) {
    impl_->take_down();
    impl_->active = false;
    g_session_active = false;
  }
  return impl_->report;
}

bool WinSession::active() const noexcept {
  return impl_ && impl_->active;
}

}  // namespace ctrecord
