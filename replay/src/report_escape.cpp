#include "report_escape.hpp"

#include <cstdint>

namespace ctreplay::detail {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

bool is_continuation(unsigned char byte) {
  return (byte & 0xc0) == 0x80;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const std::size_t left = text.size() - pos;
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;  // continuation byte or overlong 2-byte lead
  if (lead < 0xe0) return left >= 2 && is_continuation(byte(1)) ? 2 : 0;
  if (lead < 0xf0) {
    if (left < 3 || !is_continuation(byte(1)) || !is_continuation(byte(2))) return 0;
    if (lead == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
    if (lead == 0xed && byte(1) >= 0xa0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead < 0xf5) {
    if (left < 4 || !is_continuation(byte(1)) || !is_continuation(byte(2)) ||
        !is_continuation(byte(3))) {
      return 0;
    }
    if (lead == 0xf0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xf4 && byte(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Fast path over ASCII.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, pos);
      if (length == 0) {
        out += "\\u00";
        append_hex_byte(out, byte);
        ++pos;
      } else if (length == 3 && byte == 0xe2 && static_cast<unsigned char>(text[pos + 1]) == 0x80 &&
                 (static_cast<unsigned char>(text[pos + 2]) & 0xfe) == 0xa8) {
        out += static_cast<unsigned char>(text[pos + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
        pos += 3;
      } else {
        out.append(text.substr(pos, length));
        pos += length;
      }
      continue;
    }
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          append_hex_byte(out, byte);
        } else {
          out += static_cast<char>(byte);
        }
    }
    ++pos;
  }
  out += '"';
}

void append_xml_escaped(std::string& out, std::string_view text, bool attribute) {
  std::size_t pos = 0;
  const auto forbidden = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      out += "\\x";
      append_hex_byte(out, static_cast<unsigned char>(text[pos + i]));
    }
    pos += count;
  };
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, pos);
      if (length == 0) {
        forbidden(1);
      } else if (length == 3 && byte == 0xef && static_cast<unsigned char>(text[pos + 1]) == 0xbf &&
                 static_cast<unsigned char>(text[pos + 2]) >= 0xbe) {
        forbidden(3);  // U+FFFE, U+FFFF
      } else {
        out.append(text.substr(pos, length));
        pos += length;
      }
      continue;
    }
    switch (byte) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (byte < 0x20) {
          forbidden(1);
          continue;
        }
        out += static_cast<char>(byte);
    }
    ++pos;
  }
}

}  // namespace ctreplay::detail
