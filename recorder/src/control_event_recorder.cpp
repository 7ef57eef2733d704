// ControlEventRecorder: control-channel requests -> trace events, exactly ordered with the IO.
#include "ctrecord/control_event_recorder.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "ctrecord/log.hpp"

namespace ctrecord {

control::Reply ControlEventRecorder::on_request(const control::Request& request,
                                                const ControlClientInfo& client) {
  return std::visit(
      [&](const auto& r) -> control::Reply {
        using T = std::decay_t<decltype(r)>;
        if (r.test_id.empty()) return {false, "empty test id"};
        if constexpr (std::is_same_v<T, control::Captured>) {
          sink_.post(
              CapturedEvent{sink_.clock().now_ns(), r.test_id, r.section, r.bytes, client.pid});
          return {};
        } else {
          drain_();  // what the client wrote before asking belongs before the event
          TestEvent event;
          event.t_ns = sink_.clock().now_ns();
          event.test_id = r.test_id;
          event.producer = client.pid;
          if constexpr (std::is_same_v<T, control::TestStarted>) {
            event.phase = TestPhase::Started;
            running_.push_back({client.serial, r.test_id});
          } else {
            event.phase = TestPhase::Finished;
            event.outcome = r.outcome;
            event.duration_ns = r.duration_ns;
            // The latest matching start of this connection (ids may repeat, e.g. reruns).
            const auto it = std::find_if(running_.rbegin(), running_.rend(), [&](const Running& x) {
              return x.serial == client.serial && x.test_id == r.test_id;
            });
            if (it != running_.rend()) running_.erase(std::next(it).base());
          }
          sink_.post(std::move(event));
          update_context();
          return {};
        }
      },
      request);
}

void ControlEventRecorder::on_disconnect(const ControlClientInfo& client) {
  const auto before = running_.size();
  std::erase_if(running_, [&](const Running& x) { return x.serial == client.serial; });
  if (running_.size() != before) {
    log::debug("control client pid {} disconnected with {} test(s) running", client.pid,
               before - running_.size());
    update_context();
  }
}

void ControlEventRecorder::on_problem(const std::string& what) {
  // Into the trace every time; on the console once (the command's own output matters more).
  if (!problem_noted_) {
    sink_.note(NoteLevel::Warning, what);
    problem_noted_ = true;
  } else {
    sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Warning, what});
  }
}

void ControlEventRecorder::update_context() {
  sink_.set_context(running_.empty() ? std::string() : running_.back().test_id);
}

}  // namespace ctrecord
