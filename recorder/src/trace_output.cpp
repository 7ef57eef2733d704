// create_trace_file: open (and for default paths, mkdir -p + O_EXCL) the trace file.
#include "ctrecord/trace_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "ctrecord/errors.hpp"

namespace ctrecord {

namespace {
void make_parent_dirs(const std::string& path) {
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos;
       pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
      throw EnvironmentError("mkdir", dir, errno);
    }
  }
}
}  // namespace

UniqueFd create_trace_file(const std::string& path, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  if (exclusive) {
    make_parent_dirs(path);
    flags |= O_EXCL;
  } else {
    flags |= O_TRUNC;
  }
  UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd) throw EnvironmentError("open", path, errno);
  return fd;
}

}  // namespace ctrecord
