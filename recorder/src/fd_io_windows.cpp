// write_all and open_read_only, Windows: the loop over the CRT's _write (what log.cpp and
// TraceFileWriter write through) and _wopen in binary mode. A CRT descriptor has no
// non-blocking mode and _write is not interrupted by signals, so there is nothing to wait out;
// counts are capped to what _write takes.
#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cerrno>

#include "ctrecord/fd_io.hpp"
#include "ctrecord/win_text.hpp"

namespace ctrecord {

int write_all(int fd, std::string_view data) noexcept {
  constexpr std::size_t kMaxWrite = 1u << 30;
  while (!data.empty()) {
    const unsigned count = static_cast<unsigned>(std::min(data.size(), kMaxWrite));
    const int n = ::_write(fd, data.data(), count);
    if (n < 0) return errno;
    if (n == 0) return EIO;  // never expected; a loop without progress would spin
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

int open_read_only(const std::string& path) noexcept {
  try {
    return ::_wopen(wide_from_utf8(path).c_str(), _O_RDONLY | _O_BINARY | _O_NOINHERIT);
  } catch (...) {  // out of memory converting the path
    errno = ENOMEM;
    return -1;
  }
}

}  // namespace ctrecord
