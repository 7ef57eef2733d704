// OutputRelay: moves one captured output stream (the read end of the child's stdout or stderr
// pipe) to the console and the trace. Each read becomes one IoChunk, mirrored to the console
// descriptor as it arrives (console stays live) after it was handed to the IoEventSink. When the
// console is gone (EPIPE) the relay closes the pipe, so the writer gets SIGPIPE/EPIPE just as
// it would without the recorder. Driven by a poll loop; owns its pipe end (or a pty master).
// With a ChunkRoute set (--order=exact), chunks and the stream's end go there instead of the
// sink.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/chunk_route.hpp"
#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class OutputRelay {
 public:
  // `mirror_fd` is the console descriptor (not owned; -1 for none).
  OutputRelay(Stream stream, UniqueFd pipe_read_end, int mirror_fd, IoEventSink& sink,
              std::uint64_t producer);

  int fd() const noexcept { return pipe_.get(); }  // -1 once closed
  bool open() const noexcept { return pipe_.valid(); }
  Stream stream() const noexcept { return stream_; }

  // One read (call when poll reports the pipe readable or hung up). Returns true when it
  // took bytes (more may follow), false at EOF, EAGAIN or an error.
  bool on_readable();
  // Reads until the pipe is empty (EAGAIN) or ends; the pipe end must be non-blocking.
  void drain_available();
  // Reads what the pipe holds right now (FIONREAD), no more: bounded even while the command
  // keeps writing. For ordering barriers (control-channel events).
  void drain_present();
  // Stops relaying: closes the pipe and records why.
  void close(const std::string& reason);
  // For a pty master: EIO (every slave descriptor closed) is the end of the stream.
  void treat_eio_as_eof() noexcept { eio_is_eof_ = true; }
  // Chunks and the end of the stream go to `route` (not owned; null: the sink) from now on.
  void set_route(ChunkRoute* route) noexcept { route_ = route; }

 private:
  // One read of at most `limit` bytes; returns the bytes taken (0 at EOF, EAGAIN or error).
  std::size_t read_once(std::size_t limit);
  // Returns false when the console reader is gone (EPIPE).
  bool mirror(std::string_view bytes);

  Stream stream_;
  UniqueFd pipe_;
  int mirror_fd_;
  bool mirror_failed_ = false;
  bool eio_is_eof_ = false;
  IoEventSink& sink_;
  ChunkRoute* route_ = nullptr;
  std::uint64_t producer_;
  std::vector<char> buffer_;
};

}  // namespace ctrecord
