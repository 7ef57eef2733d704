// The control channel's wire format (docs/control-protocol.md): the hello datagram, the
// length-prefixed requests an integration sends (test started / finished / captured section)
// and the replies. Pure encoding and decoding, shared by the recorder's ControlServer and the
// C++ ControlClient; no I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ctrecord::control {

inline constexpr const char* kEnvVar = "CTEST_RECORD_CONTROL";
inline constexpr std::string_view kHello = "ctest-record-control 1";
inline constexpr std::size_t kMaxMessageBytes = 16u << 20;  // request or reply body

enum class RequestType : std::uint8_t { TestStarted = 1, TestFinished = 2, Captured = 3 };

struct TestStarted {
  std::string test_id;
  bool operator==(const TestStarted&) const = default;
};
struct TestFinished {
  std::string test_id;
  std::string outcome;
  std::uint64_t duration_ns = 0;
  bool operator==(const TestFinished&) const = default;
};
struct Captured {
  std::string test_id;
  std::string section;
  std::string bytes;
  bool operator==(const Captured&) const = default;
};
using Request = std::variant<TestStarted, TestFinished, Captured>;

struct Reply {
  bool ok = true;
  std::string message;  // why it was rejected
  bool operator==(const Reply&) const = default;
};

// Whole frames: [u32 LE length][body].
std::string encode_request(const Request& request);
std::string encode_reply(const Reply& reply);

// The result of looking at the front of a receive buffer.
struct Parsed {
  enum class Status { NeedMore, Ok, Malformed };
  Status status = Status::NeedMore;
  std::size_t consumed = 0;  // bytes of the buffer the frame took (Ok)
  std::string error;         // why (Malformed)
};

// Decodes the first request frame of `buffer` into `out`.
Parsed parse_request(std::string_view buffer, Request& out);
Parsed parse_reply(std::string_view buffer, Reply& out);

// The channel named by CTEST_RECORD_CONTROL ("fd:N:DEV:INO").
struct Endpoint {
  int fd = -1;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};
std::string format_endpoint(const Endpoint& endpoint);
std::optional<Endpoint> parse_endpoint(std::string_view value);  // nullopt: another form

}  // namespace ctrecord::control
