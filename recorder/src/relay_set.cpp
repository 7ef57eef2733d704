// RelaySet: poll set-up and dispatch for a capture's relays.
#include "ctrecord/relay_set.hpp"

namespace ctrecord {

void RelaySet::add_pollfds(std::vector<pollfd>& fds) {
  first_ = fds.size();
  for (const auto& relay : outputs_) fds.push_back({relay.fd(), POLLIN, 0});
  stdin_polled_ = stdin_ && stdin_->active();
  if (stdin_polled_) fds.push_back(stdin_->interest());
}

void RelaySet::dispatch(const std::vector<pollfd>& fds) {
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    if (fds[first_ + i].revents) outputs_[i].on_readable();
  }
  if (stdin_polled_) {
    const pollfd& pfd = fds[first_ + outputs_.size()];
    if (pfd.revents) stdin_->on_ready(pfd.revents);
  }
}

bool RelaySet::outputs_open() const {
  for (const auto& relay : outputs_)
    if (relay.open()) return true;
  return false;
}

std::vector<Stream> RelaySet::open_outputs() const {
  std::vector<Stream> open;
  for (const auto& relay : outputs_)
    if (relay.open()) open.push_back(relay.stream());
  return open;
}

void RelaySet::drain_outputs() {
  for (auto& relay : outputs_) relay.drain_available();
}

void RelaySet::drain_present() {
  for (auto& relay : outputs_) relay.drain_present();
}

void RelaySet::close_outputs(const std::string& reason) {
  for (auto& relay : outputs_) relay.close(reason);
}

void RelaySet::route_outputs(ChunkRoute* route) {
  for (auto& relay : outputs_) relay.set_route(route);
}

void RelaySet::stop_stdin(const std::string& reason) {
  if (stdin_) stdin_->stop(reason);
}

}  // namespace ctrecord
