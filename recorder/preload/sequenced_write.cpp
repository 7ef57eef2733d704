// The locked section of a sequenced write: lock (repairing after a dead owner), wait for ring
// space, publish a Pending slot, real call, result and Done, unlock.
#include "sequenced_write.hpp"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "real_calls.hpp"
#include "shared_state.hpp"

namespace ctrecord::shim {
namespace {

using order::SharedState;
using order::Slot;

// Ring full for this long (the recorder not consuming): stop sequencing, write directly.
constexpr long long kGiveUpNs = 5'000'000'000LL;
// While waiting: how often to look whether the recorder is still there.
constexpr long long kRecorderCheckNs = 10'000'000LL;

struct Call {
  int fd;
  const void* buf;  // write
  size_t count;
  bool is_writev;  // a NULL iov must reach writev (EFAULT/EINVAL), not become a write
  const struct iovec* iov;
  int iovcnt;
};

ssize_t real_call(const Call& c) {
  const RealCalls& r = real();
  if (c.is_writev) {
    if (r.writev != nullptr) return r.writev(c.fd, c.iov, c.iovcnt);
    return syscall(SYS_writev, c.fd, c.iov, c.iovcnt);
  }
  if (r.write != nullptr) return r.write(c.fd, c.buf, c.count);
  return syscall(SYS_write, c.fd, c.buf, c.count);
}

long long now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

void pause_ns(long ns) {
  struct timespec ts = {0, ns};
  nanosleep(&ts, nullptr);
}

enum class Lock { Taken, Nested, Failed };

// Takes the writers' lock. A writer that died holding it left at most its own slot Pending
// (the last published one): that slot becomes Abandoned (its bytes, if any reached the pipe,
// are unsequenced for the recorder). The mutex is an error-checking one: EDEADLK means this
// thread holds it already, inside the section of another copy of the shim in the same
// process (two different libctrecord_order.so in LD_PRELOAD, e.g. a nested ctest-record):
// that copy's real write is this call, and it sequences it.
Lock lock(SharedState& s) {
  int rc = pthread_mutex_lock(&s.lock);
  if (rc == EDEADLK) return Lock::Nested;
  if (rc == EOWNERDEAD) {
    const uint64_t head = s.head.load(std::memory_order_relaxed);
    if (head > 0) {
      Slot& last = s.ring[(head - 1) % order::kRingSlots];
      if (last.state.load(std::memory_order_relaxed) == order::kPending)
        last.state.store(order::kAbandoned, std::memory_order_release);
    }
    rc = pthread_mutex_consistent(&s.lock);
    if (rc != 0) pthread_mutex_unlock(&s.lock);
  }
  return rc == 0 ? Lock::Taken : Lock::Failed;
}

// Waits (holding the lock) until the recorder has consumed enough for slot `head`. False when
// the recorder disabled sequencing, is gone, or did not make room within kGiveUpNs.
bool wait_for_space(SharedState& s, uint64_t head) {
  if (head - s.tail.load(std::memory_order_acquire) < order::kRingSlots) return true;
  const long long start = now_ns();
  long long next_check = start;
  long pause = 20'000;
  for (;;) {
    if (s.disabled.load(std::memory_order_acquire) != 0) return false;
    const long long now = now_ns();
    if (now - start > kGiveUpNs) return false;
    if (now >= next_check) {
      next_check = now + kRecorderCheckNs;
      if (kill(s.recorder_pid, 0) != 0 && errno == ESRCH) return false;
    }
    pause_ns(pause);
    if (pause < 1'000'000) pause *= 2;
    if (head - s.tail.load(std::memory_order_acquire) < order::kRingSlots) return true;
  }
}

// The first bytes actually written (only what the kernel has read: a bad buffer must fail
// with EFAULT as it would without the shim, never fault here).
void fill_head(Slot& slot, const Call& c, size_t written) {
  const size_t want = written < order::kHeadBytes ? written : order::kHeadBytes;
  if (!c.is_writev) {
    memcpy(slot.head, c.buf, want);
  } else {
    size_t got = 0;
    for (int i = 0; i < c.iovcnt && got < want; ++i) {
      const size_t len = c.iov[i].iov_len;
      const size_t take = len < want - got ? len : want - got;
      if (take == 0) continue;
      memcpy(slot.head + got, c.iov[i].iov_base, take);
      got += take;
    }
  }
  slot.head_len = static_cast<uint8_t>(want);
}

uint64_t iov_total(const Call& c) {
  uint64_t total = 0;
  for (int i = 0; i < c.iovcnt; ++i) total += c.iov[i].iov_len;
  return total;
}

// Claims and publishes the next slot (lock held). Null when sequencing has to stop.
Slot* publish(SharedState& s, const Call& c, int stream) {
  const uint64_t head = s.head.load(std::memory_order_relaxed);
  if (!wait_for_space(s, head)) return nullptr;
  Slot& slot = s.ring[head % order::kRingSlots];
  slot.state.store(order::kPending, std::memory_order_relaxed);
  slot.stream = static_cast<uint8_t>(stream);
  slot.head_len = 0;
  slot.pid = static_cast<int32_t>(getpid());
  slot.tid = static_cast<int32_t>(gettid());
  slot.seq = head + 1;
  slot.requested = c.is_writev ? 0 : c.count;  // writev: filled in after the call
  slot.result = 0;
  s.head.store(head + 1, std::memory_order_release);
  return &slot;
}

void finish(Slot& slot, const Call& c, ssize_t n, int call_errno) {
  if (n >= 0) {
    if (c.is_writev) slot.requested = iov_total(c);  // the kernel has read the iovecs
    if (n > 0) fill_head(slot, c, static_cast<size_t>(n));
    slot.result = n;
  } else {
    slot.result = -static_cast<int64_t>(call_errno);
  }
  slot.state.store(order::kDone, std::memory_order_release);
}

ssize_t run(const Call& c) {
  const int entry_errno = errno;
  SharedState* s = active_state();
  const int stream = s != nullptr ? capture_stream_of(*s, c.fd) : 0;
  if (stream == 0) {
    errno = entry_errno;
    return real_call(c);
  }
  if (s->disabled.load(std::memory_order_acquire) != 0) {
    deactivate();
    errno = entry_errno;
    return real_call(c);
  }

  // No signal handler may run (and write) inside the section, and no cancellation may leave
  // it: a SIGPIPE raised by the real write stays pending until the mask is restored.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int cancel_state = 0;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);

  Slot* slot = nullptr;
  const Lock locked = lock(*s);
  if (locked == Lock::Taken) slot = publish(*s, c, stream);
  if (slot == nullptr && locked != Lock::Nested) {
    deactivate();  // not locked, or no room: write unsequenced from now on
    if (locked == Lock::Taken) pthread_mutex_unlock(&s->lock);
  }

  errno = entry_errno;
  const ssize_t n = real_call(c);
  const int call_errno = errno;

  if (slot != nullptr) {
    finish(*slot, c, n, call_errno);
    pthread_mutex_unlock(&s->lock);
  }
  pthread_setcancelstate(cancel_state, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = n < 0 ? call_errno : entry_errno;
  return n;
}

}  // namespace

ssize_t sequenced_write(int fd, const void* buf, size_t count) noexcept {
  if (count == 0) return real_call(Call{fd, buf, count, false, nullptr, 0});  // nothing to order
  return run(Call{fd, buf, count, false, nullptr, 0});
}

ssize_t sequenced_writev(int fd, const struct iovec* iov, int iovcnt) noexcept {
  return run(Call{fd, nullptr, 0, true, iov, iovcnt});
}

}  // namespace ctrecord::shim
