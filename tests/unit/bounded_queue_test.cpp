// BoundedQueue: capacity limits, back-pressure (push blocks while full), close semantics.
#include "ctrecord/bounded_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using ctrecord::BoundedQueue;
using namespace std::chrono_literals;

namespace {
std::size_t pop_some(BoundedQueue<int>& q, std::vector<int>& out, std::size_t max = 100) {
  return q.pop_batch_until(out, max, std::chrono::steady_clock::now() + 2s);
}
}  // namespace

TEST(BoundedQueue, KeepsOrderAndCountsHighWater) {
  BoundedQueue<int> q(10, 1000);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(i, 1));
  std::vector<int> out;
  EXPECT_EQ(pop_some(q, out), 5u);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(q.high_water(), 5u);
}

TEST(BoundedQueue, PushBlocksWhileFullUntilConsumerTakes) {
  BoundedQueue<int> q(2, 1000);
  ASSERT_TRUE(q.push(1, 1));
  ASSERT_TRUE(q.push(2, 1));
  std::atomic<bool> third_pushed{false};
  std::thread producer([&] {
    q.push(3, 1);
    third_pushed = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(third_pushed.load()) << "push must block while the queue is full";
  std::vector<int> out;
  EXPECT_EQ(pop_some(q, out, 1), 1u);
  producer.join();
  EXPECT_TRUE(third_pushed.load());
  EXPECT_EQ(q.high_water(), 2u);
}

TEST(BoundedQueue, WeightBoundsTheQueueButAdmitsAnOversizedItemWhenEmpty) {
  BoundedQueue<int> q(100, 10);
  ASSERT_TRUE(q.push(1, 50));  // heavier than the bound, queue empty: admitted
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.push(2, 1);
    pushed = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(pushed.load());
  std::vector<int> out;
  pop_some(q, out, 1);
  producer.join();
  EXPECT_TRUE(pushed.load());
}

TEST(BoundedQueue, CloseWakesBlockedProducersAndDrainsTheRest) {
  BoundedQueue<int> q(1, 1000);
  ASSERT_TRUE(q.push(1, 1));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = q.push(2, 1) ? 1 : 0; });
  std::this_thread::sleep_for(50ms);
  q.close();
  producer.join();
  EXPECT_EQ(result.load(), 0) << "a push that was waiting fails after close";
  EXPECT_FALSE(q.push(3, 1));
  std::vector<int> out;
  EXPECT_EQ(pop_some(q, out), 1u) << "items queued before close are still delivered";
  EXPECT_TRUE(q.closed_and_empty());
  EXPECT_EQ(pop_some(q, out), 0u);
}

TEST(BoundedQueue, PopTimesOutWhenEmpty) {
  BoundedQueue<int> q(4, 1000);
  std::vector<int> out;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.pop_batch_until(out, 10, start + 30ms), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(BoundedQueue, ManyProducersNothingLost) {
  BoundedQueue<int> q(8, 1 << 20);
  constexpr int kProducers = 8, kEach = 5000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) q.push(p * kEach + i, 1);
    });
  }
  std::vector<int> out;
  while (out.size() < static_cast<std::size_t>(kProducers * kEach)) pop_some(q, out);
  for (auto& t : producers) t.join();
  std::sort(out.begin(), out.end());
  for (int i = 0; i < kProducers * kEach; ++i) ASSERT_EQ(out[static_cast<std::size_t>(i)], i);
  EXPECT_LE(q.high_water(), 8u);
}
