// TraceFileWriter: the .ctrace writer. File layout (docs/trace-format.md):
//
//   file   := header frame*
//   header := magic[8] version:u32le flags:u32le(=0)                  (16 bytes, uncompressed)
//   frame  := one standalone zstd frame (content size in its header, content checksum on)
//             whose content is a batch of whole events: event*
//   event  := kind:u8 body_length:u32le body[body_length]           (see event_codec.cpp)
//
// Because every frame is a plain zstd frame, `tail -c +17 run.ctrace | zstd -dc` prints the
// concatenated event encodings of a trace.
#include "ctrecord/trace_file_writer.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/event_codec.hpp"
#include "ctrecord/fd_io.hpp"
#include "ctrecord/frame_compressor.hpp"
#include "ctrecord/trace_format.hpp"
#include "little_endian.hpp"

namespace ctrecord {

namespace {

// IoChunks larger than this are split into several consecutive chunks (same stream, time,
// producer, context and order fields; of an exact-order chunk, only the first part counts its
// `writes`, the others have 0) so that no event body comes near trace_format::kMaxEventBytes.
constexpr std::size_t kMaxIoPayloadPerEvent = 8u << 20;

using PendingFrame = EncodedFrame;

}  // namespace

struct TraceFileWriter::Impl {
  UniqueFd fd;
  std::string path;
  int level = 1;
  std::optional<FrameCompressor> compressor;
  std::vector<PendingFrame> sealed;  // full frames waiting for flush_frame()
  PendingFrame current;
  std::string compressed;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t lost = 0;
  int broken_errno = 0;  // set when a failed write could not be rolled back
  bool closed = false;
  bool header_written = false;
  std::size_t frame_reserve = 0;

  void write_or_throw(std::string_view data, std::uint64_t events_in_data) {
    if (broken_errno != 0) {
      lost += events_in_data;
      throw EnvironmentError("write", path, broken_errno);
    }
    if (int err = write_all(fd.get(), data)) {
      lost += events_in_data;
      // Remove a partly written frame so that later frames still follow a whole one (e.g.
      // after ENOSPC some space may come back); when that is impossible (pipe, /dev/full),
      // nothing written later could be read back, so every later write fails the same way.
      if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0 ||
          ::lseek(fd.get(), static_cast<off_t>(bytes), SEEK_SET) < 0) {
        broken_errno = err;
      }
      throw EnvironmentError("write", path, err);
    }
    bytes += data.size();
  }

  void write_header() {
    std::string header(trace_format::kMagic.begin(), trace_format::kMagic.end());
    detail::append_u32_le(header, trace_format::kCurrentVersion);
    detail::append_u32_le(header, 0);  // flags: none defined in v1
    write_or_throw(header, 0);
    header_written = true;
  }

  void write_frame(const PendingFrame& frame) {
    try {
      if (!compressor) compressor.emplace();
      compressor->compress(frame.data, level, compressed);
    } catch (...) {
      lost += frame.events;
      throw;
    }
    write_compressed(compressed, frame.events);
  }

  void write_compressed(std::string_view frame, std::uint64_t events) {
    if (!header_written) {
      try {
        write_header();
      } catch (...) {
        lost += events;
        throw;
      }
    }
    write_or_throw(frame, events);
    ++frames;
  }

  void add_encoded(std::size_t before) {
    // Keep every frame within kMaxFrameBytes: an event that would overflow the current frame
    // starts the next one (the bytes are moved, never re-encoded).
    if (current.data.size() > trace_format::kMaxFrameBytes && before > 0) {
      PendingFrame next;
      next.data.assign(current.data, before, std::string::npos);
      current.data.resize(before);
      sealed.push_back(std::move(current));
      current = std::move(next);
    }
    ++current.events;
  }

  void append_one(const TraceEvent& event) {
    if (current.data.empty() && frame_reserve > 0) current.data.reserve(frame_reserve);
    const std::size_t before = current.data.size();
    encode_event(event, current.data);
    add_encoded(before);
  }
};

TraceFileWriter::TraceFileWriter(UniqueFd fd, std::string path, int zstd_level) : impl_(new Impl) {
  impl_->fd = std::move(fd);
  impl_->path = std::move(path);
  impl_->level = zstd_level;
  // A header that cannot be written (disk full, /dev/full) is not fatal here: the recording
  // goes on, the header is retried before the first frame, and that write reports the error
  // through the normal path (the command keeps running; the trace is marked incomplete).
  try {
    impl_->write_header();
  } catch (const EnvironmentError&) {
  }
}

