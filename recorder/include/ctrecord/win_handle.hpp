// Windows back end: UniqueHandle, the RAII owner of one kernel HANDLE (pipe end, process,
// thread, event), closed exactly once. The Windows counterpart of unique_fd.hpp.
#pragma once

#include <windows.h>

#include <utility>

namespace ctrecord {

class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE handle) noexcept : handle_(normalise(handle)) {}
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& other) noexcept : handle_(other.release()) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueHandle() { reset(); }

  HANDLE get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }
  HANDLE release() noexcept { return std::exchange(handle_, nullptr); }
  void reset(HANDLE handle = nullptr) noexcept {
    HANDLE old = std::exchange(handle_, normalise(handle));
    if (old != nullptr) CloseHandle(old);
  }

 private:
  // Windows APIs return either null or INVALID_HANDLE_VALUE for "no handle"; keep one.
  static HANDLE normalise(HANDLE handle) noexcept {
    return handle == INVALID_HANDLE_VALUE ? nullptr : handle;
  }
  HANDLE handle_ = nullptr;
};

}  // namespace ctrecord
