// StdinFeeder: recorded stdin played back into a pipe (all / timed / causal).
#include "ctrecord/stdin_feeder.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "ctrecord/fd_io.hpp"

namespace ctrecord {

namespace {
constexpr auto kCausalPoll = std::chrono::milliseconds(5);
}

StdinFeeder::StdinFeeder(FeedPlan plan, UniqueFd write_end,
                         std::function<std::uint64_t()> output_bytes)
    : plan_(std::move(plan)),
      write_end_(std::move(write_end)),
      output_bytes_(std::move(output_bytes)),
      thread_([this] { run(); }) {}

StdinFeeder::~StdinFeeder() {
  stop();
  join();
}

void StdinFeeder::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  cv_.notify_all();
}

void StdinFeeder::output_arrived() {
  cv_.notify_all();
}

void StdinFeeder::join() {
  if (thread_.joinable()) thread_.join();
}

bool StdinFeeder::wait_until(std::chrono::steady_clock::time_point deadline,
                             const std::function<bool()>& ready) {
  std::unique_lock lock(mutex_);
  while (!stopping_ && !ready()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // Short waits: output_arrived() may race with the check, so never sleep long on it.
    cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, kCausalPoll));
  }
  return ready();
}

bool StdinFeeder::write_chunk(const std::string& bytes) {
  // EPIPE: the command stopped reading (or exited); nothing more to feed.
  return write_all(write_end_.get(), bytes) == 0;
}

void StdinFeeder::run() {
  const auto start = std::chrono::steady_clock::now();
  bool causal = plan_.mode == FeedMode::Causal;
  for (std::size_t i = 0; i < plan_.chunks.size(); ++i) {
    const RecordedInput& chunk = plan_.chunks[i];
    if (plan_.mode == FeedMode::Timed) {
      // Clamped to a day: a trace is input, and a huge t_ns must not overflow the clock.
      constexpr double kMaxDelayNs = 86400e9;
      const double delay = std::min(static_cast<double>(chunk.t_ns) / plan_.speed, kMaxDelayNs);
      const auto at = start + std::chrono::nanoseconds(static_cast<std::int64_t>(delay));
      wait_until(at, [] { return false; });
    } else if (causal) {
      const bool reached = wait_until(std::chrono::steady_clock::now() + plan_.causal_timeout,
                                      [&] { return output_bytes_() >= chunk.output_before; });
      if (!reached) {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        causal = false;
        fallback_note_ = fmt::format(
            "causal stdin: the replayed output did not reach {} bytes within {} ms before "
            "input chunk {} of {}; fed the rest at once",
            chunk.output_before, plan_.causal_timeout.count(), i + 1, plan_.chunks.size());
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!write_chunk(chunk.bytes)) return;
  }
  // EOF once everything recorded was fed: a command that behaves as recorded has exited by
  // itself or read to EOF; one that waits for more input would otherwise hang until the
  // replay's timeout instead of showing its difference at once.
  write_end_.reset();
}

}  // namespace ctrecord
