// StdoutWriter: buffered output of a CLI's real results (raw bytes, JSON, text) to fd 1 through
// write_all. When the reader of stdout goes away (EPIPE) it throws StdoutClosed, which
// trace_cli_main turns into a quiet death by SIGPIPE, exactly as cat(1) would end.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ctharness {

struct StdoutClosed : std::runtime_error {
  StdoutClosed() : std::runtime_error("stdout closed (EPIPE)") {}
};

class StdoutWriter {
 public:
  // `name` says what `fd` is in error messages ("stdout", an -o file's path).
  explicit StdoutWriter(int fd = 1, std::string name = "stdout")
      : fd_(fd), name_(std::move(name)) {}
  ~StdoutWriter() = default;  // call flush() explicitly: errors must be reported
  StdoutWriter(const StdoutWriter&) = delete;
  StdoutWriter& operator=(const StdoutWriter&) = delete;

  // Appends to the buffer; writes it out once it holds kFlushBytes or more.
  void write(std::string_view bytes);
  // The buffer to append to directly (e.g. a JsonWriter); call maybe_flush() afterwards.
  std::string& buffer() noexcept { return buffer_; }
  void maybe_flush();
  // Throws StdoutClosed on EPIPE and EnvironmentError("write", name, errno) otherwise.
  void flush();

  static constexpr std::size_t kFlushBytes = 64u << 10;

 private:
  void write_out(std::string_view bytes);

  int fd_;
  std::string name_;
  std::string buffer_;
};

// Resets SIGPIPE to its default action and raises it (never returns when that works).
void die_of_sigpipe() noexcept;

}  // namespace ctharness
