// ControlEventRecorder: what the spawn-mode recorder does with control-channel requests. For a
// test started/finished it first takes everything already in the capture pipes (`drain`), then
// records the TestEvent and updates the context stamped on IO chunks; captured sections become
// CapturedEvents. Keeps the set of running tests (per connection) so the context is the most
// recently started test still running, and a client that disconnects mid-test stops counting.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ctrecord/control_server.hpp"
#include "ctrecord/io_event_sink.hpp"

namespace ctrecord {

class ControlEventRecorder : public ControlHandler {
 public:
  ControlEventRecorder(IoEventSink& sink, std::function<void()> drain)
      : sink_(sink), drain_(std::move(drain)) {}

  control::Reply on_request(const control::Request& request,
                            const ControlClientInfo& client) override;
  void on_disconnect(const ControlClientInfo& client) override;
  void on_problem(const std::string& what) override;

 private:
  struct Running {
    std::uint64_t serial;
    std::string test_id;
  };
  void update_context();

  IoEventSink& sink_;
  std::function<void()> drain_;
  std::vector<Running> running_;  // in start order
  bool problem_noted_ = false;
};

}  // namespace ctrecord
