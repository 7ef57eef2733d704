// Event encoding inside a frame: [u8 kind][u32 LE body length][body], the body written by the
// little-endian cereal archive (event_serialization.hpp) and read back by the bounded one. An
// exact-order IoChunk is two records: io, then io_order (kind 10) with its order fields.
#include "ctrecord/event_codec.hpp"

#include <optional>
#include <string>
#include <utility>

#include "bounded_archive.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/trace_format.hpp"
#include "event_codec_internal.hpp"
#include "event_serialization.hpp"
#include "little_endian.hpp"

namespace ctrecord {

namespace {

// Appends one record [kind][u32 LE length][body]. On an oversized body, `out` is cut back to
// `event_start` (nothing of the event stays) and InternalError is thrown.
template <typename Body>
void encode_record(EventKind kind, const Body& body, std::string& out, std::size_t event_start) {
  out.push_back(static_cast<char>(kind));
  detail::append_u32_le(out, 0);
  const std::size_t body_start = out.size();
  {
    detail::LeOutputArchive archive(out);
    archive(body);
  }
  const std::size_t body_size = out.size() - body_start;
  if (body_size > trace_format::kMaxEventBytes) {
    out.resize(event_start);
    throw InternalError("event of kind " + std::string(event_kind_name(kind)) + " encodes to " +
                        std::to_string(body_size) +
                        " bytes, more than trace_format::kMaxEventBytes; split it before encoding");
  }
  detail::write_u32_le_at(out, body_start - 4, static_cast<std::uint32_t>(body_size));
}

}  // namespace

void encode_event(const TraceEvent& event, std::string& out) {
  const std::size_t start = out.size();
  const EventKind kind = event_kind(event);
  std::visit([&](const auto& ev) { encode_record(kind, ev, out, start); }, event);
  // An exact-order chunk: its io_order record right after the io record (same frame, since
  // the writer never splits one encode_event's bytes across frames).
  const auto* chunk = std::get_if<IoChunk>(&event);
  if (chunk != nullptr && chunk->order != ChunkOrder::Read) {
    const detail::IoOrderRecord record{chunk->order, chunk->seq, chunk->writes, chunk->tid};
    encode_record(EventKind::IoOrder, record, out, start);
  }
}

namespace detail {

namespace {

template <typename Body>
Body decode_body(std::string_view body, std::uint64_t frame_offset, std::size_t body_start,
                 EventKind kind) {
  Body decoded;
  BoundedInputArchive archive(body, frame_offset, body_start, event_kind_name(kind));
  archive(decoded);
  if (archive.remaining() != 0) {
    archive.fail(std::to_string(archive.remaining()) +
                 " bytes left over after the event's last field");
  }
  return decoded;
}

[[noreturn]] void fail_at(std::uint64_t frame_offset, std::size_t pos, const std::string& what) {
  throw TraceFormatError(frame_offset, "malformed event at byte " + std::to_string(pos) +
                                           " of the frame's decompressed data: " + what);
}

// One record's header, checked: its kind byte and where its body lies in the frame.
struct Record {
  unsigned char kind = 0;
  std::size_t body_start = 0;
  std::string_view body;
};

Record read_record(std::string_view frame, std::size_t pos, std::uint64_t frame_offset) {
  const std::size_t left = frame.size() - pos;
  if (left < kEventHeaderBytes) {
    fail_at(frame_offset, pos,
            "event header needs 5 bytes but only " + std::to_string(left) + " are left");
  }
  Record record;
  record.kind = static_cast<unsigned char>(frame[pos]);
  const std::uint32_t body_size = read_u32_le(frame.substr(pos + 1, 4));
  record.body_start = pos + kEventHeaderBytes;
  if (body_size > trace_format::kMaxEventBytes) {
    fail_at(frame_offset, pos,
            "event body length " + std::to_string(body_size) + " exceeds the limit of " +
                std::to_string(trace_format::kMaxEventBytes) + " bytes");
  }
  if (body_size > frame.size() - record.body_start) {
    fail_at(frame_offset, pos,
            "event body length " + std::to_string(body_size) + " exceeds the " +
                std::to_string(frame.size() - record.body_start) + " bytes left in the frame");
  }
  record.body = frame.substr(record.body_start, body_size);
  return record;
}

template <typename Event>
TraceEvent decode_event(const Record& record, std::uint64_t frame_offset) {
  const auto kind = static_cast<EventKind>(record.kind);
  return TraceEvent(decode_body<Event>(record.body, frame_offset, record.body_start, kind));
}

constexpr auto kIoOrderKind = static_cast<unsigned char>(EventKind::IoOrder);

// An io record and, when one follows it, its io_order record. Returns where the next record
// starts.
std::size_t decode_io(const Record& io, std::string_view frame, std::size_t next_pos,
                      std::uint64_t frame_offset, std::optional<TraceEvent>& event) {
  auto chunk = decode_body<IoChunk>(io.body, frame_offset, io.body_start, EventKind::Io);
  if (next_pos < frame.size() && static_cast<unsigned char>(frame[next_pos]) == kIoOrderKind) {
    const Record order = read_record(frame, next_pos, frame_offset);
    const auto fields =
        decode_body<IoOrderRecord>(order.body, frame_offset, order.body_start, EventKind::IoOrder);
    chunk.order = fields.order;
    chunk.seq = fields.seq;
    chunk.writes = fields.writes;
    chunk.tid = fields.tid;
    next_pos = order.body_start + order.body.size();
  }
  event = TraceEvent(std::move(chunk));
  return next_pos;
}

}  // namespace

DecodedEvent decode_event_at(std::string_view frame, std::size_t pos, std::uint64_t frame_offset) {
  const Record record = read_record(frame, pos, frame_offset);
  DecodedEvent result;
  result.next_pos = record.body_start + record.body.size();
  switch (static_cast<EventKind>(record.kind)) {
    case EventKind::Start: result.event = decode_event<StartEvent>(record, frame_offset); break;
    case EventKind::Io:
      result.next_pos = decode_io(record, frame, result.next_pos, frame_offset, result.event);
      break;
    case EventKind::StreamClosed:
      result.event = decode_event<StreamClosedEvent>(record, frame_offset);
      break;
    case EventKind::Note: result.event = decode_event<NoteEvent>(record, frame_offset); break;
    case EventKind::Exit: result.event = decode_event<ExitEvent>(record, frame_offset); break;
    case EventKind::End: result.event = decode_event<EndEvent>(record, frame_offset); break;
    case EventKind::Test: result.event = decode_event<TestEvent>(record, frame_offset); break;
    case EventKind::Captured:
      result.event = decode_event<CapturedEvent>(record, frame_offset);
      break;
    case EventKind::Terminal:
      result.event = decode_event<TerminalEvent>(record, frame_offset);
      break;
    case EventKind::IoOrder:
      // Every io_order right after an io record was consumed with it (decode_io).
      fail_at(frame_offset, pos, "an io_order record that does not follow an io record");
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
