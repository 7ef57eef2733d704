// Encoding and decoding of control-channel frames (docs/control-protocol.md). Every length is
// checked against the bytes actually present before anything is allocated.
#include "ctrecord/control_protocol.hpp"

#include <charconv>
#include <cstring>
#include <type_traits>

#include "little_endian.hpp"

namespace ctrecord::control {

namespace {

void append_string(std::string& out, std::string_view s) {
  detail::append_u32_le(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void append_u64(std::string& out, std::uint64_t value) {
  const std::uint64_t le = detail::to_little_endian(value);
  out.append(reinterpret_cast<const char*>(&le), sizeof le);
}

std::string frame(std::string body) {
  std::string out;
  out.reserve(body.size() + 4);
  detail::append_u32_le(out, static_cast<std::uint32_t>(body.size()));
  out += body;
  return out;
}

// Reads fields from a body, remembering the first failure.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : body_(body) {}

  bool u8(std::uint8_t& out) {
    if (!need(1, "u8")) return false;
    out = static_cast<std::uint8_t>(body_[pos_++]);
    return true;
  }
  bool u64(std::uint64_t& out) {
    if (!need(8, "u64")) return false;
    std::uint64_t le = 0;
    std::memcpy(&le, body_.data() + pos_, 8);
    out = detail::from_little_endian(le);
    pos_ += 8;
    return true;
  }
  bool string(std::string& out) {
    if (!need(4, "string length")) return false;
    const std::uint32_t n = detail::read_u32_le(body_.substr(pos_, 4));
    pos_ += 4;
    if (!need(n, "string")) return false;
    out.assign(body_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool at_end() {
    if (pos_ == body_.size()) return true;
    if (error_.empty()) error_ = std::to_string(body_.size() - pos_) + " bytes left over";
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool need(std::size_t n, const char* what) {
    if (body_.size() - pos_ >= n) return true;
    if (error_.empty()) {
      error_ = std::string(what) + " needs " + std::to_string(n) + " bytes but " +
               std::to_string(body_.size() - pos_) + " are left";
    }
    return false;
  }

  std::string_view body_;
  std::size_t pos_ = 0;
  std::string error_;
};

// Finds the first frame's body; NeedMore or Malformed when there is none yet / it is too big.
Parsed frame_body(std::string_view buffer, std::string_view& body) {
  Parsed parsed;
  if (buffer.size() < 4) return parsed;
  const std::uint32_t length = detail::read_u32_le(buffer.substr(0, 4));
  if (length == 0 || length > kMaxMessageBytes) {
    parsed.status = Parsed::Status::Malformed;
    parsed.error = "message length " + std::to_string(length) + " is not in 1.." +
                   std::to_string(kMaxMessageBytes);
    return parsed;
  }
  if (buffer.size() - 4 < length) return parsed;
  body = buffer.substr(4, length);
  parsed.status = Parsed::Status::Ok;
  parsed.consumed = 4 + static_cast<std::size_t>(length);
  return parsed;
}

Parsed malformed(std::string error) {
  Parsed parsed;
  parsed.status = Parsed::Status::Malformed;
  parsed.error = std::move(error);
  return parsed;
}

}  // namespace

std::string encode_request(const Request& request) {
  std::string body;
  std::visit(
      [&body](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, TestStarted>) {
          body.push_back(static_cast<char>(RequestType::TestStarted));
          append_string(body, r.test_id);
        } else if constexpr (std::is_same_v<T, TestFinished>) {
          body.push_back(static_cast<char>(RequestType::TestFinished));
          append_string(body, r.test_id);
          append_string(body, r.outcome);
          append_u64(body, r.duration_ns);
        } else {
          body.push_back(static_cast<char>(RequestType::Captured));
          append_string(body, r.test_id);
          append_string(body, r.section);
          append_string(body, r.bytes);
        }
      },
      request);
  return frame(std::move(body));
}

std::string encode_reply(const Reply& reply) {
  std::string body(1, static_cast<char>(reply.ok ? 0 : 1));
  append_string(body, reply.message);
  return frame(std::move(body));
}

Parsed parse_request(std::string_view buffer, Request& out) {
  std::string_view body;
  Parsed parsed = frame_body(buffer, body);
  if (parsed.status != Parsed::Status::Ok) return parsed;
  BodyReader reader(body);
  std::uint8_t type = 0;
  reader.u8(type);
  bool ok = false;
  switch (static_cast<RequestType>(type)) {
    case RequestType::TestStarted: {
      TestStarted r;
      ok = reader.string(r.test_id) && reader.at_end();
      out = std::move(r);
      break;
    }
    case RequestType::TestFinished: {
      TestFinished r;
      ok = reader.string(r.test_id) && reader.string(r.outcome) && reader.u64(r.duration_ns) &&
           reader.at_end();
      out = std::move(r);
      break;
    }
    case RequestType::Captured: {
      Captured r;
      ok = reader.string(r.test_id) && reader.string(r.section) && reader.string(r.bytes) &&
           reader.at_end();
      out = std::move(r);
      break;
    }
    default: return malformed("unknown request type " + std::to_string(type));
  }
  if (!ok)
    return malformed("malformed request of type " + std::to_string(type) + ": " + reader.error());
  return parsed;
}

Parsed parse_reply(std::string_view buffer, Reply& out) {
  std::string_view body;
  Parsed parsed = frame_body(buffer, body);
  if (parsed.status != Parsed::Status::Ok) return parsed;
  BodyReader reader(body);
  std::uint8_t status = 0;
  if (!(reader.u8(status) && reader.string(out.message) && reader.at_end()) || status > 1) {
    return malformed("malformed reply: " + (reader.error().empty()
                                                ? "status " + std::to_string(status)
                                                : reader.error()));
  }
  out.ok = status == 0;
  return parsed;
}

std::string format_endpoint(const Endpoint& endpoint) {
  return "fd:" + std::to_string(endpoint.fd) + ":" + std::to_string(endpoint.dev) + ":" +
         std::to_string(endpoint.ino);
}

std::optional<Endpoint> parse_endpoint(std::string_view value) {
  if (value.substr(0, 3) != "fd:") return std::nullopt;
  value.remove_prefix(3);
  Endpoint endpoint;
  auto number = [&value](auto& out, bool last) {
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc() || ptr == value.data()) return false;
    value.remove_prefix(static_cast<std::size_t>(ptr - value.data()));
    if (last) return value.empty();
    if (value.empty() || value.front() != ':') return false;
    value.remove_prefix(1);
    return true;
  };
  if (!number(endpoint.fd, false) || !number(endpoint.dev, false) || !number(endpoint.ino, true)) {
    return std::nullopt;
  }
  if (endpoint.fd < 0) return std::nullopt;
  return endpoint;
}

}  // namespace ctrecord::control
