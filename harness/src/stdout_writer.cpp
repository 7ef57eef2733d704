// Buffered, EPIPE-aware output to stdout for the CLIs.
#include "ctharness/stdout_writer.hpp"

#include <cerrno>
#include <csignal>

#include "ctrecord/errors.hpp"
#include "ctrecord/fd_io.hpp"

namespace ctharness {

void StdoutWriter::write(std::string_view bytes) {
  if (bytes.size() >= kFlushBytes) {
    flush();
    write_out(bytes);  // big payloads go out directly, not through the buffer
    return;
  }
  buffer_ += bytes;
  maybe_flush();
}

void StdoutWriter::maybe_flush() {
  if (buffer_.size() >= kFlushBytes) flush();
}

void StdoutWriter::flush() {
  if (buffer_.empty()) return;
  std::string pending;
  pending.swap(buffer_);
  write_out(pending);
}

void StdoutWriter::write_out(std::string_view bytes) {
  const int err = ctrecord::write_all(fd_, bytes);
  if (err == EPIPE) throw StdoutClosed();
  if (err != 0) throw ctrecord::EnvironmentError("write", name_, err);
}

void die_of_sigpipe() noexcept {
  std::signal(SIGPIPE, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  std::raise(SIGPIPE);
}

}  // namespace ctharness
