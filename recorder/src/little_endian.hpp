// Little-endian conversion of fixed-width integers and floats for the trace format: the file
// is little-endian everywhere; big-endian hosts byte-swap (std::endian decides at compile time).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace ctrecord::detail {

template <typename T>
T byte_swap(T value) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  for (std::size_t i = 0; i < sizeof(T) / 2; ++i) {
    const unsigned char tmp = bytes[i];
    bytes[i] = bytes[sizeof(T) - 1 - i];
    bytes[sizeof(T) - 1 - i] = tmp;
  }
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// Same value, in little-endian byte order in memory (a no-op on little-endian hosts).
template <typename T>
T to_little_endian(T value) noexcept {
  static_assert(
      std::endian::native == std::endian::little || std::endian::native == std::endian::big,
      "mixed-endian hosts are not supported");
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) return byte_swap(value);
  return value;
}

template <typename T>
T from_little_endian(T value) noexcept {
  return to_little_endian(value);
}

inline void append_u32_le(std::string& out, std::uint32_t value) {
  const std::uint32_t le = to_little_endian(value);
  out.append(reinterpret_cast<const char*>(&le), sizeof le);
}

// Reads a u32 LE from the first 4 bytes of `bytes` (caller checks the size).
inline std::uint32_t read_u32_le(std::string_view bytes) noexcept {
  std::uint32_t le = 0;
  std::memcpy(&le, bytes.data(), sizeof le);
  return from_little_endian(le);
}

inline void write_u32_le_at(std::string& out, std::size_t pos, std::uint32_t value) noexcept {
  const std::uint32_t le = to_little_endian(value);
  std::memcpy(out.data() + pos, &le, sizeof le);
}

}  // namespace ctrecord::detail
