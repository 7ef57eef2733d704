// TraceWriterHost: bounded queue in front of one writer thread that owns the TraceFileWriter.
#include "ctrecord/trace_writer_host.hpp"

#include <algorithm>

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

unsigned default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1u, 4u);
}

// How long the writer thread sleeps while frames are being compressed: finished frames reach
// the file within this much (plus compression time).
// A frame closes at the first event that takes it past frame_bytes; events are mostly one
// relay read (256 KiB at most), so this much spare capacity avoids regrowing a frame.
constexpr std::size_t kTypicalLastEvent = 256u << 10;

// zstd level while compression is behind (see choose_level).
constexpr int kBehindLevel = -5;

// Frames smaller than this are compressed on the writer thread when no other frame is in
// flight (the usual case for a quiet command, and the last frame of every trace): cheaper
// than a hand-off, and a short capture never starts the pool's threads.
constexpr std::size_t kInlineFrameBytes = 64u << 10;

constexpr auto kLinger = std::chrono::microseconds(200);

constexpr auto kInFlightPoll = std::chrono::milliseconds(2);
}  // namespace

TraceWriterHost::TraceWriterHost(std::unique_ptr<TraceFileWriter> writer,
                                 TraceWriterHostOptions options)
    : writer_(std::move(writer)),
      path_(writer_->path()),
      options_(options),
      queue_(options.queue_max_events, options.queue_max_bytes) {
  const unsigned threads =
      options_.compression_threads ? options_.compression_threads : default_threads();
  if (options_.max_frames_in_flight == 0) options_.max_frames_in_flight = threads + 2;
  pool_ = std::make_unique<CompressorPool>(threads);
  writer_->set_frame_reserve(options_.frame_bytes + kTypicalLastEvent);
  thread_ = std::thread([this] { run_writer(); });
}

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

// Adaptive compression. The frames already in flight say how far behind compression is: up to
// one per worker, the workers keep up and the frame gets the configured level. Beyond that (a
// whole frame waiting with every worker busy), zstd's fast level -5: on test-log text about
// 1.2x the speed of level 1 for 1.5x the size. Measured on 2 cores (512 MiB of test-log text
// in 64 KiB writes): fixed level 1 0.76 s / 122 MB, this policy 0.69-0.75 s / 163 MB, always
// -100 (near storing) 0.59 s / 449 MB; writing the bigger output costs nearly what compressing
// saves, so going further down buys little. The level goes back up as soon as the backlog is
// gone, so a command that writes at a normal pace gets the configured level throughout.
int TraceWriterHost::choose_level() const {
  const int base = options_.compression_level;
  if (!options_.adaptive_compression) return base;
  const std::size_t in_flight = pool_->in_flight();
  const std::size_t workers = pool_->workers();
  if (in_flight <= workers) return base;
  return std::min(base, kBehindLevel);
}

void TraceWriterHost::write_compressed(CompressedFrame frame) {
  if (failed_.load()) {
    dropped_events_.fetch_add(frame.events);
    writer_->count_lost(frame.events);
    return;
  }
  if (!frame.error.empty()) {
    writer_->count_lost(frame.events);
    dropped_events_.fetch_add(frame.events);
    fail(frame.error);
    return;
  }
  try {
    writer_->write_compressed_frame(frame.data, frame.events);
    frames_.store(writer_->frames_written());
    ++level_frames_[frame.level];
  } catch (const std::exception& e) {
    fail(e.what());
    dropped_events_.fetch_add(frame.events);
  }
  pool_->recycle_output(std::move(frame.data));
}

void TraceWriterHost::write_ready(bool wait_for_all) {
  while (pool_->in_flight() > 0) {
    if (wait_for_all) {
      write_compressed(pool_->pop_oldest());
    } else if (auto frame = pool_->pop_ready()) {
      write_compressed(std::move(*frame));
    } else {
      return;
    }
  }
}

