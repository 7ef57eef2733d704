// OrderChannel: the recorder's end of the shared memory of `--order=exact`
// (order_protocol.hpp). It creates the memfd (close-on-exec: the command inherits it only
// through the spawn's file actions, ChildSpec::inherit_fds), sizes, seals and maps it, fills in
// the header (magic, version, our pid, the capture pipes' identities) and the robust,
// process-shared mutex that only the command's writers ever lock. The recorder consumes the
// ring without locking: poll_slots() copies finished slots, in order, into an OrderLedger and
// advances `tail`; the last published slot, while Pending, is shown to the ledger without
// being consumed, by its identity only (seq, stream, pid, tid: its writer may still be
// filling in size and head). Everything read from the shared memory is checked (the command
// can write it): a slot that does not hold what its position says is skipped. disable() (also
// on destruction) tells writers to stop sequencing.
#pragma once

#include <cstdint>
#include <string>

#include "ctrecord/order_ledger.hpp"
#include "ctrecord/order_protocol.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrecord {

class OrderChannel {
 public:
  // `stdout_write` and `stderr_write` are the write ends of the capture pipes (their st_dev
  // and st_ino go into the header). Throws EnvironmentError (memfd_create, ftruncate, mmap,
  // fstat, pthread_mutex_init).
  OrderChannel(int stdout_write, int stderr_write);
  ~OrderChannel();
  OrderChannel(OrderChannel&& other) noexcept;
  OrderChannel& operator=(OrderChannel&&) = delete;
  OrderChannel(const OrderChannel&) = delete;
  OrderChannel& operator=(const OrderChannel&) = delete;

  // The memfd, for ChildSpec::inherit_fds (same number in the command, close-on-exec cleared
  // there only). Kept open while the channel lives: a process that lost it (close_fds) opens
  // /proc/<our pid>/fd/<fd>.
  int child_fd() const noexcept { return memfd_.get(); }
  // The value of order::kEnvVar: "1:<our pid>:<fd>:<inode of the memfd>".
  std::string env_value() const;

  // Copies the slots finished since the last call (Done, Abandoned) into `ledger`, in order,
  // at most ledger.slot_room() of them, and advances `tail`; then the last published slot if it
  // is still Pending (not consumed: it is shown again next time). Tells the ledger whether it
  // caught up with `head`. Call after reading the pipes.
  void poll_slots(OrderLedger& ledger);
  // Writers stop sequencing (and stop waiting for ring space) and write directly.
  void disable() noexcept;

  std::uint64_t consumed() const noexcept { return tail_; }
  std::uint64_t invalid_slots() const noexcept { return invalid_; }  // skipped as malformed

 private:
  UniqueFd memfd_;
  order::SharedState* state_ = nullptr;
  std::uint64_t inode_ = 0;
  std::uint64_t tail_ = 0;  // ours; the shared copy is only for the writers
  std::uint64_t invalid_ = 0;
};

}  // namespace ctrecord
