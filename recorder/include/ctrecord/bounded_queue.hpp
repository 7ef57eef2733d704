// BoundedQueue: a multi-producer, single-consumer queue bounded by item count and by total
// weight (bytes). push() blocks while the queue is full (back-pressure, never drops); the
// consumer takes batches. close() wakes everyone: later pushes fail, pops drain what is left.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace ctrecord {

template <typename T>
class BoundedQueue {
 public:
  BoundedQueue(std::size_t max_items, std::size_t max_weight)
      : max_items_(max_items ? max_items : 1), max_weight_(max_weight) {}

  // Blocks while full. An item heavier than max_weight is still admitted once the queue is
  // empty, so no item can wait forever. Returns false (item not queued) after close().
  bool push(T item, std::size_t weight) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || fits(weight); });
    if (closed_) return false;
    items_.emplace_back(std::move(item), weight);
    weight_ += weight;
    if (items_.size() > high_water_) high_water_ = items_.size();
    not_empty_.notify_one();
    return true;
  }

  // Moves up to `max_batch` items into `out` (appended), waiting until `deadline` for the
  // first one. Returns the number taken; 0 means timeout, or closed and empty.
  template <typename Clock, typename Duration>
  std::size_t pop_batch_until(std::vector<T>& out, std::size_t max_batch,
                              std::chrono::time_point<Clock, Duration> deadline) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); });
    std::size_t taken = 0;
    while (!items_.empty() && taken < max_batch) {
      out.push_back(std::move(items_.front().first));
      weight_ -= items_.front().second;
      items_.pop_front();
      ++taken;
    }
    if (taken) not_full_.notify_all();
    return taken;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool closed_and_empty() const {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  std::size_t high_water() const {
    std::lock_guard lock(mutex_);
    return high_water_;
  }

 private:
  bool fits(std::size_t weight) const {
    if (items_.empty()) return true;
    return items_.size() < max_items_ && weight_ + weight <= max_weight_;
  }

  const std::size_t max_items_;
  const std::size_t max_weight_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<std::pair<T, std::size_t>> items_;
  std::size_t weight_ = 0;
  std::size_t high_water_ = 0;
  bool closed_ = false;
};

}  // namespace ctrecord
