// write(2) and writev(2) as the program sees them, sequenced when the descriptor is one of the
// recorder's capture pipes: the ring slot is taken under the shared robust mutex, with every
// signal blocked, around the real call (order_protocol.hpp). Return value, errno, partial
// writes and SIGPIPE are the real call's.
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace ctrecord::shim {

ssize_t sequenced_write(int fd, const void* buf, size_t count) noexcept;
ssize_t sequenced_writev(int fd, const struct iovec* iov, int iovcnt) noexcept;

}  // namespace ctrecord::shim
