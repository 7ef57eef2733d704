// The control channel: wire format (control_protocol), and ControlServer + ControlClient talking
// over a real socket pair with the server polled on this thread and the client on another.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "ctrecord/control_client.hpp"
#include "ctrecord/control_protocol.hpp"
#include "ctrecord/control_server.hpp"

namespace {

using namespace ctrecord;
using control::Parsed;

TEST(ControlProtocol, RequestsRoundTrip) {
  const std::vector<control::Request> requests = {
      control::TestStarted{"tests/a.py::test_x[1-2]"},
      control::TestFinished{"Suite.Name", "failed", 123456789012ull},
      control::Captured{"t", "stdout call", std::string("a\0b\xff", 4)},
  };
  std::string stream;
  for (const auto& r : requests) stream += control::encode_request(r);
  std::size_t pos = 0;
  for (const auto& want : requests) {
    control::Request got;
    const Parsed parsed = control::parse_request(std::string_view(stream).substr(pos), got);
    ASSERT_EQ(parsed.status, Parsed::Status::Ok) << parsed.error;
    EXPECT_EQ(got, want);
    pos += parsed.consumed;
  }
  EXPECT_EQ(pos, stream.size());
}

TEST(ControlProtocol, LayoutIsLengthTypeStrings) {
  EXPECT_EQ(control::encode_request(control::TestStarted{"ab"}),
            std::string("\x07\x00\x00\x00\x01\x02\x00\x00\x00"
                        "ab",
                        11));
  EXPECT_EQ(control::encode_reply({false, "no"}), std::string("\x07\x00\x00\x00\x01\x02\x00\x00\x00"
                                                              "no",
                                                              11));
}

TEST(ControlProtocol, PartialFramesNeedMore) {
  const std::string frame = control::encode_request(control::TestFinished{"t", "passed", 5});
  for (std::size_t cut = 0; cut < frame.size(); ++cut) {
    control::Request got;
    EXPECT_EQ(control::parse_request(frame.substr(0, cut), got).status, Parsed::Status::NeedMore)
        << cut;
  }
}

TEST(ControlProtocol, RejectsMalformedRequests) {
  auto status_of = [](std::string body) {
    std::string frame(4, '\0');
    frame[0] = static_cast<char>(body.size());
    frame += body;
    control::Request got;
    return control::parse_request(frame, got);
  };
  EXPECT_EQ(status_of(std::string(1, '\x09')).status, Parsed::Status::Malformed);  // unknown type
  EXPECT_NE(status_of(std::string(1, '\x09')).error.find("unknown request type 9"),
            std::string::npos);
  // A string length beyond the body.
  EXPECT_EQ(status_of(std::string("\x01\xff\x00\x00\x00x", 6)).status, Parsed::Status::Malformed);
  // Bytes left over.
  EXPECT_EQ(status_of(std::string("\x01\x00\x00\x00\x00zz", 7)).status, Parsed::Status::Malformed);
  // Zero and oversized lengths are refused before waiting for a body.
  control::Request got;
  EXPECT_EQ(control::parse_request(std::string(4, '\0'), got).status, Parsed::Status::Malformed);
  EXPECT_EQ(control::parse_request(std::string("\xff\xff\xff\x7f", 4), got).status,
            Parsed::Status::Malformed);
}

TEST(ControlProtocol, Endpoint) {
  const auto e = control::parse_endpoint("fd:5:64768:123456");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fd, 5);
  EXPECT_EQ(e->dev, 64768u);
  EXPECT_EQ(e->ino, 123456u);
  EXPECT_EQ(control::format_endpoint(*e), "fd:5:64768:123456");
  for (const char* bad : {"", "fd:", "fd:5", "fd:5:1", "fd:5:1:2:3", "fd:-1:1:2", "fd:x:1:2",
                          "unix:/tmp/s", "fd:5:1:2 "}) {
    EXPECT_FALSE(control::parse_endpoint(bad)) << bad;
  }
}

struct RecordingHandler : ControlHandler {
  std::vector<std::pair<control::Request, ControlClientInfo>> requests;
  std::vector<std::uint64_t> disconnected;
  std::vector<std::string> problems;
  control::Reply on_request(const control::Request& r, const ControlClientInfo& c) override {
    requests.emplace_back(r, c);
    if (const auto* s = std::get_if<control::TestStarted>(&r); s && s->test_id == "reject me") {
      return {false, "rejected on purpose"};
    }
    return {};
  }
  void on_disconnect(const ControlClientInfo& c) override { disconnected.push_back(c.serial); }
  void on_problem(const std::string& what) override { problems.push_back(what); }
};

