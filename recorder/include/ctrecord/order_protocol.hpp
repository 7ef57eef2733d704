// The shared memory between `ctest-record --order=exact` and libctrecord_order.so, the shim
// its command's processes load through LD_PRELOAD (docs/exact-order.md).
//
// Every sequenced write(2) to one of the recorder's capture pipes is a Slot in a ring, taken
// under one robust, process-shared mutex that only writers lock (never the recorder):
//   lock; slot = ring[head % kRingSlots] (waiting while the ring is full); fill it with
//   state Pending; head += 1 (release); real write; slot.result, requested (writev), head
//   bytes, state Done (release); unlock.
// So the bytes of each pipe are in slot order, and a slot is visible before its bytes can be
// read. Only the last published slot can be Pending. A writer that finds the mutex
// EOWNERDEAD marks a Pending last slot Abandoned (its bytes, if any, become unsequenced).
// The recorder consumes Done/Abandoned slots in order and advances `tail`; it never writes a
// slot. Header only, with no library code: the shim must not depend on libstdc++.
//
// What a Pending slot already says: state, stream, pid, tid, seq, and `requested` for write(2).
// The rest (result, head/head_len, writev's `requested`) is written after the real call and is
// valid once the state is Done (acquire): the shim never reads the caller's buffer before the
// kernel has, so a bad pointer still gets EFAULT instead of a crash in the shim. An Abandoned
// slot has head_len 0.
#pragma once

#include <pthread.h>
#include <stdint.h>

#include <atomic>

namespace ctrecord::order {

// "1:<recorder pid>:<fd of the memfd>:<inode of the memfd>", set in the command's
// environment. A process that lost the fd (close_fds) opens /proc/<pid>/fd/<fd> and checks
// the inode.
inline constexpr char kEnvVar[] = "CTEST_RECORD_SEQUENCER";
inline constexpr uint32_t kMagic = 0x4f525443;  // "CTRO" little-endian
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kRingSlots = 4096;  // a power of two
inline constexpr uint32_t kHeadBytes = 24;

enum SlotState : uint32_t { kEmpty = 0, kPending = 1, kDone = 2, kAbandoned = 3 };

struct Slot {
  std::atomic<uint32_t> state;  // SlotState
  uint8_t stream;               // 1 stdout, 2 stderr (ctrecord::Stream values)
  uint8_t head_len;             // Done: valid bytes in head: min(max(result, 0), kHeadBytes)
  uint16_t reserved;
  int32_t pid;
  int32_t tid;
  uint32_t reserved2;
  uint64_t seq;           // ring position + 1: 1, 2, 3, ... across every process of the run
  uint64_t requested;     // bytes the writer asked for (writev: the sum of the iovecs, set
                          // with the result; 0 for a writev that failed)
  int64_t result;         // Done: bytes written (>= 0) or -errno
  char head[kHeadBytes];  // Done: the first bytes written, so the recorder can check
                          // attribution
};
static_assert(sizeof(Slot) == 72);

struct SharedState {
  uint32_t magic;
  uint32_t version;
  int32_t recorder_pid;
  uint32_t ring_slots;  // kRingSlots
  // The capture pipes (st_dev, st_ino of their write ends): writes to a descriptor with one
  // of these identities are sequenced, whatever its number.
  uint64_t stdout_dev, stdout_ino;
  uint64_t stderr_dev, stderr_ino;
  // Set by the recorder when it stops consuming: writers stop sequencing (and stop waiting
  // for ring space) and write directly.
  std::atomic<uint32_t> disabled;
  uint32_t reserved;
  // PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST + PTHREAD_MUTEX_ERRORCHECK (EDEADLK: this
  // thread is inside the section already, through another copy of the shim); writers only.
  // A vfork child never takes it (it would leave the parent's tid as owner).
  pthread_mutex_t lock;
  alignas(64) std::atomic<uint64_t> head;  // next position to fill; changed under the lock
  alignas(64) std::atomic<uint64_t> tail;  // next position the recorder consumes
  alignas(64) Slot ring[kRingSlots];
};

}  // namespace ctrecord::order
