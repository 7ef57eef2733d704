// RelaySet: the relays of one capture (stdout and stderr OutputRelays, an optional
// StdinRelay) behind one poll interface, so the spawn-mode loop and the in-process relay
// thread drive them the same way: add_pollfds(), poll, dispatch().
#pragma once

#include <poll.h>

#include <optional>
#include <string>
#include <vector>

#include "ctrecord/output_relay.hpp"
#include "ctrecord/stdin_relay.hpp"

namespace ctrecord {

class RelaySet {
 public:
  void add_output(OutputRelay relay) { outputs_.push_back(std::move(relay)); }
  void set_stdin(StdinRelay relay) { stdin_.emplace(std::move(relay)); }

  // Appends what to poll for (closed relays as fd -1) and remembers where they start.
  void add_pollfds(std::vector<pollfd>& fds);
  // Hands each relay its revents from the array add_pollfds() filled.
  void dispatch(const std::vector<pollfd>& fds);

  bool outputs_open() const;
  std::vector<Stream> open_outputs() const;
  void drain_outputs();  // take everything already in the pipes, until they are empty
  void drain_present();  // take exactly what the pipes hold now (bounded)
  void close_outputs(const std::string& reason);
  void stop_stdin(const std::string& reason);
  void route_outputs(ChunkRoute* route);  // every output relay's chunks go there (exact order)
  StdinRelay* stdin_relay() { return stdin_ ? &*stdin_ : nullptr; }

 private:
  std::vector<OutputRelay> outputs_;
  std::optional<StdinRelay> stdin_;
  std::size_t first_ = 0;
  bool stdin_polled_ = false;
};

}  // namespace ctrecord