void TraceWriterHost::compress_inline(EncodedFrame frame) {
  CompressedFrame out;
  out.events = frame.events;
  out.input_bytes = frame.data.size();
  out.level = options_.compression_level;
  try {
    if (!inline_compressor_) inline_compressor_.emplace();
    inline_compressor_->compress(frame.data, out.level, out.data);
  } catch (const std::exception& e) {
    out.data.clear();
    out.error = e.what();
  }
  write_compressed(std::move(out));
}

void TraceWriterHost::submit_pending() {
  std::vector<EncodedFrame> frames = writer_->take_frames();
  for (auto& frame : frames) {
    write_ready(false);
    // Bounded memory: wait for the oldest frame while the pool is full. This is where a
    // command that outruns compression is held back (through the queue and its pipes).
    while (pool_->in_flight() >= options_.max_frames_in_flight) {
      write_compressed(pool_->pop_oldest());
    }
    if (failed_.load()) {
      dropped_events_.fetch_add(frame.events);
      writer_->count_lost(frame.events);
      continue;
    }
    if (pool_->in_flight() == 0 && frame.data.size() < kInlineFrameBytes) {
      compress_inline(std::move(frame));
      continue;
    }
    pool_->submit(std::move(frame), choose_level());
  }
  writer_->provide_frame_buffer(pool_->take_input_buffer());
}

void TraceWriterHost::run_writer() {
  using Clock = std::chrono::steady_clock;
  std::vector<TraceEvent> batch;
  batch.reserve(kBatchSize);
  bool frame_open = false;  // events pending since `frame_opened`
  Clock::time_point frame_opened{};
  for (;;) {
    auto deadline =
        frame_open ? frame_opened + options_.frame_interval : Clock::now() + std::chrono::hours(1);
    if (pool_->in_flight() > 0) deadline = std::min(deadline, Clock::now() + kInFlightPoll);
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
        submit_pending();
        frame_open = false;
      }
    }
    if (frame_open && Clock::now() >= frame_opened + options_.frame_interval) {
      submit_pending();
      frame_open = false;
    }
    write_ready(false);
    if (taken == 0 && queue_.closed_and_empty()) break;
    // A trickle of small events (line-by-line output): let them gather for a moment instead
    // of being woken for each one. Waking this thread costs the posting thread a futex call
    // per event; sleeping here costs nothing while the queue is far from full, and delays
    // only the trace (never the console) by at most kLinger.
    if (taken > 0 && taken < kBatchSize / 8 && !queue_.closed_and_empty()) {
      std::this_thread::sleep_for(kLinger);
    }
  }
  submit_pending();
  write_ready(true);
}

std::optional<std::string> TraceWriterHost::finish(
    const std::function<EndEvent(const TraceWriterStats&)>& make_end) {
  if (finished_) throw InternalError("TraceWriterHost::finish called twice");
  finished_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
  pool_.reset();  // idle by now: the writer thread waited for every frame
  try {
    if (!failed_.load()) {
      EndEvent end = make_end(stats());
      note_adaptive_levels(end.t_ns);
      writer_->append(end);
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

void TraceWriterHost::note_adaptive_levels(std::uint64_t t_ns) {
  std::uint64_t total = 0, faster = 0;
  std::string detail;
  for (const auto& [level, frames] : level_frames_) {
    total += frames;
    if (level == options_.compression_level) continue;
    faster += frames;
    detail += fmt::format("{}level {}: {}", detail.empty() ? "" : ", ", level, frames);
  }
  log::debug("trace {}: {} frames; zstd level {} unless behind ({})", path_, total,
             options_.compression_level, detail.empty() ? "never behind" : detail);
  if (faster == 0 || failed_.load()) return;
  // Said in the trace (not on the console): why this trace is larger than usual.
  writer_->append(NoteEvent{t_ns, NoteLevel::Info,
                            fmt::format("compression fell behind the command: {} of {} frames "
                                        "were written at faster zstd levels ({}) instead of "
                                        "level {}",
                                        faster, total, detail, options_.compression_level)});
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
