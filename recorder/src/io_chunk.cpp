// Stream names and event kind helpers shared by the writer, reader and CLIs.
#include "ctrecord/io_chunk.hpp"

#include <cstddef>
#include <variant>

#include "ctrecord/trace_events.hpp"

namespace ctrecord {

std::string_view stream_name(Stream stream) noexcept {
  switch (stream) {
    case Stream::Stdin: return "stdin";
    case Stream::Stdout: return "stdout";
    case Stream::Stderr: return "stderr";
  }
  return "unknown";
}

std::optional<Stream> parse_stream(std::string_view name) noexcept {
  if (name == "stdin") return Stream::Stdin;
  if (name == "stdout") return Stream::Stdout;
  if (name == "stderr") return Stream::Stderr;
  return std::nullopt;
}

std::string_view chunk_order_name(ChunkOrder order) noexcept {
  switch (order) {
    case ChunkOrder::Read: return "read";
    case ChunkOrder::Exact: return "exact";
    case ChunkOrder::Unsequenced: return "unsequenced";
  }
  return "unknown";
}

static_assert(std::variant_size_v<TraceEvent> == static_cast<std::size_t>(EventKind::Terminal),
              "a new TraceEvent alternative must skip kind 10 (io_order): update event_kind()");

EventKind event_kind(const TraceEvent& event) noexcept {
  return static_cast<EventKind>(event.index() + 1);
}

const char* event_kind_name(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::Start: return "start";
    case EventKind::Io: return "io";
    case EventKind::StreamClosed: return "stream_closed";
    case EventKind::Note: return "note";
    case EventKind::Exit: return "exit";
    case EventKind::End: return "end";
    case EventKind::Test: return "test";
    case EventKind::Captured: return "captured";
    case EventKind::Terminal: return "terminal";
    case EventKind::IoOrder: return "io_order";
  }
  return "unknown";
}

}  // namespace ctrecord
