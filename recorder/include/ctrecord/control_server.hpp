// ControlServer: the recorder's end of the control channel (docs/control-protocol.md). Owns an
// AF_UNIX SOCK_SEQPACKET socket pair: the command inherits one end (named to it by
// CTEST_RECORD_CONTROL=fd:N:DEV:INO), on the other the server receives each client's private
// SOCK_STREAM connection (SCM_RIGHTS) and then serves its requests, one reply each. Driven by
// the spawn loop's poll like the relays: add_pollfds(), poll, dispatch(). Never blocks: a
// client that does not read its replies is disconnected.
#pragma once

#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ctrecord/control_protocol.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

struct ControlClientInfo {
  std::uint64_t serial = 0;  // unique per connection within this server
  std::uint64_t pid = 0;     // SO_PEERCRED of the connection (0 if unknown)
};

// What the server does with what it receives. Called on the polling thread.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  virtual control::Reply on_request(const control::Request& request,
                                    const ControlClientInfo& client) = 0;
  virtual void on_disconnect(const ControlClientInfo& client) = 0;
  // A client broke the protocol (the command itself is not affected).
  virtual void on_problem(const std::string& what) = 0;
};

class ControlServer {
 public:
  // Throws EnvironmentError when the socket pair cannot be made.
  ControlServer();

  int child_end() const noexcept { return child_end_.get(); }  // for the command to inherit
  std::string env_value() const;                               // "fd:N:DEV:INO" of child_end()
  void close_child_end() noexcept { child_end_.reset(); }      // once the command has its copy

  void add_pollfds(std::vector<pollfd>& fds);
  void dispatch(const std::vector<pollfd>& fds, ControlHandler& handler);
  std::size_t connection_count() const noexcept { return connections_.size(); }

 private:
  struct Connection {
    UniqueFd fd;
    ControlClientInfo info;
    std::string in;  // bytes received, not yet a whole request
  };

  void accept_hellos(ControlHandler& handler);
  // Returns false when the connection is to be closed.
  bool serve(Connection& connection, ControlHandler& handler);

  UniqueFd own_end_;
  UniqueFd child_end_;
  std::vector<Connection> connections_;
  std::uint64_t next_serial_ = 1;
  std::size_t first_ = 0;
  std::size_t polled_connections_ = 0;
};

}  // namespace ctrecord
