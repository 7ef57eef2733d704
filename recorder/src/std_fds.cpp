// guard_std_fds: notes which standard descriptors are closed or terminals, fills the holes.
#include "ctrecord/std_fds.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace ctrecord {

StdFdState guard_std_fds() noexcept {
  StdFdState state;
  for (int fd = 0; fd < 3; ++fd) {
    const auto i = static_cast<std::size_t>(fd);
    state.was_closed[i] = ::fcntl(fd, F_GETFD) == -1;
    state.isatty[i] = !state.was_closed[i] && ::isatty(fd) == 1;
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (!state.was_closed[static_cast<std::size_t>(fd)]) continue;
    // open() returns the lowest free descriptor, which is `fd` itself here. Close-on-exec,
    // because the child gets the closed descriptor back, never this placeholder.
    ::open("/dev/null", O_RDWR | O_CLOEXEC);
  }
  return state;
}

}  // namespace ctrecord
