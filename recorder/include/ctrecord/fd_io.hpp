// Whole-buffer writes on raw descriptors: EINTR retried, partial writes continued,
// EAGAIN on a non-blocking descriptor waited out with poll(). Errors come back as errno values
// so callers decide what EPIPE or ENOSPC mean for them.
#pragma once

#include <cstddef>
#include <string_view>

namespace ctrecord {

// Writes all of `data` to `fd`. Returns 0 on success or the errno of the failure.
int write_all(int fd, std::string_view data) noexcept;

}  // namespace ctrecord
