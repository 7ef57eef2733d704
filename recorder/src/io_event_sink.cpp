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
  if (limiter_) {
    std::lock_guard lock(limiter_mutex_);
    if (auto kept = limiter_->admit(std::move(chunk))) host_.post(std::move(*kept));
    return;
  }
  host_.post(std::move(chunk));
}

void IoEventSink::limit_output(std::uint64_t limit) {
  limiter_ = std::make_unique<OutputLimiter>(limit);
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
  if (limiter_ && std::holds_alternative<ExitEvent>(event)) {
    std::lock_guard lock(limiter_mutex_);
    for (auto& held : limiter_->finish(clock_.now_ns())) {
      if (const auto* note = std::get_if<NoteEvent>(&held)) log::warning("{}", note->text);
      host_.post(std::move(held));
    }
  }
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
