// Interposed descriptor output: write, writev, dprintf, vdprintf (and the fortified
// __dprintf_chk/__vdprintf_chk that -D_FORTIFY_SOURCE turns them into). glibc's dprintf formats
// into a FILE of its own and writes through an internal write the shim cannot see, so for a
// capture pipe the text is formatted here and written with sequenced writes.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "real_calls.hpp"
#include "sequenced_write.hpp"
#include "shared_state.hpp"
#include "shim_export.hpp"

namespace {

using ctrecord::shim::sequenced_write;

// Writes all of `text` like glibc's FILE flush does (partial writes continued); -1 on error.
int write_all(int fd, const char* text, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = sequenced_write(fd, text + done, size - done);
    if (n < 0) return -1;
    if (n == 0) return -1;  // a pipe never takes 0 of n > 0 bytes; do not spin
    done += static_cast<size_t>(n);
  }
  return 0;
}

int sequenced_vdprintf(int fd, const char* format, va_list args) {
  const int entry_errno = errno;
  char small[1024];
  va_list again;
  va_copy(again, args);
  const int n = vsnprintf(small, sizeof small, format, args);
  if (n < 0) {  // glibc's vdprintf writes nothing either when formatting fails
    va_end(again);
    return n;
  }
  char* text = small;
  if (static_cast<size_t>(n) >= sizeof small) {
    text = static_cast<char*>(malloc(static_cast<size_t>(n) + 1));
    if (text == nullptr) {  // fall back to glibc's (unsequenced) path
      errno = entry_errno;
      const int r = ctrecord::shim::real().vdprintf(fd, format, again);
      va_end(again);
      return r;
    }
    vsnprintf(text, static_cast<size_t>(n) + 1, format, again);
  }
  va_end(again);
  const int rc = write_all(fd, text, static_cast<size_t>(n));
  const int write_errno = errno;
  if (text != small) free(text);
  errno = rc == 0 ? entry_errno : write_errno;
  return rc == 0 ? n : -1;
}

bool is_capture_pipe(int fd) {
  const ctrecord::order::SharedState* state = ctrecord::shim::active_state();
  return state != nullptr && ctrecord::shim::capture_stream_of(*state, fd) != 0;
}

}  // namespace

CTR_SHIM_EXPORT ssize_t write(int fd, const void* buf, size_t count) {
  return sequenced_write(fd, buf, count);
}

CTR_SHIM_EXPORT ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  return ctrecord::shim::sequenced_writev(fd, iov, iovcnt);
}

CTR_SHIM_EXPORT int vdprintf(int fd, const char* format, va_list args) {
  const int entry_errno = errno;
  const bool sequenced = is_capture_pipe(fd);
  errno = entry_errno;  // %m formats the caller's errno
  if (sequenced) return sequenced_vdprintf(fd, format, args);
  return ctrecord::shim::real().vdprintf(fd, format, args);
}

CTR_SHIM_EXPORT int dprintf(int fd, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int r = vdprintf(fd, format, args);
  va_end(args);
  return r;
}

// Fortified builds (-D_FORTIFY_SOURCE, the default of many distributions' packages) call
// these. For a capture pipe the text is formatted and written here (without the %n check
// `flag` asks for); any other descriptor gets glibc's own.
CTR_SHIM_EXPORT int __vdprintf_chk(int fd, int flag, const char* format, va_list args) {
  const int entry_errno = errno;
  const bool sequenced = is_capture_pipe(fd);
  errno = entry_errno;
  if (sequenced) return sequenced_vdprintf(fd, format, args);
  if (ctrecord::shim::real().vdprintf_chk != nullptr)
    return ctrecord::shim::real().vdprintf_chk(fd, flag, format, args);
  return ctrecord::shim::real().vdprintf(fd, format, args);
}

CTR_SHIM_EXPORT int __dprintf_chk(int fd, int flag, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int r = __vdprintf_chk(fd, flag, format, args);
  va_end(args);
  return r;
}
