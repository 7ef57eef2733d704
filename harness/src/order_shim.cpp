// Finding libctrecord_order.so for --order=exact: CTEST_RECORD_SHIM, build tree, install tree.
#include "ctharness/order_shim.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "ctrecord/errors.hpp"
#include "ctrecord/order_preload.hpp"

namespace ctharness {

namespace {

// Empty when `path` is a readable regular file, else why it is not.
std::string unusable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return "";
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path full = std::filesystem::absolute(path, ec);
  return ec ? path : full.lexically_normal().string();
}

}  // namespace

std::vector<std::string> order_shim_candidates(const std::string& executable_dir) {
  if (executable_dir.empty()) return {};
  const std::filesystem::path dir(executable_dir);
  return {(dir / ".." / "recorder" / kOrderShimName).lexically_normal().string(),
          (dir / ".." / "lib" / "ctest-record" / kOrderShimName).lexically_normal().string()};
}

std::string find_order_shim(const char* env_value, const std::string& executable_dir) {
  if (env_value != nullptr && *env_value != '\0') {
    const std::string path = absolute(env_value);
    const std::string why = unusable(path);
    if (!why.empty()) {
      throw ctrecord::EnvironmentError(std::string("--order=exact: ") + kOrderShimEnvVar + "=" +
                                       env_value + ": " + path + ": " + why);
    }
    ctrecord::check_preload_path(path);
    return path;
  }
  std::string tried;
  for (const std::string& path : order_shim_candidates(executable_dir)) {
    const std::string why = unusable(path);
    if (why.empty()) {
      ctrecord::check_preload_path(path);
      return path;
    }
    tried += (tried.empty() ? "" : ", ") + path + " (" + why + ")";
  }
  if (tried.empty()) tried = "nothing (the folder of /proc/self/exe is unknown)";
  throw ctrecord::EnvironmentError(std::string("--order=exact needs its preload shim ") +
                                   kOrderShimName + "; tried " + tried + "; set " +
                                   kOrderShimEnvVar + " to its path, or use --order=read");
}

std::string own_executable_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path().string();
}

}  // namespace ctharness
