// prune_default_traces: --keep N over the default trace folder.
#include "ctharness/trace_retention.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "ctrecord/log.hpp"

namespace ctharness {

namespace {
bool all_digits(const std::string& text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                     text.begin() + static_cast<std::ptrdiff_t>(from + count),
                     [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

bool is_default_trace_name(const std::string& name, const std::string& program) {
  // <program>-YYYYmmddTHHMMSSZ-<pid>.ctrace
  const std::string suffix = ".ctrace";
  const std::size_t stamp = program.size() + 1;
  if (name.size() < stamp + 16 + 1 + 1 + suffix.size() || !name.starts_with(program + "-") ||
      !name.ends_with(suffix)) {
    return false;
  }
  if (!all_digits(name, stamp, 8) || name[stamp + 8] != 'T' || !all_digits(name, stamp + 9, 6) ||
      name[stamp + 15] != 'Z' || name[stamp + 16] != '-') {
    return false;
  }
  const std::size_t pid = stamp + 17;
  return all_digits(name, pid, name.size() - suffix.size() - pid);
}

std::vector<std::string> prune_default_traces(const std::string& dir, const std::string& program,
                                              unsigned keep) {
  struct Candidate {
    std::string stamp;
    struct timespec mtime;
    std::string name;
  };
  std::vector<Candidate> found;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    ctrecord::log::warning("--keep: cannot list {}: {}", dir, std::strerror(errno));
    return {};
  }
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (!is_default_trace_name(name, program)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    found.push_back({name.substr(program.size() + 1, 16), st.st_mtim, name});
  }
  ::closedir(d);
  if (found.size() <= keep) return {};
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.stamp, a.mtime.tv_sec, a.mtime.tv_nsec, a.name) <
           std::tie(b.stamp, b.mtime.tv_sec, b.mtime.tv_nsec, b.name);
  });
  std::vector<std::string> removed;
  for (std::size_t i = 0; i + keep < found.size(); ++i) {
    const std::string path = dir + "/" + found[i].name;
    if (::unlink(path.c_str()) != 0) {
      ctrecord::log::warning("--keep: cannot remove {}: {}", path, std::strerror(errno));
      continue;
    }
    ctrecord::log::info("--keep {}: removed {}", keep, path);
    removed.push_back(path);
  }
  return removed;
}

}  // namespace ctharness
