// Whole-buffer writes on raw descriptors: EINTR retried, partial writes continued,
// EAGAIN on a non-blocking descriptor waited out with poll(). Errors come back as errno values
// so callers decide what EPIPE or ENOSPC mean for them. POSIX: fd_io.cpp; Windows (CRT
// descriptors): fd_io_windows.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ctrecord {

// Writes all of `data` to `fd`. Returns 0 on success or the errno of the failure.
int write_all(int fd, std::string_view data) noexcept;

// Opens `path` for reading: close-on-exec (Windows: not inherited, binary mode, the path taken
// as UTF-8). Returns the descriptor, or -1 with errno set.
int open_read_only(const std::string& path) noexcept;

}  // namespace ctrecord
