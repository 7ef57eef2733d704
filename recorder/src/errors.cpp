// Error types: message formatting for environment and trace format errors.
#include "ctrecord/errors.hpp"

#include <cerrno>
#include <cstring>

namespace ctrecord {

namespace {
std::string describe(const std::string& syscall, const std::string& path, int err) {
  std::string msg = syscall;
  if (!path.empty()) msg += " " + path;
  msg += ": ";
  msg += std::strerror(err);
  return msg;
}
}  // namespace

EnvironmentError::EnvironmentError(const std::string& syscall, const std::string& path, int err)
    : std::runtime_error(describe(syscall, path, err)), errno_(err) {}

EnvironmentError::EnvironmentError(const std::string& message) : std::runtime_error(message) {}

TraceFormatError::TraceFormatError(std::uint64_t offset, const std::string& what)
    : std::runtime_error("at byte offset " + std::to_string(offset) + ": " + what),
      offset_(offset) {}

long check_syscall(long result, const char* syscall, const std::string& path) {
  if (result == -1) throw EnvironmentError(syscall, path, errno);
  return result;
}

}  // namespace ctrecord
