// ChunkRoute: somewhere other than the IoEventSink for an OutputRelay to hand what it reads.
// --order=exact routes the relays' chunks and stream ends through its ledger
// (ordered_output.hpp), which passes them on to the sink in sequence order. The console mirror
// is not affected: the relay still writes every byte to it as soon as it is read.
#pragma once

#include <string>

#include "ctrecord/io_chunk.hpp"

namespace ctrecord {

class ChunkRoute {
 public:
  virtual ~ChunkRoute() = default;
  virtual void on_chunk(IoChunk chunk) = 0;  // stamped with stream, read time, producer
  virtual void on_stream_closed(Stream stream, std::string reason) = 0;
};

}  // namespace ctrecord
