// Pipe helpers shared by the capture back ends: close-on-exec pipes whose ends never land on
// fds 0/1/2 (those may be closed while we run), non-blocking ends, larger buffers.
#pragma once

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// pipe2(O_CLOEXEC), each end moved to fd >= 3 if it landed lower. Throws EnvironmentError.
Pipe make_pipe();
// Returns `fd` itself when it is >= 3, else a close-on-exec copy >= 3 (the original closed).
UniqueFd above_std_fds(UniqueFd fd);
void set_nonblocking(int fd);  // throws EnvironmentError
// Larger pipe buffers mean fewer wake-ups for bulk output; best effort.
void grow_pipe(int fd) noexcept;

}  // namespace ctrecord
