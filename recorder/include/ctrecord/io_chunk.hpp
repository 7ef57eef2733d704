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

// Where a chunk's place in the merged order of stdout and stderr comes from.
//   Read: the order the recorder read it in (ctest-record --order=read, the default, and every
//         trace written before --order existed); chunks of two pipes read microseconds apart
//         can be swapped.
//   Exact: --order=exact, and the preloaded shim announced these bytes: `seq` is the global
//         sequence number of the first write in the chunk, `writes` how many consecutive
//         sequence numbers (write calls of one thread) the chunk holds, `tid` the thread.
//   Unsequenced: --order=exact, but no announcement covered these bytes (a static binary, a
//         raw syscall, a program that dropped LD_PRELOAD): kept intact, in read order.
enum class ChunkOrder : std::uint8_t { Read = 0, Exact = 1, Unsequenced = 2 };

std::string_view chunk_order_name(ChunkOrder order) noexcept;  // "read", "exact", "unsequenced"

struct IoChunk {
  Stream stream = Stream::Stdout;
  std::uint64_t t_ns = 0;      // monotonic nanoseconds since the recording started
  std::string bytes;           // raw bytes exactly as read or forwarded
  std::uint64_t producer = 0;  // pid (spawn mode) or thread id that produced it; 0 = unknown
  std::string context;         // test/context id active when read; empty = none
  // Exact order (on disk: an io_order record right after the io record; see ChunkOrder).
  ChunkOrder order = ChunkOrder::Read;
  std::uint64_t seq = 0;     // Exact: sequence number of the chunk's first write (from 1)
  std::uint64_t writes = 0;  // Exact: consecutive sequence numbers in the chunk
  std::uint64_t tid = 0;     // Exact: writing thread (Linux tid); `producer` is its pid

  bool operator==(const IoChunk&) const = default;
};

}  // namespace ctrecord
