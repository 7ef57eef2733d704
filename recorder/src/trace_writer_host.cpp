// TraceWriterHost: bounded queue in front of one writer thread that owns the TraceFileWriter.
#include "ctrecord/trace_writer_host.hpp"

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/trace_file_writer.hpp"

namespace ctrecord {

namespace {
std::size_t payload_bytes(const TraceEvent& event) {
  if (const auto* chunk = std::get_if<IoChunk>(&event)) return chunk->bytes.size();
  return 0;
}
// Queue weight: payload plus a fixed per-event overhead, so tiny events are bounded too.
std::size_t event_weight(const TraceEvent& event) {
  return payload_bytes(event) + 64;
}
constexpr std::size_t kBatchSize = 256;
}  // namespace

TraceWriterHost::TraceWriterHost(std::unique_ptr<TraceFileWriter> writer,
                                 TraceWriterHostOptions options)
    : writer_(std::move(writer)),
      path_(writer_->path()),
      options_(options),
      queue_(options.queue_max_events, options.queue_max_bytes),
      thread_([this] { run_writer(); }) {}

TraceWriterHost::~TraceWriterHost() {
  if (!finished_) {
    queue_.close();
    if (thread_.joinable()) thread_.join();
    try {
      writer_->close();
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
}

bool TraceWriterHost::post(TraceEvent event) {
  if (failed_.load(std::memory_order_relaxed)) {
    dropped_events_.fetch_add(1);
    dropped_bytes_.fetch_add(payload_bytes(event));
    return false;
  }
  const std::size_t weight = event_weight(event);
  const std::size_t bytes = payload_bytes(event);
  if (!queue_.push(std::move(event), weight)) {
    dropped_events_.fetch_add(1);
    dropped_bytes_.fetch_add(bytes);
    return false;
  }
  return true;
}

void TraceWriterHost::fail(const std::string& message) {
  {
    std::lock_guard lock(error_mutex_);
    if (error_) return;
    error_ = message;
  }
  failed_.store(true);
  log::error("cannot write trace: {}; the command keeps running, the trace will be incomplete",
             message);
}

void TraceWriterHost::flush_frame() {
  if (failed_.load()) return;
  try {
    writer_->flush_frame();
    frames_.store(writer_->frames_written());
  } catch (const std::exception& e) {
    fail(e.what());
    dropped_events_.fetch_add(writer_->events_lost());
  }
}

void TraceWriterHost::run_writer() {
  using Clock = std::chrono::steady_clock;
  std::vector<TraceEvent> batch;
  batch.reserve(kBatchSize);
  bool frame_open = false;  // events pending since `frame_opened`
  Clock::time_point frame_opened{};
  for (;;) {
    const auto deadline =
        frame_open ? frame_opened + options_.frame_interval : Clock::now() + std::chrono::hours(1);
    batch.clear();
    const std::size_t taken = queue_.pop_batch_until(batch, kBatchSize, deadline);
    for (auto& event : batch) {
      if (failed_.load(std::memory_order_relaxed)) {
        dropped_events_.fetch_add(1);
        dropped_bytes_.fetch_add(payload_bytes(event));
        continue;
      }
      writer_->append(event);
      if (!frame_open) {
        frame_open = true;
        frame_opened = Clock::now();
      }
      if (writer_->pending_bytes() >= options_.frame_bytes) {
        flush_frame();
        frame_open = false;
      }
    }
    if (frame_open && Clock::now() >= frame_opened + options_.frame_interval) {
      flush_frame();
      frame_open = false;
    }
    if (taken == 0 && queue_.closed_and_empty()) break;
  }
  flush_frame();
}

std::optional<std::string> TraceWriterHost::finish(
    const std::function<EndEvent(const TraceWriterStats&)>& make_end) {
  if (finished_) throw InternalError("TraceWriterHost::finish called twice");
  finished_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
  try {
    if (!failed_.load()) {
      writer_->append(make_end(stats()));
      writer_->flush_frame();
      frames_.store(writer_->frames_written());
    }
    writer_->close();
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return error();
}

std::optional<std::string> TraceWriterHost::error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

TraceWriterStats TraceWriterHost::stats() const {
  TraceWriterStats s;
  s.queue_high_water = queue_.high_water();
  s.dropped_events = dropped_events_.load();
  s.dropped_bytes = dropped_bytes_.load();
  s.frames = frames_.load();
  return s;
}

}  // namespace ctrecord
