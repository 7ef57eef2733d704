// libFuzzer target: the control channel's wire format (recorder/src/control_protocol.cpp,
// docs/control-protocol.md; docs/reliability.md#fuzzing). The command under test is the
// client, so what reaches the recorder's parse_request is hostile input like a trace file.
//
// The input is a receive buffer: requests are parsed from its front one after another, as the
// recorder's ControlServer does, until one is malformed or incomplete; the same bytes are
// parsed as replies (the client's side) and as a CTEST_RECORD_CONTROL endpoint. Every frame
// that parses must be exactly the encoding of what it parsed to (the format is canonical); a
// crash, a leak, undefined behaviour, a huge allocation or a broken invariant is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ctrecord/control_protocol.hpp"

namespace {

namespace control = ctrecord::control;

[[noreturn]] void broken(const char* invariant) {
  std::fprintf(stderr, "control_protocol_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

template <typename Message, typename Parse, typename Encode>
void parse_all(std::string_view buffer, Parse parse, Encode encode) {
  std::size_t pos = 0;
  for (;;) {
    Message message;
    const control::Parsed parsed = parse(buffer.substr(pos), message);
    if (parsed.status == control::Parsed::Status::NeedMore) return;
    if (parsed.status == control::Parsed::Status::Malformed) {
      if (parsed.error.empty()) broken("a malformed frame without a reason");
      return;
    }
    if (parsed.consumed < 5 || parsed.consumed > buffer.size() - pos) {
      broken("a parsed frame's size is outside the buffer");
    }
    if (encode(message) != buffer.substr(pos, parsed.consumed)) {
      broken("a parsed frame is not the encoding of what it parsed to");
    }
    pos += parsed.consumed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse_all<control::Request>(input, control::parse_request, control::encode_request);
  parse_all<control::Reply>(input, control::parse_reply, control::encode_reply);

  if (const auto endpoint = control::parse_endpoint(input)) {
    const auto again = control::parse_endpoint(control::format_endpoint(*endpoint));
    if (!again || again->fd != endpoint->fd || again->dev != endpoint->dev ||
        again->ino != endpoint->ino) {
      broken("a parsed endpoint does not survive format -> parse");
    }
  }
  return 0;
}
