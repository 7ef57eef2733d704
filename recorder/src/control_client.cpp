// ControlClient: connect over the inherited control socket, then blocking request/reply.
#include "ctrecord/control_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace ctrecord {

namespace {

void set_why(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

int send_hello(int channel, int fd_to_pass) {
  iovec iov{const_cast<char*>(control::kHello.data()), control::kHello.size()};
  alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control_buf;
  msg.msg_controllen = sizeof control_buf;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd_to_pass, sizeof fd_to_pass);
  for (;;) {
    if (::sendmsg(channel, &msg, MSG_NOSIGNAL) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

// send() with MSG_NOSIGNAL: a recorder that went away must not kill the program with SIGPIPE.
int send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

std::unique_ptr<ControlClient> ControlClient::connect_from_env(std::string* why) {
  set_why(why, "");
  const char* value = std::getenv(control::kEnvVar);
  if (value == nullptr) return nullptr;
  const auto endpoint = control::parse_endpoint(value);
  if (!endpoint) return nullptr;  // another form: not for this version
  return connect_to(*endpoint, why);
}

std::unique_ptr<ControlClient> ControlClient::connect_to(const control::Endpoint& endpoint,
                                                         std::string* why) {
  set_why(why, "");
  struct stat st {};
  if (::fstat(endpoint.fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_dev) != endpoint.dev ||
      static_cast<std::uint64_t>(st.st_ino) != endpoint.ino) {
    return nullptr;  // stale: not the recorder's socket (any more)
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    set_why(why, std::string("socketpair: ") + std::strerror(errno));
    return nullptr;
  }
  UniqueFd mine(pair[0]);
  UniqueFd theirs(pair[1]);
  if (const int err = send_hello(endpoint.fd, theirs.get())) {
    set_why(why, std::string("sending to the control channel: ") + std::strerror(err));
    return nullptr;
  }
  return std::unique_ptr<ControlClient>(new ControlClient(std::move(mine)));
}

bool ControlClient::test_started(const std::string& test_id) {
  return round_trip(control::TestStarted{test_id});
}

bool ControlClient::test_finished(const std::string& test_id, const std::string& outcome,
                                  std::uint64_t duration_ns) {
  return round_trip(control::TestFinished{test_id, outcome, duration_ns});
}

bool ControlClient::captured(const std::string& test_id, const std::string& section,
                             const std::string& bytes) {
  return round_trip(control::Captured{test_id, section, bytes});
}

bool ControlClient::usable() const {
  std::lock_guard lock(mutex_);
  return connection_.valid();
}

std::string ControlClient::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

bool ControlClient::round_trip(const control::Request& request) {
  std::lock_guard lock(mutex_);
  if (!connection_) return false;
  auto fail = [this](std::string what) {
    error_ = std::move(what);
    connection_.reset();
    return false;
  };
  if (const int err = send_all(connection_.get(), control::encode_request(request))) {
    return fail(std::string("control channel: write: ") + std::strerror(err));
  }
  std::string in;
  char buffer[4096];
  for (;;) {
    control::Reply reply;
    const control::Parsed parsed = control::parse_reply(in, reply);
    if (parsed.status == control::Parsed::Status::Malformed)
      return fail("control channel: " + parsed.error);
    if (parsed.status == control::Parsed::Status::Ok) {
      if (!reply.ok)
        return fail("control channel: the recorder rejected a request: " + reply.message);
      return true;
    }
    const ssize_t n = ::read(connection_.get(), buffer, sizeof buffer);
    if (n == 0) return fail("control channel: the recorder closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("control channel: read: ") + std::strerror(errno));
    }
    in.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace ctrecord
