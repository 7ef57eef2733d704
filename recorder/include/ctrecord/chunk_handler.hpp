// ChunkHandler: where the Windows capture back end (WinSession, run_captured_child) hands each
// IoChunk it reads; WinTraceRecording::chunk_handler() records them into a trace. Called from
// reader threads, one call at a time per capture.
#pragma once

#include <functional>

#include "ctrecord/io_chunk.hpp"

namespace ctrecord {

using ChunkHandler = std::function<void(IoChunk chunk)>;

}  // namespace ctrecord
