// FrameCompressor: one zstd compression context that turns a batch of encoded events into one
// standalone trace frame (content size and checksum in the frame, as docs/trace-format.md
// requires), at a level chosen per frame. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct ZSTD_CCtx_s;

namespace ctrecord {

// Encoded events waiting to become one frame.
struct EncodedFrame {
  std::string data;
  std::uint64_t events = 0;
};

class FrameCompressor {
 public:
  FrameCompressor();  // throws EnvironmentError when zstd cannot allocate
  ~FrameCompressor();
  FrameCompressor(const FrameCompressor&) = delete;
  FrameCompressor& operator=(const FrameCompressor&) = delete;

  // Compresses `data` at `level` (zstd's range, negative = fast levels) into `out` (replaced).
  // Throws InternalError if zstd fails.
  void compress(std::string_view data, int level, std::string& out);

 private:
  ZSTD_CCtx_s* cctx_;
};

}  // namespace ctrecord
