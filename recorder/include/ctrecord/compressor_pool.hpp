// CompressorPool: compresses encoded frames on worker threads (one FrameCompressor each) and
// hands the results back in submission order, so one appender thread writes frames in order
// while several cores compress. Bounded by the caller: it submits only while in_flight() is
// below its limit and takes finished frames out with pop_ready()/pop_oldest().
//
// Thread ownership: submit/pop/in_flight/waiting are for the one owner thread (the trace
// writer thread); the workers only touch jobs under the pool's mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ctrecord/frame_compressor.hpp"

namespace ctrecord {

struct CompressedFrame {
  std::string data;  // a whole zstd frame (empty when compression failed: see error)
  std::uint64_t events = 0;
  std::uint64_t input_bytes = 0;
  int level = 0;
  std::string error;  // why compression failed (zstd error); then the events are lost
};

class CompressorPool {
 public:
  explicit CompressorPool(unsigned workers);  // at least one; started at the first submit
  ~CompressorPool();                          // finishes the jobs already submitted
  CompressorPool(const CompressorPool&) = delete;
  CompressorPool& operator=(const CompressorPool&) = delete;

  void submit(EncodedFrame frame, int level);
  std::size_t in_flight() const;  // submitted and not yet popped
  std::size_t waiting() const;    // submitted, no worker has started it yet
  // The oldest frame if it is done, else nothing (never blocks).
  std::optional<CompressedFrame> pop_ready();
  // The oldest frame, waiting for it. Requires in_flight() > 0.
  CompressedFrame pop_oldest();
  unsigned workers() const noexcept { return max_workers_; }

  // Buffer recycling, so frames reuse a few big buffers instead of churning the allocator
  // (steady memory, no page faults per frame): an empty string with capacity when one is
  // spare (else an empty one), and the way back for a written frame's buffer.
  std::string take_input_buffer();
  void recycle_output(std::string buffer);

 private:
  struct Job {
    EncodedFrame input;
    int level = 0;
    bool started = false;
    bool done = false;
    CompressedFrame output;
  };
  void run_worker();
  void start_workers();

  unsigned max_workers_;

  mutable std::mutex mutex_;
  std::condition_variable work_;           // a job was submitted, or stopping
  std::condition_variable done_;           // a job finished
  std::deque<std::shared_ptr<Job>> jobs_;  // in submission order, until popped
  std::vector<std::string> spare_inputs_;  // bounded by kMaxSpare each
  std::vector<std::string> spare_outputs_;
  std::size_t waiting_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ctrecord
