// IoChunk: one piece of captured standard-stream data, as read, with its stream tag and the
// monotonic time it was read. Bytes are raw (NUL bytes, invalid UTF-8, anything).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctrecord {

enum class Stream : std::uint8_t { Stdin = 0, Stdout = 1, Stderr = 2 };
inline constexpr int kStreamCount = 3;

std::string_view stream_name(Stream stream) noexcept;  // "stdin", "stdout", "stderr"
std::optional<Stream> parse_stream(std::string_view name) noexcept;

struct IoChunk {
  Stream stream = Stream::Stdout;
  std::uint64_t t_ns = 0;      // monotonic nanoseconds since the recording started
  std::string bytes;           // raw bytes exactly as read or forwarded
  std::uint64_t producer = 0;  // pid (spawn mode) or thread id that produced it; 0 = unknown
  std::string context;         // test/context id active when read; empty = none

  bool operator==(const IoChunk&) const = default;
};

}  // namespace ctrecord
