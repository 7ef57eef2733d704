// Private cereal archives for event bodies (docs/trace-format.md, "Event encoding"):
// LeOutputArchive appends little-endian fixed-width values to a std::string; BoundedInputArchive
// reads them back from a std::string_view and never trusts it: every read is bounds-checked,
// every size tag is checked against the bytes left BEFORE cereal's loaders resize anything, and
// every problem throws TraceFormatError naming the frame's file offset and the position inside
// the frame's decompressed payload.
#pragma once

#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "ctrecord/errors.hpp"
#include "little_endian.hpp"

namespace ctrecord::detail {

// Writes every arithmetic value little-endian with its exact width; size tags as u64; bool as
// one byte 0/1; byte strings raw.
class LeOutputArchive
    : public cereal::OutputArchive<LeOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit LeOutputArchive(std::string& out)
      : cereal::OutputArchive<LeOutputArchive, cereal::AllowEmptyClassElision>(this), out_(out) {}

  void save_bytes(const void* data, std::size_t size) {
    out_.append(static_cast<const char*>(data), size);
  }

  template <typename T>
  void save_value(T value) {
    if constexpr (std::is_same_v<T, bool>) {
      const unsigned char byte = value ? 1 : 0;
      save_bytes(&byte, 1);
    } else {
      const auto le = to_little_endian(value);
      save_bytes(&le, sizeof le);
    }
  }

 private:
  std::string& out_;
};

// Reads what LeOutputArchive wrote from `body` (one event body). Errors are reported as
// TraceFormatError(frame_offset, "<what> ... at byte <body_start + pos> of the frame ...").
class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // `body_start` is the body's position inside the frame's decompressed payload; `kind_name`
  // is used in messages ("io", "start", ...).
  BoundedInputArchive(std::string_view body, std::uint64_t frame_offset, std::size_t body_start,
                      const char* kind_name)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        body_(body),
        frame_offset_(frame_offset),
        body_start_(body_start),
        kind_name_(kind_name) {}

  std::size_t remaining() const noexcept { return body_.size() - pos_; }
  std::size_t position() const noexcept { return pos_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw TraceFormatError(frame_offset_, "malformed " + std::string(kind_name_) +
                                              " event at byte " +
                                              std::to_string(body_start_ + pos_) +
                                              " of the frame's decompressed data: " + what);
  }

  void load_bytes(void* data, std::size_t size) {
    if (size > remaining()) {
      fail("needs " + std::to_string(size) + " bytes but only " + std::to_string(remaining()) +
           " are left in the event body");
    }
    if (size != 0) std::memcpy(data, body_.data() + pos_, size);
    pos_ += size;
  }

  template <typename T>
  T load_value() {
    if constexpr (std::is_same_v<T, bool>) {
      unsigned char byte = 0;
      load_bytes(&byte, 1);
      if (byte > 1) fail("invalid bool value " + std::to_string(byte));
      return byte == 1;
    } else {
      T le{};
      load_bytes(&le, sizeof le);
      return from_little_endian(le);
    }
  }

  // Checks a length or element count read from the body before anything is allocated for it:
  // `count` elements of at least `min_bytes_each` encoded bytes must fit in what is left.
  void check_count(std::uint64_t count, std::size_t min_bytes_each, const char* what) const {
    const std::uint64_t left = remaining();
    const std::uint64_t each = min_bytes_each == 0 ? 1 : min_bytes_each;
    if (count > left / each) {
      fail(std::string(what) + " " + std::to_string(count) + " exceeds the " +
           std::to_string(left) + " bytes left in the event body");
    }
  }

 private:
  std::string_view body_;
  std::size_t pos_ = 0;
  std::uint64_t frame_offset_;
  std::size_t body_start_;
  const char* kind_name_;
};

// ---- cereal hooks for the two archives ---------------------------------------------------

template <typename T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(LeOutputArchive& ar,
                                                                    const T& value) {
  ar.save_value(value);
}

template <typename T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar,
                                                                    T& value) {
  value = ar.load_value<T>();
}

template <typename T>
void CEREAL_SAVE_FUNCTION_NAME(LeOutputArchive& ar, const cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}

template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}

template <typename T>
void CEREAL_SAVE_FUNCTION_NAME(LeOutputArchive& ar, const cereal::SizeTag<T>& tag) {
  ar.save_value(static_cast<std::uint64_t>(tag.size));
}

// The one place every cereal container length passes through: a length that cannot possibly
// fit in the rest of the body is rejected here, before the container's loader resizes.
template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& tag) {
  const auto size = ar.load_value<std::uint64_t>();
  ar.check_count(size, 1, "length");
  tag.size = static_cast<std::remove_reference_t<T>>(size);
}

// Raw byte runs (std::string contents). Only byte-sized elements are allowed: wider elements
// would need byte swapping, which cereal's binary_data cannot express.
template <typename T>
void CEREAL_SAVE_FUNCTION_NAME(LeOutputArchive& ar, const cereal::BinaryData<T>& data) {
  using Element = std::remove_cv_t<std::remove_pointer_t<T>>;
  static_assert(std::is_void_v<Element> || sizeof(Element) == 1,
                "binary_data of multi-byte elements is not endian-safe; serialize elementwise");
  ar.save_bytes(data.data, static_cast<std::size_t>(data.size));
}

template <typename T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& data) {
  ar.load_bytes(data.data, static_cast<std::size_t>(data.size));
}

}  // namespace ctrecord::detail

CEREAL_REGISTER_ARCHIVE(ctrecord::detail::LeOutputArchive)
CEREAL_REGISTER_ARCHIVE(ctrecord::detail::BoundedInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(ctrecord::detail::BoundedInputArchive,
                            ctrecord::detail::LeOutputArchive)
