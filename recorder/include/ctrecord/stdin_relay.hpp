// StdinRelay: forwards the recorder's stdin (a pipe, terminal or other stream) to the child's
// stdin pipe, recording each chunk as it is read. EOF on the source closes the child's pipe
// (the child sees EOF); a child that stops reading (EPIPE) or exits ends forwarding without
// hanging. The recorder may read ahead of the child by up to one read plus the pipe buffer:
// bytes read but never delivered are reported in a note. Driven by a poll loop.
#pragma once

#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class StdinRelay {
 public:
  // `source_fd` is not owned (the recorder's fd 0); `child_write_end` must be non-blocking.
  StdinRelay(int source_fd, UniqueFd child_write_end, IoEventSink& sink);

  bool active() const noexcept { return child_.valid(); }
  // What to poll for now: the source (POLLIN) when nothing is pending, else the child's pipe
  // (POLLOUT). fd -1 when inactive.
  pollfd interest() const noexcept;
  void on_ready(short revents);
  // Ends forwarding (e.g. the child exited) and records why.
  void stop(const std::string& reason);

  std::uint64_t undelivered_bytes() const noexcept { return pending_.size() - pending_offset_; }

  // For a pty: at the source's EOF, write `bytes` (the pty's end-of-file character) before
  // stopping, so the command's read sees the end of input as it would from `cmd < file`.
  // They are not recorded: a replay writes them again at the same point.
  void set_eof_bytes(std::string bytes) { eof_bytes_ = std::move(bytes); }

 private:
  void read_source();
  void write_pending();

  int source_;
  UniqueFd child_;
  IoEventSink& sink_;
  std::string pending_;
  std::size_t pending_offset_ = 0;
  std::string eof_bytes_;
  bool stop_when_written_ = false;
  bool last_was_newline_ = true;  // nothing forwarded yet, or it ended a line
  std::vector<char> buffer_;
};

}  // namespace ctrecord
