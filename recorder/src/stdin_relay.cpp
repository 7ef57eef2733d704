// StdinRelay: recorder stdin -> child stdin pipe, recording each chunk.
#include "ctrecord/stdin_relay.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ctrecord {

namespace {
constexpr std::size_t kReadSize = 64u << 10;
}

StdinRelay::StdinRelay(int source_fd, UniqueFd child_write_end, IoEventSink& sink)
    : source_(source_fd), child_(std::move(child_write_end)), sink_(sink), buffer_(kReadSize) {}

pollfd StdinRelay::interest() const noexcept {
  if (!child_) return {-1, 0, 0};
  if (pending_offset_ < pending_.size()) return {child_.get(), POLLOUT, 0};
  return {source_, POLLIN, 0};
}

void StdinRelay::on_ready(short revents) {
  if (!child_) return;
  if (pending_offset_ < pending_.size()) {
    // POLLERR on the write end means the child closed its read end.
    if (revents & (POLLOUT | POLLERR | POLLHUP)) write_pending();
  } else if (revents & (POLLIN | POLLHUP | POLLERR)) {
    read_source();
  }
}

void StdinRelay::read_source() {
  const ssize_t n = ::read(source_, buffer_.data(), buffer_.size());
  if (n > 0) {
    pending_.assign(buffer_.data(), static_cast<std::size_t>(n));
    pending_offset_ = 0;
    sink_.on_chunk(IoChunk{Stream::Stdin, sink_.clock().now_ns(), pending_, 0, {}});
    last_was_newline_ = pending_.back() == '\n';
    write_pending();
    return;
  }
  if (n == 0) {
    if (eof_bytes_.empty()) {
      stop("eof");
      return;
    }
    // A canonical-mode pty ends a partial line at the first EOF character and reports the end
    // of input at the next one.
    pending_ = last_was_newline_ ? eof_bytes_ : eof_bytes_ + eof_bytes_;
    pending_offset_ = 0;
    eof_bytes_.clear();
    stop_when_written_ = true;
    write_pending();
    return;
  }
  if (errno == EINTR || errno == EAGAIN) return;
  const int err = errno;
  sink_.note(NoteLevel::Error, std::string("reading stdin: ") + std::strerror(err) +
                                   "; the command's stdin is closed");
  stop("read-error");
}

void StdinRelay::write_pending() {
  while (pending_offset_ < pending_.size()) {
    const ssize_t n =
        ::write(child_.get(), pending_.data() + pending_offset_, pending_.size() - pending_offset_);
    if (n >= 0) {
      pending_offset_ += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return;  // pipe full: poll for POLLOUT
    if (errno == EPIPE) {
      stop("child-closed");
      return;
    }
    const int err = errno;
    sink_.note(NoteLevel::Error, std::string("writing the command's stdin: ") + std::strerror(err));
    stop("write-error");
    return;
  }
  pending_.clear();
  pending_offset_ = 0;
  if (stop_when_written_) stop("eof");
}

void StdinRelay::stop(const std::string& reason) {
  if (!child_) return;
  child_.reset();
  // (An end-of-file character not written yet was never the user's input.)
  if (const auto left = undelivered_bytes(); left != 0 && !stop_when_written_) {
    sink_.note(NoteLevel::Warning, std::to_string(left) +
                                       " bytes of stdin were read but not delivered (" + reason +
                                       "); they are in the trace but the command never saw them");
  }
  sink_.on_stream_closed(Stream::Stdin, reason);
}

}  // namespace ctrecord
