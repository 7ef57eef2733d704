// Error families of the recorder: usage errors (bad flags or config, the message names the
// fix), environment errors (a syscall failed on a path: message names both plus errno text),
// trace format errors (a trace file is not what it claims, with the byte offset) and internal
// bugs. Library code throws these; only the CLI mains turn them into exit codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ctrecord {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class EnvironmentError : public std::runtime_error {
 public:
  // "open /tmp/x.ctrace: No such file or directory"
  EnvironmentError(const std::string& syscall, const std::string& path, int err);
  // A free-form environment problem (no single syscall to blame).
  explicit EnvironmentError(const std::string& message);
  int error_number() const noexcept { return errno_; }

 private:
  int errno_ = 0;
};

class TraceFormatError : public std::runtime_error {
 public:
  TraceFormatError(std::uint64_t offset, const std::string& what);
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  std::uint64_t offset_;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Throws EnvironmentError(syscall, path, errno) when `result` is -1; returns it otherwise.
long check_syscall(long result, const char* syscall, const std::string& path = {});

}  // namespace ctrecord
