// TraceReader: streaming, distrustful reader of .ctrace files (layout in trace_file_writer.cpp
// and docs/trace-format.md). The file is read through a fixed-size buffer, one zstd frame at a
// time; a frame's declared content size is checked against trace_format::kMaxFrameBytes before
// anything is allocated for it, and its events are decoded one by one from the decompressed
// payload as next() is called. Memory: the read buffer + one decompressed frame (<=
// kMaxFrameBytes) + zstd's window for it (<= kMaxFrameBytes) + one decoded event.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader
#include "ctrecord/trace_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "ctrecord/fd_io.hpp"
#include "ctrecord/trace_format.hpp"
#include "ctrecord/unique_fd.hpp"
#include "event_codec_internal.hpp"
#include "little_endian.hpp"

namespace ctrecord {

namespace {

constexpr std::size_t kReadBufferBytes = 256u << 10;
// First allocation for a frame's output; it grows (doubling) up to the declared content size,
// so a short file claiming a huge frame does not make the reader allocate the claim.
constexpr std::size_t kInitialFrameBuffer = 64u << 10;
// 2^26 = 64 MiB = kMaxFrameBytes: zstd refuses frames needing a larger window.
constexpr int kWindowLogMax = 26;
static_assert((std::size_t{1} << kWindowLogMax) == trace_format::kMaxFrameBytes);

}  // namespace

struct TraceReader::Impl {
  std::string path;
  UniqueFd fd;
  std::uint64_t file_size = 0;
  std::uint32_t version = 0;
  ZSTD_DCtx* dctx = nullptr;

  // Read buffer: bytes [buf_pos, buf_len) of `buf` are the file bytes starting at offset `pos`.
  std::string buf = std::string(kReadBufferBytes, '\0');
  std::size_t buf_pos = 0;
  std::size_t buf_len = 0;
  std::uint64_t pos = 0;  // file offset of the next unconsumed byte
  bool eof = false;

  // The current frame's payload and the position of its next event.
  std::string frame;
  std::size_t frame_next = 0;
  std::uint64_t frame_offset = 0;

  std::uint64_t frames = 0;
  bool saw_end = false;
  bool pending_after_end = false;  // the End event's frame holds more events after it
  bool done = false;
  bool is_complete = false;
  std::optional<TraceFormatError> error;

  std::size_t available() const noexcept { return buf_len - buf_pos; }
  const char* data() const noexcept { return buf.data() + buf_pos; }
  void consume(std::size_t n) noexcept {
    buf_pos += n;
    pos += n;
  }

  // Makes at least `want` (<= buffer size) bytes available unless the file ends first.
  // Returns the number available. Throws EnvironmentError on read errors.
  std::size_t fill(std::size_t want) {
    if (available() >= want || eof) return available();
    if (buf_pos > 0) {
      std::memmove(buf.data(), buf.data() + buf_pos, available());
      buf_len -= buf_pos;
      buf_pos = 0;
    }
    while (buf_len < want && !eof) {
      const ssize_t n = ::read(fd.get(), buf.data() + buf_len, buf.size() - buf_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw EnvironmentError("read", path, errno);
      }
      if (n == 0) eof = true;
      buf_len += static_cast<std::size_t>(n);
    }
    return available();
  }

  void read_header() {
    const std::size_t got = fill(trace_format::kHeaderSize);
    const auto& magic = trace_format::kMagic;
    const std::size_t magic_got = std::min(got, magic.size());
    if (got == 0) throw TraceFormatError(0, "not a ctrace file: the file is empty");
    if (std::memcmp(data(), magic.data(), magic_got) != 0) {
      throw TraceFormatError(0, "not a ctrace file (wrong magic bytes)");
    }
    if (got < trace_format::kHeaderSize) {
      throw TraceFormatError(got, "truncated header: the file has only " + std::to_string(got) +
                                      " of the " + std::to_string(trace_format::kHeaderSize) +
                                      " header bytes");
    }
    const std::string_view header(data(), trace_format::kHeaderSize);
    version = detail::read_u32_le(header.substr(8, 4));
    const std::uint32_t flags = detail::read_u32_le(header.substr(12, 4));
    if (version > trace_format::kCurrentVersion) {
      throw TraceFormatError(8, "written by a newer ctest-record (format v" +
                                    std::to_string(version) + "); this build reads up to v" +
                                    std::to_string(trace_format::kCurrentVersion));
    }
    if (version < trace_format::kOldestSupportedVersion) {
      throw TraceFormatError(8, "format v" + std::to_string(version) +
                                    " is too old; this build reads v" +
                                    std::to_string(trace_format::kOldestSupportedVersion) +
                                    " to v" + std::to_string(trace_format::kCurrentVersion));
    }
    if (flags != 0) {
      throw TraceFormatError(12, "unknown header flags " + std::to_string(flags) + " (format v" +
                                     std::to_string(version) + " defines none)");
    }
    consume(trace_format::kHeaderSize);
  }

