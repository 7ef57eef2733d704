// write_all: the loop every descriptor write in the recorder goes through (POSIX).
#include "ctrecord/fd_io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace ctrecord {

namespace {
// Waits until `fd` is writable; used after EAGAIN on a descriptor someone made non-blocking.
int wait_writable(int fd) noexcept {
  pollfd pfd{fd, POLLOUT, 0};
  for (;;) {
    int r = ::poll(&pfd, 1, -1);
    if (r >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}
}  // namespace

int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (int err = wait_writable(fd)) return err;
    } else if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

int open_read_only(const std::string& path) noexcept {
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

}  // namespace ctrecord
