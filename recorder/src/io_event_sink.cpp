// IoEventSink: per-stream counters in front of the TraceWriterHost.
#include "ctrecord/io_event_sink.hpp"

#include "ctrecord/log.hpp"

namespace ctrecord {

void IoEventSink::on_chunk(IoChunk chunk) {
  std::unique_lock lock(mask_mutex_);
  if (!masking_) {
    lock.unlock();
    record(std::move(chunk));
    return;
  }
  const auto index = static_cast<std::size_t>(chunk.stream);
  auto& masker = masking_->streams[index];
  if (!masker) masker.emplace(masking_->rules);
  std::string bytes = masker->push(chunk.bytes);
  chunk.bytes.clear();
  masking_->last[index] = chunk;
  if (bytes.empty()) return;
  chunk.bytes = std::move(bytes);
  record(std::move(chunk));  // under the lock: a flush from another thread stays in order
}

void IoEventSink::flush_masked() {
  std::lock_guard lock(mask_mutex_);
  if (!masking_) return;
  for (std::size_t i = 0; i < masking_->streams.size(); ++i) {
    auto& masker = masking_->streams[i];
    if (!masker || !masker->holding()) continue;
    IoChunk chunk = masking_->last[i];
    chunk.bytes = masker->flush();
    record(std::move(chunk));
  }
}

void IoEventSink::enable_masking(std::shared_ptr<const MaskRules> rules) {
  std::lock_guard lock(mask_mutex_);
  masking_.emplace();
  masking_->rules = std::move(rules);
}

MaskCounts IoEventSink::mask_counts() const {
  std::lock_guard lock(mask_mutex_);
  MaskCounts counts;
  if (!masking_) return counts;
  counts = masking_->captured;
  for (const auto& masker : masking_->streams) {
    if (masker) counts += masker->counts();
  }
  return counts;
}

void IoEventSink::record(IoChunk chunk) {
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
  flush_masked();
  std::lock_guard lock(context_mutex_);
  context_ = std::move(context);
}

void IoEventSink::on_stream_closed(Stream stream, std::string reason) {
  flush_masked();
  host_.post(StreamClosedEvent{stream, clock_.now_ns(), std::move(reason)});
}

void IoEventSink::note(NoteLevel level, std::string text) {
  switch (level) {
    case NoteLevel::Info: log::info("{}", text); break;
    case NoteLevel::Warning: log::warning("{}", text); break;
    case NoteLevel::Error: log::error("{}", text); break;
  }
  flush_masked();
  host_.post(NoteEvent{clock_.now_ns(), level, std::move(text)});
}

void IoEventSink::post(TraceEvent event) {
  flush_masked();
  if (auto* captured = std::get_if<CapturedEvent>(&event)) {
    std::lock_guard lock(mask_mutex_);
    if (masking_)
      captured->bytes = mask_whole(*masking_->rules, captured->bytes, masking_->captured);
  }
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
