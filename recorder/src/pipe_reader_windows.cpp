// Windows back end: the reader thread of one captured pipe (ReadFile loop, console mirror).
#include "pipe_reader_windows.hpp"

#include <utility>
#include <vector>

#include "ctrecord/win_error.hpp"

namespace ctrecord {

void ChunkSink::deliver(Stream stream, std::string bytes) {
  IoChunk chunk;
  chunk.stream = stream;
  chunk.t_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::steady_clock::now() - origin_)
                                              .count());
  chunk.bytes = std::move(bytes);
  chunk.producer = GetCurrentProcessId();
  std::lock_guard lock(mutex_);
  if (handler_) handler_(std::move(chunk));
}

bool write_all(HANDLE handle, const char* bytes, std::size_t size) noexcept {
  while (size > 0) {
    DWORD written = 0;
    const DWORD request = size > 0x10000000 ? 0x10000000 : static_cast<DWORD>(size);
    if (!WriteFile(handle, bytes, request, &written, nullptr)) return false;
    bytes += written;
    size -= written;
  }
  return true;
}

PipeReader::PipeReader(Stream stream, UniqueHandle read_end, HANDLE mirror, ChunkSink& sink)
    : stream_(stream), read_end_(std::move(read_end)), mirror_(mirror), sink_(sink) {
  thread_ = std::thread([this] { run(); });
}

void PipeReader::join() {
  if (thread_.joinable()) thread_.join();
}

void PipeReader::run() {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(read_end_.get(), buffer.data(), static_cast<DWORD>(buffer.size()), &got,
                  nullptr)) {
      const DWORD err = GetLastError();
      // ERROR_BROKEN_PIPE: every write end closed, the normal end of the stream.
      if (err != ERROR_BROKEN_PIPE)
        error_ = std::string("ReadFile ") + std::string(stream_name(stream_)) + ": " +
                 win_error_text(err);
      break;
    }
    if (got == 0) continue;  // a zero-byte write on the other end
    // A console that went away stops the mirror, never the capture.
    if (mirror_ != nullptr && !write_all(mirror_, buffer.data(), got)) mirror_ = nullptr;
    sink_.deliver(stream_, std::string(buffer.data(), got));
  }
  read_end_.reset();
}

}  // namespace ctrecord
