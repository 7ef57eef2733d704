// IoEventSink: per-stream counters in front of the TraceWriterHost.
#include "ctrecord/io_event_sink.hpp"

#include "ctrecord/log.hpp"

namespace ctrecord {

void IoEventSink::on_chunk(IoChunk chunk) {
  const auto index = static_cast<std::size_t>(chunk.stream);
  bytes_[index].fetch_add(chunk.bytes.size(), std::memory_order_relaxed);
  chunks_[index].fetch_add(1, std::memory_order_relaxed);
  if (chunk.context.empty()) {
    std::lock_guard lock(context_mutex_);
    chunk.context = context_;
  }
  host_.post(std::move(chunk));
}

void IoEventSink::set_context(std::string context) {
  std::lock_guard lock(context_mutex_);
  context_ = std::move(context);
}

void IoEventSink::on_stream_closed(Stream stream, std::string reason) {
  host_.post(StreamClosedEvent{stream, clock_.now_ns(), std::move(reason)});
}

void IoEventSink::note(NoteLevel level, std::string text) {
  switch (level) {
    case NoteLevel::Info: log::info("{}", text); break;
    case NoteLevel::Warning: log::warning("{}", text); break;
    case NoteLevel::Error: log::error("{}", text); break;
  }
  host_.post(NoteEvent{clock_.now_ns(), level, std::move(text)});
}

void IoEventSink::post(TraceEvent event) {
  host_.post(std::move(event));
}

Counters IoEventSink::counters() const {
  Counters c;
  for (std::size_t i = 0; i < 3; ++i) {
    c.bytes[i] = bytes_[i].load();
    c.chunks[i] = chunks_[i].load();
  }
  const TraceWriterStats stats = host_.stats();
  c.dropped_chunks = stats.dropped_events;
  c.dropped_bytes = stats.dropped_bytes;
  c.queue_high_water = stats.queue_high_water;
  return c;
}

}  // namespace ctrecord