TraceFileWriter::~TraceFileWriter() {
  // Best effort: whatever was appended but not flushed still reaches the file. Failures are
  // counted in events_lost() and cannot be reported from a destructor.
  if (!impl_->closed && impl_->fd) {
    try {
      flush_frame();
    } catch (...) {
    }
  }
  delete impl_;
}

void TraceFileWriter::append(const TraceEvent& event) {
  const auto* chunk = std::get_if<IoChunk>(&event);
  if (chunk == nullptr || chunk->bytes.size() <= kMaxIoPayloadPerEvent) {
    impl_->append_one(event);
    return;
  }
  std::string_view rest = chunk->bytes;
  while (!rest.empty()) {
    IoChunk part;
    part.stream = chunk->stream;
    part.t_ns = chunk->t_ns;
    part.producer = chunk->producer;
    part.context = chunk->context;
    part.order = chunk->order;
    part.seq = chunk->seq;
    part.writes = rest.size() == chunk->bytes.size() ? chunk->writes : 0;
    part.tid = chunk->tid;
    part.bytes.assign(rest.substr(0, kMaxIoPayloadPerEvent));
    rest.remove_prefix(part.bytes.size());
    impl_->append_one(TraceEvent(std::move(part)));
  }
}

std::size_t TraceFileWriter::pending_bytes() const noexcept {
  std::size_t total = impl_->current.data.size();
  for (const auto& frame : impl_->sealed) total += frame.data.size();
  return total;
}

std::size_t TraceFileWriter::pending_events() const noexcept {
  std::uint64_t total = impl_->current.events;
  for (const auto& frame : impl_->sealed) total += frame.events;
  return static_cast<std::size_t>(total);
}

void TraceFileWriter::flush_frame() {
  if (impl_->closed) throw InternalError("TraceFileWriter::flush_frame after close");
  std::vector<PendingFrame> frames = std::move(impl_->sealed);
  impl_->sealed.clear();
  if (impl_->current.events > 0) frames.push_back(std::move(impl_->current));
  impl_->current = PendingFrame{};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    try {
      impl_->write_frame(frames[i]);
    } catch (...) {
      for (std::size_t j = i + 1; j < frames.size(); ++j) impl_->lost += frames[j].events;
      throw;
    }
  }
}

std::vector<EncodedFrame> TraceFileWriter::take_frames() {
  if (impl_->closed) throw InternalError("TraceFileWriter::take_frames after close");
  std::vector<EncodedFrame> frames = std::move(impl_->sealed);
  impl_->sealed.clear();
  if (impl_->current.events > 0) frames.push_back(std::move(impl_->current));
  impl_->current = PendingFrame{};
  return frames;
}

void TraceFileWriter::write_compressed_frame(std::string_view frame, std::uint64_t events) {
  if (impl_->closed) throw InternalError("TraceFileWriter::write_compressed_frame after close");
  impl_->write_compressed(frame, events);
}

void TraceFileWriter::set_frame_reserve(std::size_t bytes) noexcept {
  impl_->frame_reserve = bytes;
}

void TraceFileWriter::provide_frame_buffer(std::string buffer) noexcept {
  if (impl_->current.data.empty() && buffer.capacity() > impl_->current.data.capacity()) {
    buffer.clear();
    impl_->current.data = std::move(buffer);
  }
}

void TraceFileWriter::count_lost(std::uint64_t events) noexcept {
  impl_->lost += events;
}

void TraceFileWriter::close() {
  if (impl_->closed) return;
  try {
    flush_frame();
    if (!impl_->header_written) impl_->write_header();
  } catch (...) {
    impl_->closed = true;
    impl_->fd.reset();
    throw;
  }
  impl_->closed = true;
  const int fd = impl_->fd.release();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    throw EnvironmentError("close", impl_->path, errno);
  }
}

std::uint64_t TraceFileWriter::frames_written() const noexcept {
  return impl_->frames;
}
std::uint64_t TraceFileWriter::bytes_written() const noexcept {
  return impl_->bytes;
}
std::uint64_t TraceFileWriter::events_lost() const noexcept {
  return impl_->lost;
}
const std::string& TraceFileWriter::path() const noexcept {
  return impl_->path;
}

}  // namespace ctrecord
