// CompressorPool: worker threads take the oldest unstarted job, compress it outside the lock,
// and mark it done; the owner pops jobs strictly in submission order.
#include "ctrecord/compressor_pool.hpp"

#include <exception>
#include <system_error>

namespace ctrecord {

namespace {
// Spare buffers kept per kind; more are freed. Enough for every frame in flight.
constexpr std::size_t kMaxSpare = 8;

void keep_spare(std::vector<std::string>& spares, std::string buffer) {
  if (spares.size() >= kMaxSpare || buffer.capacity() == 0) return;
  buffer.clear();
  spares.push_back(std::move(buffer));
}

std::string take_spare(std::vector<std::string>& spares) {
  if (spares.empty()) return {};
  std::string buffer = std::move(spares.back());
  spares.pop_back();
  return buffer;
}
}  // namespace

CompressorPool::CompressorPool(unsigned workers) : max_workers_(workers ? workers : 1) {}

void CompressorPool::start_workers() {
  // Lazily, at the first frame: a short capture (an in-process start/stop cycle, a command
  // that prints a line) never pays for the threads. If a thread cannot be started, the ones
  // that did carry on (at least one is needed).
  threads_.reserve(max_workers_);
  for (unsigned i = 0; i < max_workers_; ++i) {
    try {
      threads_.emplace_back([this] { run_worker(); });
    } catch (const std::system_error&) {
      if (threads_.empty()) throw;
      break;
    }
  }
}

CompressorPool::~CompressorPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& t : threads_) t.join();
}

void CompressorPool::submit(EncodedFrame frame, int level) {
  if (threads_.empty()) start_workers();
  auto job = std::make_shared<Job>();
  job->input = std::move(frame);
  job->level = level;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    ++waiting_;
  }
  work_.notify_one();
}

std::size_t CompressorPool::in_flight() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

std::size_t CompressorPool::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::optional<CompressedFrame> CompressorPool::pop_ready() {
  std::lock_guard lock(mutex_);
  if (jobs_.empty() || !jobs_.front()->done) return std::nullopt;
  CompressedFrame out = std::move(jobs_.front()->output);
  jobs_.pop_front();
  return out;
}

CompressedFrame CompressorPool::pop_oldest() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return !jobs_.empty() && jobs_.front()->done; });
  CompressedFrame out = std::move(jobs_.front()->output);
  jobs_.pop_front();
  return out;
}

std::string CompressorPool::take_input_buffer() {
  std::lock_guard lock(mutex_);
  return take_spare(spare_inputs_);
}

void CompressorPool::recycle_output(std::string buffer) {
  std::lock_guard lock(mutex_);
  keep_spare(spare_outputs_, std::move(buffer));
}

void CompressorPool::run_worker() {
  std::optional<FrameCompressor> compressor;
  std::unique_lock lock(mutex_);
  for (;;) {
    std::shared_ptr<Job> job;
    work_.wait(lock, [&] { return stopping_ || waiting_ > 0; });
    if (waiting_ == 0) return;  // stopping, and nothing left to start
    for (const auto& candidate : jobs_) {
      if (!candidate->started) {
        job = candidate;
        break;
      }
    }
    job->started = true;
    --waiting_;
    CompressedFrame out;
    out.data = take_spare(spare_outputs_);
    lock.unlock();
    out.events = job->input.events;
    out.input_bytes = job->input.data.size();
    out.level = job->level;
    try {
      if (!compressor) compressor.emplace();
      compressor->compress(job->input.data, job->level, out.data);
    } catch (const std::exception& e) {
      out.data.clear();
      out.error = e.what();
    }
    lock.lock();
    keep_spare(spare_inputs_, std::move(job->input.data));  // for a later frame, right away
    job->output = std::move(out);
    job->done = true;
    done_.notify_all();
  }
}

}  // namespace ctrecord
