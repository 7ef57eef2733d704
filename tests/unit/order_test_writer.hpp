// Test helper: a writer of the --order=exact protocol (order_protocol.hpp), so the recorder's
// side can be tested without the preload shim. It maps the shared memory through
// /proc/self/fd/N, as a process that lost the inherited descriptor would, and announces each
// write as the shim does: lock, publish a Pending slot, write, mark it Done, unlock.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "ctrecord/order_protocol.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrtest {

class OrderTestWriter {
 public:
  explicit OrderTestWriter(int memfd) {
    const std::string path = "/proc/self/fd/" + std::to_string(memfd);
    ctrecord::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
    void* map = ::mmap(nullptr, sizeof(ctrecord::order::SharedState), PROT_READ | PROT_WRITE,
                       MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
    state_ = static_cast<ctrecord::order::SharedState*>(map);
  }
  ~OrderTestWriter() { ::munmap(state_, sizeof(ctrecord::order::SharedState)); }
  OrderTestWriter(const OrderTestWriter&) = delete;
  OrderTestWriter& operator=(const OrderTestWriter&) = delete;

  ctrecord::order::SharedState& state() { return *state_; }

  void lock() {
    const int r = ::pthread_mutex_lock(&state_->lock);
    if (r == EOWNERDEAD) {
      ::pthread_mutex_consistent(&state_->lock);
      const std::uint64_t head = state_->head.load(std::memory_order_relaxed);
      if (head > 0) {
        auto& last = slot_at(head - 1);
        std::uint32_t expected = ctrecord::order::kPending;
        last.state.compare_exchange_strong(expected, ctrecord::order::kAbandoned);
      }
    }
  }
  void unlock() { ::pthread_mutex_unlock(&state_->lock); }

  // Publishes a Pending slot for a write of `bytes` to `stream` (1 or 2); the lock is held.
  // Returns the slot (its seq is position + 1).
  ctrecord::order::Slot& publish(std::uint8_t stream, std::string_view bytes, int pid = 0,
                                 int tid = 0) {
    using namespace std::chrono_literals;
    const std::uint64_t head = state_->head.load(std::memory_order_relaxed);
    while (head - state_->tail.load(std::memory_order_acquire) >= ctrecord::order::kRingSlots) {
      std::this_thread::sleep_for(50us);
    }
    auto& slot = slot_at(head);
    slot.stream = stream;
    slot.head_len =
        static_cast<std::uint8_t>(std::min<std::size_t>(bytes.size(), ctrecord::order::kHeadBytes));
    slot.pid = pid != 0 ? pid : static_cast<int>(::getpid());
    slot.tid = tid != 0 ? tid : static_cast<int>(::gettid());
    slot.seq = head + 1;
    slot.requested = bytes.size();
    slot.result = 0;
    std::memcpy(slot.head, bytes.data(), slot.head_len);
    slot.state.store(ctrecord::order::kPending, std::memory_order_relaxed);
    state_->head.store(head + 1, std::memory_order_release);
    return slot;
  }

  static void finish(ctrecord::order::Slot& slot, std::int64_t result) {
    slot.result = result;
    slot.state.store(ctrecord::order::kDone, std::memory_order_release);
  }

  // A whole sequenced write: lock, slot, write(2), Done, unlock. Returns write's result.
  ssize_t write(int fd, std::uint8_t stream, std::string_view bytes) {
    lock();
    auto& slot = publish(stream, bytes);
    ssize_t n;
    do {
      n = ::write(fd, bytes.data(), bytes.size());
    } while (n < 0 && errno == EINTR);
    finish(slot, n < 0 ? -errno : n);
    unlock();
    return n;
  }

 private:
  ctrecord::order::Slot& slot_at(std::uint64_t pos) {
    return state_->ring[pos & (ctrecord::order::kRingSlots - 1)];
  }

  ctrecord::order::SharedState* state_ = nullptr;
};

}  // namespace ctrtest
