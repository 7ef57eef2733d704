// ControlServer: accepts integrations' private connections over the inherited SEQPACKET socket
// and turns their requests into handler calls, one reply each.
#include "ctrecord/control_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "ctrecord/errors.hpp"
#include "ctrecord/pipes.hpp"

namespace ctrecord {

namespace {

constexpr std::size_t kMaxConnections = 1024;
constexpr int kChildEndMinFd = 100;
constexpr std::size_t kMaxFdsPerHello = 8;
constexpr std::size_t kReadSize = 64u << 10;

std::uint64_t peer_pid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return 0;
  return cred.pid > 0 ? static_cast<std::uint64_t>(cred.pid) : 0;
}

bool is_stream_socket(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

}  // namespace

ControlServer::ControlServer() {
  int fds[2];
  check_syscall(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds),
                "socketpair", "control channel");
  own_end_.reset(fds[0]);
  child_end_.reset(fds[1]);
  // The command sees this descriptor; keep it out of the low numbers a program may expect
  // to get from its first open() (3, 4, ...), as it would without the recorder.
  const int high = ::fcntl(child_end_.get(), F_DUPFD_CLOEXEC, kChildEndMinFd);
  if (high >= 0) child_end_.reset(high);
  // The command's end stays blocking for clients; only ours is non-blocking.
  const int flags = ::fcntl(child_end_.get(), F_GETFL);
  if (flags >= 0) ::fcntl(child_end_.get(), F_SETFL, flags & ~O_NONBLOCK);
}

std::string ControlServer::env_value() const {
  struct stat st {};
  if (::fstat(child_end_.get(), &st) != 0)
    throw EnvironmentError("fstat", "control channel", errno);
  return control::format_endpoint({child_end_.get(), static_cast<std::uint64_t>(st.st_dev),
                                   static_cast<std::uint64_t>(st.st_ino)});
}

void ControlServer::add_pollfds(std::vector<pollfd>& fds) {
  first_ = fds.size();
  fds.push_back({own_end_.get(), POLLIN, 0});
  for (const auto& connection : connections_) fds.push_back({connection.fd.get(), POLLIN, 0});
  polled_connections_ = connections_.size();
}

void ControlServer::dispatch(const std::vector<pollfd>& fds, ControlHandler& handler) {
  for (std::size_t i = 0; i < polled_connections_; ++i) {
    Connection& connection = connections_[i];
    if (fds[first_ + 1 + i].revents != 0 && !serve(connection, handler)) {
      handler.on_disconnect(connection.info);
      connection.fd.reset();
    }
  }
  std::erase_if(connections_, [](const Connection& c) { return !c.fd; });
  // Last: accepting appends to connections_, which the indices above must not see.
  if (fds[first_].revents != 0) accept_hellos(handler);
}

void ControlServer::accept_hellos(ControlHandler& handler) {
  for (;;) {
    std::array<char, 64> payload{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFdsPerHello)> control{};
    iovec iov{payload.data(), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(own_end_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN)
        handler.on_problem(std::string("control channel: recvmsg: ") + std::strerror(errno));
      return;
    }
    std::vector<UniqueFd> received;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        received.emplace_back(fd);
      }
    }
    if (n == 0 && received.empty()) return;  // an empty datagram: nothing to do
    const std::string_view hello(payload.data(), static_cast<std::size_t>(n));
    if (hello != control::kHello || received.size() != 1 ||
        (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
      handler.on_problem("control channel: ignored a hello that is not \"" +
                         std::string(control::kHello) + "\" with exactly one descriptor");
      continue;
    }
    if (!is_stream_socket(received[0].get())) {
      handler.on_problem(
          "control channel: the descriptor sent with a hello is not a stream socket");
      continue;
    }
    if (connections_.size() >= kMaxConnections) {
      handler.on_problem("control channel: more than " + std::to_string(kMaxConnections) +
                         " connections; refused one");
      continue;
    }
    Connection connection;
    set_nonblocking(received[0].get());
    connection.info.pid = peer_pid(received[0].get());
    connection.info.serial = next_serial_++;
    connection.fd = std::move(received[0]);
    connections_.push_back(std::move(connection));
  }
}

bool ControlServer::serve(Connection& connection, ControlHandler& handler) {
  for (;;) {
    const std::size_t old = connection.in.size();
    connection.in.resize(old + kReadSize);
    const ssize_t n = ::read(connection.fd.get(), connection.in.data() + old, kReadSize);
    connection.in.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n == 0) return false;  // the client is gone
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      handler.on_problem(std::string("control channel: read: ") + std::strerror(errno));
      return false;
    }
    if (static_cast<std::size_t>(n) < kReadSize) break;
  }
  std::size_t pos = 0;
  bool keep = true;
  while (keep) {
    control::Request request;
    const control::Parsed parsed =
        control::parse_request(std::string_view(connection.in).substr(pos), request);
    if (parsed.status == control::Parsed::Status::NeedMore) break;
    control::Reply reply;
    if (parsed.status == control::Parsed::Status::Malformed) {
      handler.on_problem("control channel: client pid " + std::to_string(connection.info.pid) +
                         " sent a bad request (" + parsed.error + "); disconnected it");
      reply = control::Reply{false, parsed.error};
      keep = false;
    } else {
      pos += parsed.consumed;
      reply = handler.on_request(request, connection.info);
    }
    const std::string bytes = control::encode_reply(reply);
    const ssize_t sent =
        ::send(connection.fd.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(bytes.size())) {
      if (sent < 0 && errno == EPIPE) return false;
      handler.on_problem("control channel: client pid " + std::to_string(connection.info.pid) +
                         " does not read its replies; disconnected it");
      return false;
    }
  }
  connection.in.erase(0, pos);
  return keep;
}

}  // namespace ctrecord
