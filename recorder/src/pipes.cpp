// Pipe helpers: pipes above the standard descriptors, non-blocking ends, bigger buffers.
#include "ctrecord/pipes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "ctrecord/errors.hpp"

namespace ctrecord {

namespace {
constexpr int kPipeSize = 1 << 20;
}

UniqueFd above_std_fds(UniqueFd fd) {
  if (!fd || fd.get() > 2) return fd;
  UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
  if (!moved) throw EnvironmentError("fcntl(F_DUPFD_CLOEXEC)", "", errno);
  return moved;
}

Pipe make_pipe() {
  int fds[2];
  check_syscall(::pipe2(fds, O_CLOEXEC), "pipe2");
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  pipe.read = above_std_fds(std::move(pipe.read));
  pipe.write = above_std_fds(std::move(pipe.write));
  return pipe;
}

void set_nonblocking(int fd) {
  const int flags = static_cast<int>(check_syscall(::fcntl(fd, F_GETFL), "fcntl(F_GETFL)"));
  check_syscall(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL)");
}

void grow_pipe(int fd) noexcept {
  (void)::fcntl(fd, F_SETPIPE_SZ, kPipeSize);
}

}  // namespace ctrecord
