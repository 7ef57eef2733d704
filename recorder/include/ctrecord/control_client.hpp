// ControlClient: the C++ side of an integration on the control channel
// (docs/control-protocol.md), used by the GoogleTest listener. connect_from_env() finds the
// channel named by CTEST_RECORD_CONTROL, checks with fstat that the descriptor really is that
// socket (a stale value is ignored) and opens a private connection. Each call is a synchronous
// round trip. Errors never throw: the client disables itself and says why in error().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "ctrecord/control_protocol.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class ControlClient {
 public:
  // Null when the variable is absent, stale or in another form, or connecting failed (then
  // `why`, if given, says so; empty when there simply is no channel).
  static std::unique_ptr<ControlClient> connect_from_env(std::string* why = nullptr);
  static std::unique_ptr<ControlClient> connect_to(const control::Endpoint& endpoint,
                                                   std::string* why = nullptr);

  // Each returns false when the request failed (then the client is disabled).
  bool test_started(const std::string& test_id);
  bool test_finished(const std::string& test_id, const std::string& outcome,
                     std::uint64_t duration_ns);
  bool captured(const std::string& test_id, const std::string& section, const std::string& bytes);

  bool usable() const;
  std::string error() const;

 private:
  explicit ControlClient(UniqueFd connection) : connection_(std::move(connection)) {}
  bool round_trip(const control::Request& request);

  mutable std::mutex mutex_;
  UniqueFd connection_;
  std::string error_;
};

}  // namespace ctrecord
