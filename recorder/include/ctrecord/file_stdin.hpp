// FileStdin: recording a regular-file stdin without reading ahead. The file stays the
// program's fd 0 (same open file, shared offset); at the end, the range between the offset at
// start and the offset now is what the program consumed, read back with pread and recorded.
#pragma once

#include <sys/types.h>

#include "ctrecord/io_event_sink.hpp"

namespace ctrecord {

class FileStdin {
 public:
  explicit FileStdin(int fd);  // remembers the current offset of `fd`
  // Records the consumed range as stdin chunks (timestamped now) and a stream_closed event;
  // problems (offset moved backwards, unreadable) become warning notes.
  void record_consumed(IoEventSink& sink) const;

 private:
  int fd_;
  off_t start_offset_;
  int start_errno_ = 0;
};

// True when `fd` is a regular file (then FileStdin applies).
bool is_regular_file(int fd) noexcept;

}  // namespace ctrecord
