// Host facts, POSIX: environ, getcwd (through std::filesystem), gethostname, uname, getpid.
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "host_facts.hpp"

extern char** environ;

namespace ctrecord::detail {

std::vector<std::string> environment_entries() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry && *entry; ++entry) entries.emplace_back(*entry);
  return entries;
}

std::string current_directory() {
  std::error_code ec;
  return std::filesystem::current_path(ec).string();
}

std::string host_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) == 0) return host;
  return {};
}

std::string host_uname() {
  struct utsname uts {};
  if (::uname(&uts) != 0) return {};
  return std::string(uts.sysname) + " " + uts.release + " " + uts.version + " " + uts.machine;
}

std::int64_t process_id() {
  return ::getpid();
}

}  // namespace ctrecord::detail
