// JsonWriter: a small streaming JSON writer for the CLIs' machine-readable output (JSON and
// JSON Lines), plus the UTF-8 validator and string escaper it is built on. Byte strings that
// are not valid UTF-8 are never replaced or dropped: bytes_value() writes them as
// {"base64":"..."} instead of a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctharness {

// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool is_valid_utf8(std::string_view bytes) noexcept;

// The UTF-8 sequence starting at text[pos] (pos < text.size()): `length` bytes of it are
// well-formed so far (0: text[pos] cannot start a sequence), `complete` when they make a whole
// character. An incomplete prefix that reaches the end of `text` may be finished by more
// bytes; anywhere else it is the "maximal subpart" that a lossy decoder replaces by one U+FFFD.
struct Utf8Prefix {
  std::size_t length = 0;
  bool complete = false;
};
Utf8Prefix utf8_prefix(std::string_view text, std::size_t pos) noexcept;

// Appends `utf8` as a quoted JSON string (", \, control characters and U+2028/U+2029
// escaped). The input must be valid UTF-8 (checked by the callers).
void append_json_string(std::string& out, std::string_view utf8);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);  // inside an object, before each value

  JsonWriter& value(std::string_view utf8);  // a string; must be valid UTF-8
  JsonWriter& value(const char* utf8) { return value(std::string_view(utf8)); }
  JsonWriter& value(bool b);
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(std::int32_t n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& null();
  // Arbitrary bytes: a JSON string when valid UTF-8, otherwise {"base64":"..."}.
  JsonWriter& bytes_value(std::string_view bytes);

 private:
  void before_value();

  std::string& out_;
  std::vector<bool> first_;  // one entry per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace ctharness
