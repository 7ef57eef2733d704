// Encoding of single events inside a frame: [u8 kind][u32 LE length][cereal body]. The body
// is written with a little-endian fixed-width cereal archive; decoding uses a bounded archive
// that checks every length against the bytes left before allocating.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ctrecord/trace_events.hpp"

namespace ctrecord {

// Appends the encoding of `event` to `out`: one record, or two for an IoChunk whose order is
// not ChunkOrder::Read (its io record, then an io_order record).
void encode_event(const TraceEvent& event, std::string& out);

// Decodes every event in `frame` (the uncompressed payload of one zstd frame) and hands each
// to `sink`. Unknown event kinds are skipped (forward compatibility); an io_order record is
// attached to the io record right before it (anywhere else it is an error). Throws
// TraceFormatError with offsets relative to `frame_offset` (the frame's offset in the file)
// when the payload is malformed.
void decode_events(std::string_view frame, std::uint64_t frame_offset,
                   const std::function<void(TraceEvent&&)>& sink);

}  // namespace ctrecord
