// Private piece of the event codec shared with TraceReader: decoding one event at a position of
// a frame, so the reader can hand out a frame's events one at a time without materialising them
// all (its memory bound is then the decompressed frame plus one event).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ctrecord/trace_events.hpp"

namespace ctrecord::detail {

inline constexpr std::size_t kEventHeaderBytes = 1 + 4;  // u8 kind, u32 LE body length

struct DecodedEvent {
  std::optional<TraceEvent> event;  // nullopt: an unknown kind, skipped
  std::size_t next_pos = 0;         // where the following event starts
};

// Decodes the event starting at `pos` of `frame` (pos < frame.size()): one record, or an io
// record together with the io_order record right after it. Throws TraceFormatError with offset
// `frame_offset` when the event is malformed or is an io_order record not after an io record.
DecodedEvent decode_event_at(std::string_view frame, std::size_t pos, std::uint64_t frame_offset);

}  // namespace ctrecord::detail
