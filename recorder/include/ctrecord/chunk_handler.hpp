// ChunkHandler: where a capture back end without a trace writer hands each IoChunk it reads
// (the Windows back end until zstd and cereal build for it). Called from reader threads, one
// call at a time per capture.
#pragma once

#include <functional>

#include "ctrecord/io_chunk.hpp"

namespace ctrecord {

using ChunkHandler = std::function<void(IoChunk chunk)>;

}  // namespace ctrecord
