// Constants of the .ctrace on-disk format (specified in docs/trace-format.md). The writer and
// the reader both take every number from here so they cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ctrecord::trace_format {

// 8 magic bytes: a non-ASCII first byte (binary, not text), the name, CR LF / ^Z / LF to
// catch line-ending conversions (as PNG does).
inline constexpr std::array<unsigned char, 8> kMagic = {0x89, 'C',  'T',  'R',
                                                        '\r', '\n', 0x1a, '\n'};
inline constexpr std::uint32_t kCurrentVersion = 1;
inline constexpr std::uint32_t kOldestSupportedVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;  // magic + u32 version + u32 flags (0)

// The writer closes a frame once this many uncompressed bytes are pending...
inline constexpr std::size_t kFrameTargetBytes = 512u << 10;
// ...or when its oldest event has waited this long (crash-safety bound).
inline constexpr unsigned kFrameIntervalMs = 250;
// Hard cap on one frame's uncompressed size; the reader rejects anything larger before
// allocating. One event never exceeds kMaxEventBytes, and a frame holds whole events.
inline constexpr std::size_t kMaxEventBytes = 16u << 20;
inline constexpr std::size_t kMaxFrameBytes = 64u << 20;

}  // namespace ctrecord::trace_format
