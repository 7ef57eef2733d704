// FrameCompressor: ZSTD_compress2 with the trace format's frame parameters.
#include "ctrecord/frame_compressor.hpp"

#include <zstd.h>

#include "ctrecord/errors.hpp"

namespace ctrecord {

namespace {
void check(std::size_t result, const char* what) {
  if (ZSTD_isError(result)) {
    throw InternalError(std::string("zstd ") + what + ": " + ZSTD_getErrorName(result));
  }
}
}  // namespace

FrameCompressor::FrameCompressor() : cctx_(ZSTD_createCCtx()) {
  if (cctx_ == nullptr) throw EnvironmentError("cannot allocate a zstd compression context");
  try {
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1), "checksum flag");
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_contentSizeFlag, 1), "content size flag");
  } catch (...) {
    ZSTD_freeCCtx(cctx_);
    throw;
  }
}

FrameCompressor::~FrameCompressor() {
  ZSTD_freeCCtx(cctx_);
}

void FrameCompressor::compress(std::string_view data, int level, std::string& out) {
  check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level), "compression level");
  // Reuses out's capacity when it suffices (a recycled buffer).
  out.resize(ZSTD_compressBound(data.size()));
  const std::size_t size = ZSTD_compress2(cctx_, out.data(), out.size(), data.data(), data.size());
  check(size, "compression");
  out.resize(size);
}

}  // namespace ctrecord
