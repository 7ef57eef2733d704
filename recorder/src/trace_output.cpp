// create_trace_file / TraceOutput: open (and for default paths, mkdir -p + O_EXCL) the trace
// file; -o onto an existing file goes through a temp file renamed over it at the end.
#include "ctrecord/trace_output.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>

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

// A trace holds the command line, environment and output: an existing regular file opened
// in place loses whatever wider mode it had.
void restrict_mode(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw EnvironmentError("fstat", path, errno);
  if (S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) {
    throw EnvironmentError("chmod 0600", path, errno);
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
  if (!exclusive) restrict_mode(fd.get(), path);
  return fd;
}

TraceOutput TraceOutput::open(const std::string& path, bool exclusive) {
  TraceOutput out;
  out.path_ = path;
  out.write_path_ = path;
  if (exclusive) {
    out.fd_ = create_trace_file(path, true);
    return out;
  }
  out.fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.fd_) return out;  // a new file: written in place, crash-safe as it grows
  if (errno != EEXIST) throw EnvironmentError("open", path, errno);
  struct stat st {};
  char resolved[PATH_MAX];
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      ::realpath(path.c_str(), resolved) == nullptr) {
    // A device, a FIFO, a dangling symlink: as before, in place.
    out.fd_ = create_trace_file(path, false);
    return out;
  }
  out.target_ = resolved;
  std::string temp = out.target_ + ".recording-XXXXXX";
  out.fd_.reset(::mkostemp(temp.data(), O_CLOEXEC));  // 0600, O_EXCL
  if (!out.fd_) throw EnvironmentError("mkstemp", temp, errno);
  out.write_path_ = temp;
  return out;
}

void TraceOutput::commit() {
  if (target_.empty()) return;
  if (::rename(write_path_.c_str(), target_.c_str()) != 0) {
    throw EnvironmentError("rename " + write_path_ + " to", target_, errno);
  }
  target_.clear();
  write_path_ = path_;
}

}  // namespace ctrecord
