// SimRecorder: memfd SharedState + capture pipes + spawn + drain-and-consume loop (see .hpp).
#include "sim_recorder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace ctrecord::order_test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  if (fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) fail("fcntl");
}

void identity(int fd, uint64_t& dev, uint64_t& ino) {
  struct stat st;
  if (fstat(fd, &st) != 0) fail("fstat");
  dev = static_cast<uint64_t>(st.st_dev);
  ino = static_cast<uint64_t>(st.st_ino);
}

}  // namespace

SimRecorder::SimRecorder(std::string shim) : shim_(std::move(shim)) {
  // Like the recorder: the child inherits the memfd at the recorder's own number (>= 100 here,
  // out of the way of the fixtures' descriptors), so /proc/<recorder>/fd/<fd> names it too.
  UniqueFd raw(memfd_create("ctr-order-test", MFD_CLOEXEC));
  if (!raw) fail("memfd_create");
  memfd_.reset(fcntl(raw.get(), F_DUPFD_CLOEXEC, 100));
  if (!memfd_) fail("fcntl(F_DUPFD_CLOEXEC)");
  if (ftruncate(memfd_.get(), sizeof(order::SharedState)) != 0) fail("ftruncate");
  struct stat st;
  if (fstat(memfd_.get(), &st) != 0) fail("fstat");
  memfd_inode_ = st.st_ino;
  void* p = mmap(nullptr, sizeof(order::SharedState), PROT_READ | PROT_WRITE, MAP_SHARED,
                 memfd_.get(), 0);
  if (p == MAP_FAILED) fail("mmap");
  state_ = static_cast<order::SharedState*>(p);  // zero-filled by ftruncate

  make_pipe(out_read_, out_write_);
  make_pipe(err_read_, err_write_);
  state_->magic = order::kMagic;
  state_->version = order::kVersion;
  state_->recorder_pid = getpid();
  state_->ring_slots = order::kRingSlots;
  identity(out_write_.get(), state_->stdout_dev, state_->stdout_ino);
  identity(err_write_.get(), state_->stderr_dev, state_->stderr_ino);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&state_->lock, &attr);
  pthread_mutexattr_destroy(&attr);
}

SimRecorder::~SimRecorder() {
  if (state_ != nullptr) munmap(state_, sizeof(order::SharedState));
}

std::string SimRecorder::handshake() const {
  return "1:" + std::to_string(getpid()) + ":" + std::to_string(memfd_.get()) + ":" +
         std::to_string(memfd_inode_);
}

pid_t SimRecorder::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8"};
  if (options.preload) env.push_back("LD_PRELOAD=" + shim_);
  if (options.handshake)
    env.push_back(std::string(order::kEnvVar) + "=" +
                  (options.handshake_value.empty() ? handshake() : options.handshake_value));
  env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_write_) posix_spawn_file_actions_adddup2(&fa, out_write_.get(), 1);
  if (err_write_) posix_spawn_file_actions_adddup2(&fa, err_write_.get(), 2);
  // dup2 onto itself clears FD_CLOEXEC (glibc >= 2.29, Austin Group issue 411).
  if (options.inherit_memfd) posix_spawn_file_actions_adddup2(&fa, memfd_.get(), memfd_.get());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argp[0], &fa, &attr, argp.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    fail("posix_spawn " + argv[0]);
  }
  return pid;
}

void SimRecorder::close_write_ends() {
  out_write_.reset();
  err_write_.reset();
}

void SimRecorder::close_stdout_reader() {
  out_read_.reset();
}

bool SimRecorder::read_into(UniqueFd& fd, std::string& sink) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      sink.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      fd.reset();
      return false;
    }
    if (errno == EINTR) continue;
    return true;  // EAGAIN: nothing more for now
  }
}

void SimRecorder::consume(bool take_pending) {
  if (hold_tail) return;
  const uint64_t head = state_->head.load(std::memory_order_acquire);
  while (tail_ < head) {
    order::Slot& slot = state_->ring[tail_ % order::kRingSlots];
    const uint32_t st = slot.state.load(std::memory_order_acquire);
    if (st != order::kDone && st != order::kAbandoned && !take_pending) break;
    SlotCopy copy;
    copy.state = st;
    copy.stream = slot.stream;
    copy.pid = slot.pid;
    copy.tid = slot.tid;
    copy.seq = slot.seq;
    copy.requested = slot.requested;
    copy.result = slot.result;
    copy.head.assign(slot.head, slot.head_len <= order::kHeadBytes ? slot.head_len : 0);
    slots.push_back(std::move(copy));
    ++tail_;
    state_->tail.store(tail_, std::memory_order_release);
  }
}

bool SimRecorder::pump(int timeout_ms) {
  pollfd fds[2];
  nfds_t n = 0;
  if (out_read_ && drain_stdout) fds[n++] = {out_read_.get(), POLLIN, 0};
  if (err_read_) fds[n++] = {err_read_.get(), POLLIN, 0};
  if (n > 0) {
    poll(fds, n, timeout_ms);
  } else if (out_read_) {
    usleep(static_cast<useconds_t>(timeout_ms) * 1000);
  }
  consume(false);  // slots first: their bytes are in the pipes by the time they are Done
  if (out_read_ && drain_stdout) read_into(out_read_, out);
  if (err_read_) read_into(err_read_, err);
  return out_read_.valid() || err_read_.valid();
}

std::vector<int> SimRecorder::finish(const std::vector<pid_t>& pids, int timeout_ms) {
  drain_stdout = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pump(5)) {
    if (!timed_out && std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      for (const pid_t pid : pids) kill(-pid, SIGKILL);
    }
  }
  std::vector<int> statuses;
  for (const pid_t pid : pids) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    statuses.push_back(status);
  }
  hold_tail = false;
  consume(true);
  return statuses;
}

}  // namespace ctrecord::order_test
