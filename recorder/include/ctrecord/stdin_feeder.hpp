// StdinFeeder: plays recorded stdin back into a pipe for a replayed command, on its own thread:
// all at once, with the recorded timing (optionally faster), or causally (each chunk once the
// replayed output has grown to the size it had when the chunk arrived in the recording; after
// a timeout the rest is fed at once and the fallback is reported). Closes the pipe (EOF) after
// the last chunk. The write end is blocking: stop() (or closing the read end) ends a feeder
// that waits on a child that stopped reading.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

enum class FeedMode { All, Timed, Causal };

struct RecordedInput {
  std::string bytes;
  std::uint64_t t_ns = 0;           // when it arrived in the recording
  std::uint64_t output_before = 0;  // stdout+stderr bytes recorded before it arrived
};

struct FeedPlan {
  std::vector<RecordedInput> chunks;
  FeedMode mode = FeedMode::All;
  double speed = 1.0;  // timed: recorded delays divided by this
  std::chrono::milliseconds causal_timeout{10000};
};

class StdinFeeder {
 public:
  // `output_bytes` reports the replayed output so far (called from the feeder thread).
  StdinFeeder(FeedPlan plan, UniqueFd write_end, std::function<std::uint64_t()> output_bytes);
  ~StdinFeeder();  // stop() + join
  StdinFeeder(const StdinFeeder&) = delete;
  StdinFeeder& operator=(const StdinFeeder&) = delete;

  // Ends waiting (timed/causal); a blocked write ends when the pipe's read end is closed.
  void stop();
  // Wakes a causal feeder to re-check the output size (call when output arrived).
  void output_arrived();
  void join();
  // Set when causal feeding fell back to feeding everything ("" otherwise). After join().
  const std::string& fallback_note() const noexcept { return fallback_note_; }

 private:
  void run();
  bool write_chunk(const std::string& bytes);
  // Waits until `ready()` or the deadline or stop; returns ready().
  bool wait_until(std::chrono::steady_clock::time_point deadline,
                  const std::function<bool()>& ready);

  FeedPlan plan_;
  UniqueFd write_end_;
  std::function<std::uint64_t()> output_bytes_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string fallback_note_;
  std::thread thread_;
};

}  // namespace ctrecord