// Polls the server until `done` (or 10 s).
void serve_until(ControlServer& server, RecordingHandler& handler, const std::atomic<bool>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<pollfd> fds;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    fds.clear();
    server.add_pollfds(fds);
    ::poll(fds.data(), fds.size(), 20);
    server.dispatch(fds, handler);
  }
}

control::Endpoint endpoint_of(const ControlServer& server) {
  return *control::parse_endpoint(server.env_value());
}

TEST(ControlChannel, ClientRequestsReachTheHandlerWithThePeerPid) {
  ControlServer server;
  RecordingHandler handler;
  std::atomic<bool> done{false};
  bool ok_started = false, ok_finished = false, ok_captured = false, rejected = true;
  std::string error;
  std::thread client_thread([&] {
    std::string why;
    auto client = ControlClient::connect_to(endpoint_of(server), &why);
    if (client) {
      ok_started = client->test_started("t1");
      ok_captured = client->captured("t1", "stdout call", std::string(300000, 'x'));
      ok_finished = client->test_finished("t1", "passed", 42);
      rejected = !client->test_started("reject me");
      error = client->error();
      EXPECT_FALSE(client->usable());
      EXPECT_FALSE(client->test_started("after"));  // disabled
    }
    done = true;
  });
  serve_until(server, handler, done);
  client_thread.join();
  EXPECT_TRUE(ok_started);
  EXPECT_TRUE(ok_captured);
  EXPECT_TRUE(ok_finished);
  EXPECT_TRUE(rejected);
  EXPECT_NE(error.find("rejected on purpose"), std::string::npos) << error;
  ASSERT_EQ(handler.requests.size(), 4u);
  EXPECT_EQ(std::get<control::TestStarted>(handler.requests[0].first).test_id, "t1");
  EXPECT_EQ(std::get<control::Captured>(handler.requests[1].first).bytes.size(), 300000u);
  EXPECT_EQ(std::get<control::TestFinished>(handler.requests[2].first).duration_ns, 42u);
  EXPECT_EQ(handler.requests[0].second.pid, static_cast<std::uint64_t>(::getpid()));
  EXPECT_TRUE(handler.problems.empty());
}

TEST(ControlChannel, StaleEndpointIsIgnored) {
  ControlServer server;
  control::Endpoint e = endpoint_of(server);
  e.ino += 1;
  std::string why = "unset";
  EXPECT_EQ(ControlClient::connect_to(e, &why), nullptr);
  EXPECT_EQ(why, "");  // silently: not our socket
  e = endpoint_of(server);
  e.fd = 0;  // not a socket (or another one)
  EXPECT_EQ(ControlClient::connect_to(e, &why), nullptr);
}

TEST(ControlChannel, BadHelloAndGarbageAreProblemsNotCrashes) {
  ControlServer server;
  RecordingHandler handler;
  std::atomic<bool> done{false};
  std::unique_ptr<ControlClient> client;  // stays connected until the end of the test
  std::thread client_thread([&] {
    // A hello without a descriptor.
    EXPECT_GE(::send(server.child_end(), "hello", 5, 0), 0);
    // A proper connection that then sends garbage.
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd mine(pair[0]), theirs(pair[1]);
    client = ControlClient::connect_to(endpoint_of(server));
    ASSERT_TRUE(client);
    EXPECT_TRUE(client->test_started("fine"));
    // Raw garbage on a second private connection.
    iovec iov{const_cast<char*>(control::kHello.data()), control::kHello.size()};
    alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf;
    msg.msg_controllen = sizeof buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    const int passed = theirs.get();
    std::memcpy(CMSG_DATA(c), &passed, sizeof passed);
    ASSERT_GE(::sendmsg(server.child_end(), &msg, 0), 0);
    theirs.reset();
    const char garbage[] = "\x03\x00\x00\x00\x7f\x7f\x7f";
    ASSERT_EQ(::send(mine.get(), garbage, 7, MSG_NOSIGNAL), 7);
    char reply[64];
    const ssize_t n = ::recv(mine.get(), reply, sizeof reply, 0);  // the rejection
    EXPECT_GT(n, 4);
    if (n > 4) {
      EXPECT_EQ(reply[4], '\x01');
    }
    EXPECT_EQ(::recv(mine.get(), reply, sizeof reply, 0), 0);  // then closed
    done = true;
  });
  serve_until(server, handler, done);
  client_thread.join();
  ASSERT_EQ(handler.problems.size(), 2u);
  EXPECT_NE(handler.problems[0].find("exactly one descriptor"), std::string::npos);
  EXPECT_NE(handler.problems[1].find("bad request"), std::string::npos);
  EXPECT_EQ(handler.disconnected.size(), 1u);
  EXPECT_EQ(server.connection_count(), 1u);  // the good client is still served
}

}  // namespace