  // Decompresses the frame starting at `pos` into `frame`. Returns false at a clean EOF.
  bool read_frame() {
    frame_offset = pos;
    std::size_t got = fill(ZSTD_FRAMEHEADERSIZE_MAX);
    if (got == 0) return false;
    ZSTD_frameHeader header{};
    const std::size_t r = ZSTD_getFrameHeader(&header, data(), got);
    if (ZSTD_isError(r)) {
      throw TraceFormatError(frame_offset, std::string("corrupt frame: ") + ZSTD_getErrorName(r));
    }
    if (r > 0) {
      throw TraceFormatError(frame_offset, "truncated frame: the file ends " + std::to_string(got) +
                                               " bytes into the frame header");
    }
    if (header.frameType != ZSTD_frame) {
      throw TraceFormatError(frame_offset, "corrupt frame: unexpected zstd skippable frame");
    }
    if (header.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN ||
        header.frameContentSize == ZSTD_CONTENTSIZE_ERROR) {
      throw TraceFormatError(frame_offset,
                             "corrupt frame: the zstd frame header has no content size");
    }
    if (header.frameContentSize > trace_format::kMaxFrameBytes) {
      throw TraceFormatError(
          frame_offset, "corrupt frame: declared content size " +
                            std::to_string(header.frameContentSize) + " exceeds the limit of " +
                            std::to_string(trace_format::kMaxFrameBytes) + " bytes");
    }
    if (header.checksumFlag == 0) {
      throw TraceFormatError(frame_offset, "corrupt frame: the zstd frame has no checksum");
    }
    const auto content_size = static_cast<std::size_t>(header.frameContentSize);

    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
    frame.clear();
    frame.resize(std::min(content_size, kInitialFrameBuffer));
    std::size_t out_pos = 0;
    for (;;) {
      if (out_pos == frame.size() && frame.size() < content_size) {
        frame.resize(std::min(content_size, std::max(frame.size() * 2, kInitialFrameBuffer)));
      }
      if (available() == 0 && fill(1) == 0) {
        throw TraceFormatError(frame_offset, "truncated frame: the file ends at byte " +
                                                 std::to_string(pos) + " inside this frame");
      }
      ZSTD_inBuffer in{data(), available(), 0};
      ZSTD_outBuffer out{frame.data(), frame.size(), out_pos};
      const std::size_t ret = ZSTD_decompressStream(dctx, &out, &in);
      if (ZSTD_isError(ret)) {
        throw TraceFormatError(frame_offset,
                               std::string("corrupt frame: ") + ZSTD_getErrorName(ret));
      }
      const bool progress = in.pos > 0 || out.pos > out_pos;
      consume(in.pos);
      out_pos = out.pos;
      if (ret == 0) break;
      if (!progress) {
        throw TraceFormatError(frame_offset, "corrupt frame: more content than the " +
                                                 std::to_string(content_size) +
                                                 " bytes its header declares");
      }
    }
    if (out_pos != content_size) {
      throw TraceFormatError(frame_offset,
                             "corrupt frame: decompressed to " + std::to_string(out_pos) +
                                 " bytes, its header declares " + std::to_string(content_size));
    }
    frame.resize(out_pos);
    frame_next = 0;
    ++frames;
    return true;
  }

  std::optional<TraceEvent> next() {
    for (;;) {
      if (frame_next < frame.size()) {
        detail::DecodedEvent decoded = detail::decode_event_at(frame, frame_next, frame_offset);
        frame_next = decoded.next_pos;
        if (!decoded.event) continue;  // unknown kind from a newer writer: skipped
        if (std::holds_alternative<EndEvent>(*decoded.event)) {
          saw_end = true;
          if (frame_next < frame.size()) {
            // Hand out the End event; the next call reports what follows it.
            frame.resize(frame_next);
            pending_after_end = true;
          }
        }
        return std::move(decoded.event);
      }
      if (pending_after_end) {
        throw TraceFormatError(frame_offset, "events after the end record in this frame");
      }
      if (saw_end) {
        if (fill(1) > 0) {
          throw TraceFormatError(pos, "unexpected data after the end record");
        }
        is_complete = true;
        done = true;
        return std::nullopt;
      }
      if (!read_frame()) {
        throw TraceFormatError(pos,
                               "incomplete trace: no end record (the recorder was "
                               "killed or could not finish writing)");
      }
    }
  }
};

TraceReader::TraceReader(const std::string& path) : impl_(new Impl) {
  try {
    impl_->path = path;
    impl_->fd.reset(open_read_only(path));
    if (!impl_->fd) throw EnvironmentError("open", path, errno);
    struct stat st {};
    if (::fstat(impl_->fd.get(), &st) != 0) throw EnvironmentError("fstat", path, errno);
    if (S_ISDIR(st.st_mode)) throw EnvironmentError("read", path, EISDIR);
    impl_->file_size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    impl_->dctx = ZSTD_createDCtx();
    if (impl_->dctx == nullptr) {
      throw EnvironmentError("cannot allocate a zstd decompression context");
    }
    ZSTD_DCtx_setParameter(impl_->dctx, ZSTD_d_windowLogMax, kWindowLogMax);
    impl_->read_header();
  } catch (...) {
    ZSTD_freeDCtx(impl_->dctx);
    delete impl_;
    throw;
  }
}

TraceReader::~TraceReader() {
  ZSTD_freeDCtx(impl_->dctx);
  delete impl_;
}

std::optional<TraceEvent> TraceReader::next() {
  if (impl_->done) return std::nullopt;
  try {
    return impl_->next();
  } catch (const TraceFormatError& e) {
    impl_->error = e;
  } catch (const EnvironmentError& e) {
    // A read error mid-file: reported like damage at the current offset so that callers see
    // one uniform "stopped here" signal; the message keeps the errno text.
    impl_->error = TraceFormatError(impl_->pos, e.what());
  }
  impl_->done = true;
  impl_->frame.clear();
  impl_->frame.shrink_to_fit();
  return std::nullopt;
}

bool TraceReader::complete() const noexcept {
  return impl_->is_complete;
}
const std::optional<TraceFormatError>& TraceReader::error() const noexcept {
  return impl_->error;
}
std::uint32_t TraceReader::format_version() const noexcept {
  return impl_->version;
}
std::uint64_t TraceReader::frames_read() const noexcept {
  return impl_->frames;
}
std::uint64_t TraceReader::file_size() const noexcept {
  return impl_->file_size;
}
const std::string& TraceReader::path() const noexcept {
  return impl_->path;
}

}  // namespace ctrecord
