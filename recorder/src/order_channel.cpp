// OrderChannel: memfd + shared header for --order=exact, and the lock-free ring consumer.
#include "ctrecord/order_channel.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "ctrecord/errors.hpp"
#include "ctrecord/pipes.hpp"

namespace ctrecord {

namespace {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "the ring's atomics must work across processes");
static_assert((order::kRingSlots & (order::kRingSlots - 1)) == 0);

constexpr char kMemfdName[] = "ctest-record-order";

struct stat fstat_or_throw(int fd, const char* what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw EnvironmentError("fstat", what, errno);
  return st;
}

// The slot at ring position `pos` as the ledger sees it, or false when it does not hold what
// a slot there must (a command can write anything into the shared memory).
bool copy_slot(const order::Slot& raw, std::uint32_t state, std::uint64_t pos, OrderSlot& out) {
  const std::uint64_t seq = raw.seq;
  const std::uint8_t stream = raw.stream;
  if (seq != pos + 1 || (stream != 1 && stream != 2)) return false;
  out.seq = seq;
  out.stream = stream == 1 ? Stream::Stdout : Stream::Stderr;
  out.pid = static_cast<std::uint64_t>(static_cast<std::uint32_t>(raw.pid));
  out.tid = static_cast<std::uint64_t>(static_cast<std::uint32_t>(raw.tid));
  out.requested = 0;
  out.head_len = 0;
  out.result = 0;
  if (state == order::kPending) {
    // Its writer may still be filling in the size and the head (libctrecord_order.so copies
    // the head from what the call wrote, once it returned): only its identity counts yet.
    out.state = OrderSlot::State::Pending;
    return true;
  }
  if (state != order::kDone) {
    out.state = OrderSlot::State::Abandoned;
    return true;
  }
  // Done: final. The head holds at most the write's first kHeadBytes (fewer when the writer
  // copied only what the call wrote).
  const std::uint64_t requested = raw.requested;
  const std::uint8_t head_len = raw.head_len;
  if (head_len > std::min<std::uint64_t>(requested, order::kHeadBytes)) return false;
  out.state = OrderSlot::State::Done;
  out.requested = requested;
  out.head_len = head_len;
  std::memcpy(out.head.data(), raw.head, head_len);
  const std::int64_t result = raw.result;
  // More than it asked for cannot be: take what it asked for.
  out.result = result > 0 && static_cast<std::uint64_t>(result) > requested
                   ? static_cast<std::int64_t>(requested)
                   : result;
  return true;
}

}  // namespace

OrderChannel::OrderChannel(int stdout_write, int stderr_write) {
  const struct stat out = fstat_or_throw(stdout_write, "the stdout capture pipe");
  const struct stat err = fstat_or_throw(stderr_write, "the stderr capture pipe");
  const int fd = ::memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw EnvironmentError("memfd_create", kMemfdName, errno);
  memfd_ = above_std_fds(UniqueFd(fd));
  constexpr off_t kSize = static_cast<off_t>(sizeof(order::SharedState));
  int r;
  do {
    r = ::ftruncate(memfd_.get(), kSize);
  } while (r != 0 && errno == EINTR);
  if (r != 0) throw EnvironmentError("ftruncate", kMemfdName, errno);
  // Its size is fixed from here on: a command that truncated it would crash us (SIGBUS).
  if (::fcntl(memfd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    throw EnvironmentError("fcntl F_ADD_SEALS", kMemfdName, errno);
  }
  inode_ = fstat_or_throw(memfd_.get(), kMemfdName).st_ino;
  void* map = ::mmap(nullptr, sizeof(order::SharedState), PROT_READ | PROT_WRITE, MAP_SHARED,
                     memfd_.get(), 0);
  if (map == MAP_FAILED) throw EnvironmentError("mmap", kMemfdName, errno);
  state_ = new (map) order::SharedState();  // zeroed: every slot Empty, head = tail = 0
  state_->magic = order::kMagic;
  state_->version = order::kVersion;
  state_->recorder_pid = static_cast<std::int32_t>(::getpid());
  state_->ring_slots = order::kRingSlots;
  state_->stdout_dev = out.st_dev;
  state_->stdout_ino = out.st_ino;
  state_->stderr_dev = err.st_dev;
  state_->stderr_ino = err.st_ino;
  pthread_mutexattr_t attr;
  int e = ::pthread_mutexattr_init(&attr);
  if (e == 0) e = ::pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (e == 0) e = ::pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  // Error-checking: a second copy of the shim in one process finds the lock its thread
  // already holds (EDEADLK) instead of deadlocking (order_protocol.hpp).
  if (e == 0) e = ::pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  if (e == 0) e = ::pthread_mutex_init(&state_->lock, &attr);
  ::pthread_mutexattr_destroy(&attr);
  if (e != 0) {
    ::munmap(map, sizeof(order::SharedState));
    state_ = nullptr;
    throw EnvironmentError("pthread_mutex_init", kMemfdName, e);
  }
}

OrderChannel::OrderChannel(OrderChannel&& other) noexcept
    : memfd_(std::move(other.memfd_)),
      state_(std::exchange(other.state_, nullptr)),
      inode_(other.inode_),
      tail_(other.tail_),
      invalid_(other.invalid_) {}

OrderChannel::~OrderChannel() {
  if (state_ == nullptr) return;
  disable();
  ::munmap(state_, sizeof(order::SharedState));
}

std::string OrderChannel::env_value() const {
  return "1:" + std::to_string(::getpid()) + ":" + std::to_string(memfd_.get()) + ":" +
         std::to_string(inode_);
}

void OrderChannel::disable() noexcept {
  if (state_ != nullptr) state_->disabled.store(1, std::memory_order_release);
}

void OrderChannel::poll_slots(OrderLedger& ledger) {
  if (state_ == nullptr) return;
  std::uint64_t head = state_->head.load(std::memory_order_acquire);
  // Never more than a ring's worth ahead of us; anything else is not a writer's doing.
  if (head < tail_) head = tail_;
  if (head - tail_ > order::kRingSlots) head = tail_ + order::kRingSlots;
  std::size_t room = ledger.slot_room();
  bool caught_up = true;
  while (tail_ < head) {
    if (room == 0) {
      caught_up = false;
      break;
    }
    const order::Slot& raw = state_->ring[tail_ & (order::kRingSlots - 1)];
    std::uint32_t state = raw.state.load(std::memory_order_acquire);
    const bool last = tail_ + 1 == head;
    // Only the last published slot can be Pending (a writer finishes its slot before the
    // next one is published); an earlier Pending or Empty one was left by no writer.
    if (!last && (state == order::kPending || state == order::kEmpty)) state = order::kAbandoned;
    OrderSlot slot;
    const bool valid = copy_slot(raw, state, tail_, slot);
    if (state == order::kPending) {
      if (valid) ledger.add_slot(slot);  // shown, not consumed: its result is still to come
      break;
    }
    if (!valid) {
      ++invalid_;
      ++tail_;
      continue;
    }
    ledger.add_slot(slot);
    --room;
    ++tail_;
  }
  state_->tail.store(tail_, std::memory_order_release);
  ledger.set_caught_up(caught_up);
}

}  // namespace ctrecord
