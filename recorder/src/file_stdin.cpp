// FileStdin: consumed bytes of a regular-file stdin, read back with pread at the end.
#include "ctrecord/file_stdin.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace ctrecord {

namespace {
constexpr std::size_t kChunk = 1u << 20;
}

bool is_regular_file(int fd) noexcept {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

FileStdin::FileStdin(int fd) : fd_(fd), start_offset_(::lseek(fd, 0, SEEK_CUR)) {
  if (start_offset_ < 0) start_errno_ = errno;
}

void FileStdin::record_consumed(IoEventSink& sink) const {
  const off_t end_offset = ::lseek(fd_, 0, SEEK_CUR);
  if (start_offset_ < 0 || end_offset < 0) {
    const int err = start_offset_ < 0 ? start_errno_ : errno;
    sink.note(NoteLevel::Warning, std::string("stdin is a file but its offset cannot be read (") +
                                      std::strerror(err) + "); consumed stdin not recorded");
    return;
  }
  if (end_offset < start_offset_) {
    sink.note(NoteLevel::Warning,
              "stdin's offset moved backwards; the consumed part of stdin is not recorded");
    return;
  }
  const std::uint64_t t_ns = sink.clock().now_ns();
  std::string buffer;
  off_t offset = start_offset_;
  while (offset < end_offset) {
    buffer.resize(static_cast<std::size_t>(std::min<off_t>(end_offset - offset, kChunk)));
    const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sink.note(NoteLevel::Warning, "stdin file could not be read back at offset " +
                                        std::to_string(offset) + ": " +
                                        (n < 0 ? std::strerror(errno) : "file shrank"));
      return;
    }
    buffer.resize(static_cast<std::size_t>(n));
    sink.on_chunk(IoChunk{Stream::Stdin, t_ns, buffer, 0, {}});
    offset += n;
  }
  sink.on_stream_closed(Stream::Stdin, "file-consumed");
}

}  // namespace ctrecord
