// The platform side of ctrecord::Session (session.hpp). session_front.cpp implements the
// Session front once (one active session per process, the hooks, a repeated stop(),
// set_context); each back end supplies the capture itself through make_session_capture():
// session.cpp on POSIX, session_trace_windows.cpp on Windows.
#pragma once

#include <memory>
#include <string>

#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/session.hpp"
#include "flush_std_streams.hpp"  // for both back ends

namespace ctrecord {

class SessionCapture {
 public:
  virtual ~SessionCapture() = default;
  // Swaps the pipes in. Throws (nothing left changed) as Session::start documents.
  virtual void start() = 0;
  // Restores the standard streams and finishes the trace; called once.
  virtual StopReport stop() = 0;
  // The calling thread set `context` (already in ThreadSnapshotStore, std streams flushed);
  // called under the session lock while this capture is active.
  virtual void context_changed(const std::string& context) = 0;
  virtual const std::string& trace_path() const noexcept = 0;
};

// The back end's capture for `options` (not started yet).
std::unique_ptr<SessionCapture> make_session_capture(SessionOptions options);

// The recorder policy of a session: CTEST_CAPTURE_IO, overridden by options.capture_io (then
// named as its source).
RecorderPolicy session_policy(const SessionOptions& options);

}  // namespace ctrecord
