// IoEventSink: per-stream counters in front of the TraceWriterHost.
#include "ctrecord/io_event_sink.hpp"

#include "ctrecord/log.hpp"

namespace ctrecord {

namespace {

// Whether an ordered chunk continues the one whose tail a masker holds: same stream, writer,
// context and order, and for Exact chunks the same write or the next one of the same thread.
bool continues(const IoChunk& last, const IoChunk& next) {
  if (last.order != next.order || last.producer != next.producer || last.context != next.context)
    return false;
  if (next.order != ChunkOrder::Exact) return true;
  const std::uint64_t end = last.seq + last.writes;
  return last.tid == next.tid && (next.seq == end || next.seq + 1 == end);
}

}  // namespace

void IoEventSink::on_chunk(IoChunk chunk) {
  std::unique_lock lock(mask_mutex_);
  if (!masking_) {
    lock.unlock();
    record(std::move(chunk));
    return;
  }
  mask_and_record(std::move(chunk), false);  // under the lock: a flush stays in order
}

void IoEventSink::on_ordered_chunk(IoChunk chunk) {
  std::unique_lock lock(mask_mutex_);
  if (!masking_) {
    lock.unlock();
    record(std::move(chunk), true);
    return;
  }
  const auto index = static_cast<std::size_t>(chunk.stream);
  for (const Stream stream : {Stream::Stdout, Stream::Stderr}) {
    const auto i = static_cast<std::size_t>(stream);
    const auto& masker = masking_->streams[i];
    if (!masker || !masker->holding()) continue;
    if (i != index || !masking_->stamped[i] || !continues(masking_->last[i], chunk)) {
      flush_stream(i);
    } else if (chunk.order == ChunkOrder::Exact) {
      // The held bytes come first in what the masker hands on: the chunk starts in their write.
      const IoChunk& last = masking_->last[i];
      chunk.writes = chunk.seq + chunk.writes - last.seq;
      chunk.seq = last.seq;
    }
  }
  mask_and_record(std::move(chunk), true);
}

void IoEventSink::mask_and_record(IoChunk chunk, bool stamped) {
  const auto index = static_cast<std::size_t>(chunk.stream);
  auto& masker = masking_->streams[index];
  if (!masker) masker.emplace(masking_->rules);
  std::string bytes = masker->push(chunk.bytes);
  chunk.bytes.clear();
  masking_->last[index] = chunk;
  masking_->stamped[index] = stamped;
  if (bytes.empty()) return;
  chunk.bytes = std::move(bytes);
  record(std::move(chunk), stamped);
}

void IoEventSink::flush_stream(std::size_t index) {
  auto& masker = masking_->streams[index];
  if (!masker || !masker->holding()) return;
  IoChunk chunk = masking_->last[index];
  chunk.bytes = masker->flush();
  record(std::move(chunk), masking_->stamped[index]);
}

void IoEventSink::flush_masked() {
  std::lock_guard lock(mask_mutex_);
  if (!masking_) return;
  for (std::size_t i = 0; i < masking_->streams.size(); ++i) flush_stream(i);
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

void IoEventSink::record(IoChunk chunk, bool stamped) {
  const auto index = static_cast<std::size_t>(chunk.stream);
  bytes_[index].fetch_add(chunk.bytes.size(), std::memory_order_relaxed);
  chunks_[index].fetch_add(1, std::memory_order_relaxed);
  if (!stamped && chunk.context.empty()) {
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

std::string IoEventSink::context() const {
  std::lock_guard lock(context_mutex_);
  return context_;
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
