// Test helpers for the event codec tests: whole frames of events encoded and decoded, and
// records built byte by byte ([kind][u32 LE length][body]) for malformed-input cases.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/event_codec.hpp"
#include "ctrecord/trace_events.hpp"
#include "little_endian.hpp"

namespace ctrtest {

inline std::vector<ctrecord::TraceEvent> decode_all(std::string_view frame,
                                                    std::uint64_t offset = 0) {
  std::vector<ctrecord::TraceEvent> out;
  ctrecord::decode_events(frame, offset,
                          [&](ctrecord::TraceEvent&& ev) { out.push_back(std::move(ev)); });
  return out;
}

inline std::string encode_all(const std::vector<ctrecord::TraceEvent>& events) {
  std::string out;
  for (const auto& ev : events) ctrecord::encode_event(ev, out);
  return out;
}

inline std::string u64_le(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>(v >> (8 * i) & 0xff);
  return s;
}

// [kind][u32 LE length][body]
inline std::string event_bytes(std::uint8_t kind, const std::string& body) {
  std::string out(1, static_cast<char>(kind));
  ctrecord::detail::append_u32_le(out, static_cast<std::uint32_t>(body.size()));
  return out + body;
}

}  // namespace ctrtest
