// Windows back end: Win32 error codes turned into EnvironmentErrors with the system's text.
#include <string>

#include "ctrecord/win_error.hpp"

namespace ctrecord {

std::string win_error_text(DWORD error) {
  char* buffer = nullptr;
  const DWORD flags =
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  const DWORD length =
      FormatMessageA(flags, nullptr, error, 0, reinterpret_cast<char*>(&buffer), 0, nullptr);
  std::string text = length > 0 && buffer != nullptr ? std::string(buffer, length) : "";
  if (buffer != nullptr) LocalFree(buffer);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.empty()) text = "unknown error";
  return text + " (error " + std::to_string(error) + ")";
}

EnvironmentError win_error(const std::string& call, const std::string& path, DWORD error) {
  std::string message = call;
  if (!path.empty()) message += " " + path;
  return EnvironmentError(message + ": " + win_error_text(error));
}

EnvironmentError last_win_error(const std::string& call, const std::string& path) {
  return win_error(call, path, GetLastError());
}

}  // namespace ctrecord
