// The front of ctrecord::Session (session.hpp), the same on every platform: one active session
// per process, the hooks, a repeated stop() returning the first report, and set_context(). The
// capture itself is the back end's SessionCapture (session_capture.hpp).
#include <cstdlib>
#include <mutex>
#include <thread>

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/session.hpp"
#include "ctrecord/thread_snapshot_store.hpp"
#include "session_capture.hpp"

namespace ctrecord {

RecorderPolicy session_policy(const SessionOptions& options) {
  RecorderPolicy policy = resolve_policy(std::getenv(kCaptureIoEnvVar), options.capture_io);
  if (options.capture_io) {
    policy.io_capture_source =
        *options.capture_io ? "option capture_io=true" : "option capture_io=false";
  }
  return policy;
}

namespace {

std::mutex g_session_mutex;  // one active capture per process; orders set_context vs stop
SessionCapture* g_active = nullptr;

}  // namespace

struct Session::Impl {
  std::unique_ptr<SessionCapture> capture;
  SessionHooks hooks;
  std::optional<StopReport> report;
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (active()) {
      try {
        stop();
      } catch (const std::exception& e) {
        log::error("stopping the capture session: {}", e.what());
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Session::~Session() {
  if (!active()) return;
  try {
    const StopReport report = stop();
    if (report.trace_error) log::error("the trace is incomplete: {}", *report.trace_error);
  } catch (const std::exception& e) {
    log::error("stopping the capture session: {}", e.what());
  }
}

Session Session::start(SessionOptions options) {
  if (options.trace_path.empty()) throw UsageError("Session::start needs a trace_path");
  SessionHooks hooks = options.hooks;
  auto impl = std::make_unique<Impl>();
  impl->hooks = hooks;
  impl->capture = make_session_capture(std::move(options));
  {
    std::lock_guard lock(g_session_mutex);
    if (g_active != nullptr) {
      throw UsageError("a capture session is already active in this process (" +
                       g_active->trace_path() + "); stop it before starting another");
    }
    impl->capture->start();
    g_active = impl->capture.get();
  }
  Session session(std::move(impl));
  if (hooks.after_start) hooks.after_start();  // a throwing hook stops the session (destructor)
  return session;
}

StopReport Session::stop() {
  if (!impl_) throw UsageError("stop() on a moved-from Session");
  if (impl_->report) return *impl_->report;
  if (impl_->hooks.before_stop) {
    try {
      impl_->hooks.before_stop();
    } catch (const std::exception& e) {
      log::error("before_stop hook failed: {}; stopping anyway", e.what());
    }
  }
  std::lock_guard lock(g_session_mutex);
  StopReport report = impl_->capture->stop();
  g_active = nullptr;
  impl_->report = report;
  return report;
}

bool Session::active() const noexcept {
  return impl_ && !impl_->report;
}

const std::string& Session::trace_path() const noexcept {
  static const std::string none;
  return impl_ ? impl_->capture->trace_path() : none;
}

void set_context(const std::string& context) {
  flush_std_streams();
  ThreadSnapshotStore::global().set(std::this_thread::get_id(), context);
  std::lock_guard lock(g_session_mutex);
  if (g_active != nullptr) g_active->context_changed(context);
}

std::string current_context() {
  return ThreadSnapshotStore::global().get(std::this_thread::get_id());
}

}  // namespace ctrecord
