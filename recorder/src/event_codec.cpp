// Event encoding inside a frame: [u8 kind][u32 LE body length][body], the body written by the
// little-endian cereal archive (event_serialization.hpp) and read back by the bounded one.
#include "ctrecord/event_codec.hpp"

#include <string>
#include <utility>

#include "bounded_archive.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/trace_format.hpp"
#include "event_codec_internal.hpp"
#include "event_serialization.hpp"
#include "little_endian.hpp"

namespace ctrecord {

void encode_event(const TraceEvent& event, std::string& out) {
  const std::size_t start = out.size();
  out.push_back(static_cast<char>(event_kind(event)));
  detail::append_u32_le(out, 0);
  const std::size_t body_start = out.size();
  {
    detail::LeOutputArchive archive(out);
    std::visit([&archive](const auto& ev) { archive(ev); }, event);
  }
  const std::size_t body_size = out.size() - body_start;
  if (body_size > trace_format::kMaxEventBytes) {
    out.resize(start);
    throw InternalError("event of kind " + std::string(event_kind_name(event_kind(event))) +
                        " encodes to " + std::to_string(body_size) +
                        " bytes, more than trace_format::kMaxEventBytes; split it before encoding");
  }
  detail::write_u32_le_at(out, body_start - 4, static_cast<std::uint32_t>(body_size));
}

namespace detail {

namespace {

template <typename Event>
TraceEvent decode_body(std::string_view body, std::uint64_t frame_offset, std::size_t body_start,
                       EventKind kind) {
  Event ev;
  BoundedInputArchive archive(body, frame_offset, body_start, event_kind_name(kind));
  archive(ev);
  if (archive.remaining() != 0) {
    archive.fail(std::to_string(archive.remaining()) +
                 " bytes left over after the event's last field");
  }
  return TraceEvent(std::move(ev));
}

[[noreturn]] void fail_at(std::uint64_t frame_offset, std::size_t pos, const std::string& what) {
  throw TraceFormatError(frame_offset, "malformed event at byte " + std::to_string(pos) +
                                           " of the frame's decompressed data: " + what);
}

}  // namespace

DecodedEvent decode_event_at(std::string_view frame, std::size_t pos, std::uint64_t frame_offset) {
  const std::size_t left = frame.size() - pos;
  if (left < kEventHeaderBytes) {
    fail_at(frame_offset, pos,
            "event header needs 5 bytes but only " + std::to_string(left) + " are left");
  }
  const auto kind_byte = static_cast<unsigned char>(frame[pos]);
  const std::uint32_t body_size = read_u32_le(frame.substr(pos + 1, 4));
  const std::size_t body_start = pos + kEventHeaderBytes;
  if (body_size > trace_format::kMaxEventBytes) {
    fail_at(frame_offset, pos,
            "event body length " + std::to_string(body_size) + " exceeds the limit of " +
                std::to_string(trace_format::kMaxEventBytes) + " bytes");
  }
  if (body_size > frame.size() - body_start) {
    fail_at(frame_offset, pos,
            "event body length " + std::to_string(body_size) + " exceeds the " +
                std::to_string(frame.size() - body_start) + " bytes left in the frame");
  }
  const std::string_view body = frame.substr(body_start, body_size);
  DecodedEvent result;
  result.next_pos = body_start + body_size;
  const auto kind = static_cast<EventKind>(kind_byte);
  switch (kind) {
    case EventKind::Start:
      result.event = decode_body<StartEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Io:
      result.event = decode_body<IoChunk>(body, frame_offset, body_start, kind);
      break;
    case EventKind::StreamClosed:
      result.event = decode_body<StreamClosedEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Note:
      result.event = decode_body<NoteEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Exit:
      result.event = decode_body<ExitEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::End:
      result.event = decode_body<EndEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Test:
      result.event = decode_body<TestEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Captured:
      result.event = decode_body<CapturedEvent>(body, frame_offset, body_start, kind);
      break;
    case EventKind::Terminal:
      result.event = decode_body<TerminalEvent>(body, frame_offset, body_start, kind);
      break;
    default: break;  // a kind from a newer writer: skipped (forward compatible by design)
  }
  return result;
}

}  // namespace detail

void decode_events(std::string_view frame, std::uint64_t frame_offset,
                   const std::function<void(TraceEvent&&)>& sink) {
  std::size_t pos = 0;
  while (pos < frame.size()) {
    detail::DecodedEvent decoded = detail::decode_event_at(frame, pos, frame_offset);
    pos = decoded.next_pos;
    if (decoded.event) sink(std::move(*decoded.event));
  }
}

}  // namespace ctrecord
