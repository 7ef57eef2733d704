// A stand-in for the recorder side of --order=exact, for the shim's tests and its benchmark:
// lays out the SharedState in a memfd (magic, version, the pipes' identities, the robust
// process-shared mutex), makes the two capture pipes, spawns commands with the shim preloaded
// and CTEST_RECORD_SEQUENCER set, and drains both pipes while consuming the ring. Single
// threaded (one poll loop), test-local: the real consumer is the recorder's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctrecord/order_protocol.hpp>
#include <ctrecord/unique_fd.hpp>
#include <string>
#include <vector>

namespace ctrecord::order_test {

// A consumed ring slot, copied out of shared memory.
struct SlotCopy {
  uint32_t state = 0;
  int stream = 0;
  int32_t pid = 0;
  int32_t tid = 0;
  uint64_t seq = 0;
  uint64_t requested = 0;
  int64_t result = 0;
  std::string head;
};

struct SpawnOptions {
  bool preload = true;                 // LD_PRELOAD=<shim>
  bool handshake = true;               // CTEST_RECORD_SEQUENCER=1:<pid>:<fd>:<inode>
  std::string handshake_value;         // when not empty: this value instead
  std::vector<std::string> extra_env;  // NAME=VALUE, added to a minimal environment
  bool inherit_memfd = true;           // the memfd, at the recorder's number, in the child
};

class SimRecorder {
 public:
  // `shim` is the path of libctrecord_order.so. Throws std::runtime_error on setup failure.
  explicit SimRecorder(std::string shim);
  SimRecorder(const SimRecorder&) = delete;
  SimRecorder& operator=(const SimRecorder&) = delete;
  ~SimRecorder();

  order::SharedState& state() { return *state_; }
  std::string handshake() const;              // the CTEST_RECORD_SEQUENCER value
  int memfd() const { return memfd_.get(); }  // the same number in the recorder and the child

  // posix_spawn with fd 1/2 on the capture pipes, stdin /dev/null, in a process group of its
  // own. Throws on failure.
  pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  // The recorder's copies of the pipes' write ends: close after the last spawn, or EOF never
  // comes. Also closes the stdout read end early when `close_stdout_reader` (EPIPE tests).
  void close_write_ends();
  void close_stdout_reader();

  // One round: poll the pipes (up to timeout_ms), read what is there, consume Done/Abandoned
  // slots. Returns false once both pipes are at EOF (or closed by us).
  bool pump(int timeout_ms);
  // pump() until EOF, reap `pids` (wait statuses in the same order), consume the last slots;
  // slots still Pending after every writer is gone are taken as they are. After `timeout_ms`
  // without EOF the process groups of `pids` are killed and `timed_out` is set.
  std::vector<int> finish(const std::vector<pid_t>& pids, int timeout_ms = 20000);
  bool timed_out = false;

  // While held, the consumer does not advance `tail` (the ring fills up).
  bool hold_tail = false;
  // While false, stdout is not read (the pipe fills up).
  bool drain_stdout = true;

  std::string out;              // bytes read from the stdout pipe
  std::string err;              // bytes read from the stderr pipe
  std::vector<SlotCopy> slots;  // consumed slots, in ring (= seq) order

  uint64_t head() const { return state_->head.load(std::memory_order_acquire); }
  uint64_t tail() const { return tail_; }

 private:
  void consume(bool take_pending);
  bool read_into(UniqueFd& fd, std::string& sink);

  std::string shim_;
  UniqueFd memfd_;
  unsigned long long memfd_inode_ = 0;
  order::SharedState* state_ = nullptr;
  UniqueFd out_read_, out_write_, err_read_, err_write_;
  uint64_t tail_ = 0;
};

}  // namespace ctrecord::order_test
