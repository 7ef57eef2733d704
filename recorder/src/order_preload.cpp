// LD_PRELOAD for --order=exact: the shim appended to what the command would load anyway.
#include "ctrecord/order_preload.hpp"

#include "ctrecord/errors.hpp"

namespace ctrecord {

void check_preload_path(const std::string& shim) {
  if (shim.empty() || shim.front() != '/') {
    throw EnvironmentError("the --order=exact shim '" + shim +
                           "' is not an absolute path (LD_PRELOAD needs one)");
  }
  if (shim.find_first_of(" :") != std::string::npos) {
    throw EnvironmentError("the --order=exact shim path '" + shim +
                           "' holds a space or a colon, which LD_PRELOAD cannot carry; install "
                           "it elsewhere or point CTEST_RECORD_SHIM at a copy");
  }
}

std::string preload_with(std::string_view existing, const std::string& shim) {
  check_preload_path(shim);
  std::size_t pos = 0;
  while (pos < existing.size()) {
    const std::size_t end = existing.find_first_of(" :", pos);
    const std::string_view word = existing.substr(pos, end - pos);
    if (word == shim) return std::string(existing);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  const bool blank = existing.find_first_not_of(" :") == std::string_view::npos;
  if (blank) return shim;
  return std::string(existing) + " " + shim;
}

}  // namespace ctrecord
