// OutputRelay: pipe -> console mirror + IoChunk.
#include "ctrecord/output_relay.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ctrecord/fd_io.hpp"
#include "ctrecord/log.hpp"

namespace ctrecord {

namespace {
constexpr std::size_t kReadSize = 256u << 10;
}

OutputRelay::OutputRelay(Stream stream, UniqueFd pipe_read_end, int mirror_fd, IoEventSink& sink,
                         std::uint64_t producer)
    : stream_(stream),
      pipe_(std::move(pipe_read_end)),
      mirror_fd_(mirror_fd),
      sink_(sink),
      producer_(producer),
      buffer_(kReadSize) {}

bool OutputRelay::on_readable() {
  return read_once(buffer_.size()) > 0;
}

std::size_t OutputRelay::read_once(std::size_t limit) {
  if (!pipe_) return 0;
  const ssize_t n = ::read(pipe_.get(), buffer_.data(), std::min(limit, buffer_.size()));
  if (n > 0) {
    const std::string_view bytes(buffer_.data(), static_cast<std::size_t>(n));
    IoChunk chunk;
    chunk.stream = stream_;
    chunk.t_ns = sink_.clock().now_ns();
    chunk.bytes.assign(bytes);
    chunk.producer = producer_;
    // Into the trace first: a mirror write can block on a stalled console, and bytes the
    // recorder has taken from the pipe must not depend on the console to be kept.
    if (route_ != nullptr) {
      route_->on_chunk(std::move(chunk));
    } else {
      sink_.on_chunk(std::move(chunk));
    }
    if (!mirror(bytes)) {
      // The console reader is gone. Close our read end so the command's next write fails
      // with SIGPIPE/EPIPE, exactly as it would without the recorder.
      log::debug("{} console closed (EPIPE); closing the command's pipe", stream_name(stream_));
      close("console-closed");
    }
    return static_cast<std::size_t>(n);
  }
  if (n == 0 || (eio_is_eof_ && errno == EIO)) {
    close("eof");
    return 0;
  }
  if (errno == EINTR) return read_once(limit);
  if (errno == EAGAIN) return 0;
  const int err = errno;
  sink_.note(NoteLevel::Error, std::string("reading the command's ") +
                                   std::string(stream_name(stream_)) + ": " + std::strerror(err));
  close("read-error");
  return 0;
}

void OutputRelay::drain_available() {
  while (on_readable()) {
  }
}

void OutputRelay::drain_present() {
  if (!pipe_) return;
  int present = 0;
  if (::ioctl(pipe_.get(), FIONREAD, &present) != 0) {
    drain_available();  // cannot count: take all
    return;
  }
  // Exactly what is there now; a writer that keeps writing cannot keep us here.
  std::size_t left = static_cast<std::size_t>(present);
  while (left > 0) {
    const std::size_t got = read_once(left);
    if (got == 0) return;
    left -= got;
  }
}

bool OutputRelay::mirror(std::string_view bytes) {
  if (mirror_fd_ < 0 || mirror_failed_) return true;
  const int err = write_all(mirror_fd_, bytes);
  if (err == 0) return true;
  mirror_failed_ = true;
  if (err == EPIPE) return false;
  sink_.note(NoteLevel::Warning, std::string("cannot mirror ") + std::string(stream_name(stream_)) +
                                     " to the console: " + std::strerror(err) +
                                     "; still recording it");
  return true;
}

void OutputRelay::close(const std::string& reason) {
  if (!pipe_) return;
  pipe_.reset();
  if (route_ != nullptr) {
    route_->on_stream_closed(stream_, reason);
  } else {
    sink_.on_stream_closed(stream_, reason);
  }
}

}  // namespace ctrecord
