// JsonWriter, UTF-8 validation and JSON string escaping for the CLIs' JSON output.
#include "ctharness/json_writer.hpp"

#include <fmt/format.h>

#include "ctharness/base64.hpp"
#include "ctrecord/errors.hpp"

namespace ctharness {

Utf8Prefix utf8_prefix(std::string_view text, std::size_t pos) noexcept {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return {1, true};
  int extra = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
  } else if (c == 0xE0) {
    extra = 2, lo = 0xA0;  // no overlongs
  } else if (c == 0xED) {
    extra = 2, hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xE1 && c <= 0xEF) {
    extra = 2;
  } else if (c == 0xF0) {
    extra = 3, lo = 0x90;  // no overlongs
  } else if (c >= 0xF1 && c <= 0xF3) {
    extra = 3;
  } else if (c == 0xF4) {
    extra = 3, hi = 0x8F;  // <= U+10FFFF
  } else {
    return {0, false};
  }
  Utf8Prefix prefix{1, false};
  for (int i = 1; i <= extra; ++i) {
    if (pos + prefix.length >= text.size()) return prefix;
    const auto b = static_cast<unsigned char>(text[pos + prefix.length]);
    if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return prefix;
    ++prefix.length;
  }
  prefix.complete = true;
  return prefix;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const Utf8Prefix prefix = utf8_prefix(bytes, pos);
    if (!prefix.complete) return false;
    pos += prefix.length;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else if (c == 0xE2 && i + 2 < utf8.size() &&
                   static_cast<unsigned char>(utf8[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(utf8[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(utf8[i + 2]) == 0xA9)) {
          // U+2028/U+2029 are valid in JSON but break JavaScript and some line splitters.
          out += static_cast<unsigned char>(utf8[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  first_.pop_back();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  first_.pop_back();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view utf8) {
  if (!is_valid_utf8(utf8)) {
    throw ctrecord::InternalError("JsonWriter::value given invalid UTF-8; use bytes_value");
  }
  before_value();
  append_json_string(out_, utf8);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t n) {
  before_value();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t n) {
  before_value();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::bytes_value(std::string_view bytes) {
  if (is_valid_utf8(bytes)) {
    before_value();
    append_json_string(out_, bytes);
    return *this;
  }
  begin_object();
  key("base64").value(base64_encode(bytes));
  return end_object();
}

}  // namespace ctharness
