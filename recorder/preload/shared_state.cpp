// Attaching to the recorder's shared memory (CTEST_RECORD_SEQUENCER) and telling capture pipes
// from other descriptors.
#include "shared_state.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace ctrecord::shim {
namespace {

using order::SharedState;

SharedState* g_state = nullptr;     // set once by the constructor, never unmapped
std::atomic<bool> g_active{false};  // this process sequences its writes
// The process the state above belongs to: set when attaching and in a fork child. A vfork
// child (posix_spawn's too) shares this memory but has another pid: it must not take the
// writers' lock (glibc would record the parent's tid as owner, and the kernel would not
// release it if the child died), so its writes go straight through, unsequenced.
pid_t g_owner_pid = 0;

void after_fork_in_child() {
  g_owner_pid = getpid();
}

// Reads a decimal number up to `stop` (or the end of the string); false on anything else.
bool parse_number(const char*& p, char stop, unsigned long long& out) {
  unsigned long long value = 0;
  const char* start = p;
  while (*p >= '0' && *p <= '9') {
    const unsigned digit = static_cast<unsigned>(*p - '0');
    if (value > (~0ULL - digit) / 10) return false;
    value = value * 10 + digit;
    ++p;
  }
  if (p == start || *p != stop) return false;
  if (stop != '\0') ++p;
  out = value;
  return true;
}

struct Handshake {
  pid_t recorder_pid = 0;
  int fd = -1;
  unsigned long long inode = 0;
};

// "1:<recorder pid>:<fd>:<inode>"
bool parse_handshake(const char* text, Handshake& out) {
  if (text == nullptr || text[0] != '1' || text[1] != ':') return false;
  const char* p = text + 2;
  unsigned long long pid = 0;
  unsigned long long fd = 0;
  unsigned long long inode = 0;
  if (!parse_number(p, ':', pid) || !parse_number(p, ':', fd) || !parse_number(p, '\0', inode))
    return false;
  if (pid == 0 || pid > 0x7fffffffULL || fd > 0x7fffffffULL) return false;
  out.recorder_pid = static_cast<pid_t>(pid);
  out.fd = static_cast<int>(fd);
  out.inode = inode;
  return true;
}

// The memfd behind `fd` if it is the one the handshake names (a regular file with that inode,
// large enough for the shared state).
bool is_the_memfd(int fd, const Handshake& hs) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  return S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_ino) == hs.inode &&
         st.st_size >= static_cast<off_t>(sizeof(SharedState));
}

SharedState* map_state(int fd) {
  void* p = mmap(nullptr, sizeof(SharedState), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : static_cast<SharedState*>(p);
}

// The inherited descriptor, or (a process whose descriptors were closed, e.g. by Python's
// subprocess close_fds) the recorder's own through /proc; the descriptor opened there is
// closed again, the mapping stays.
SharedState* map_from(const Handshake& hs) {
  if (is_the_memfd(hs.fd, hs)) return map_state(hs.fd);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", static_cast<int>(hs.recorder_pid), hs.fd);
  const int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return nullptr;
  SharedState* state = is_the_memfd(fd, hs) ? map_state(fd) : nullptr;
  close(fd);
  return state;
}

bool valid(const SharedState& state, const Handshake& hs) {
  return state.magic == order::kMagic && state.version == order::kVersion &&
         state.ring_slots == order::kRingSlots && state.recorder_pid == hs.recorder_pid;
}

}  // namespace

bool attach_from_environment() noexcept {
  Handshake hs;
  if (!parse_handshake(getenv(order::kEnvVar), hs)) return false;
  SharedState* state = map_from(hs);
  if (state == nullptr) return false;
  if (!valid(*state, hs)) {
    munmap(state, sizeof(SharedState));
    return false;
  }
  g_state = state;
  g_owner_pid = getpid();
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  g_active.store(state->disabled.load(std::memory_order_acquire) == 0, std::memory_order_release);
  return g_active.load(std::memory_order_relaxed);
}

SharedState* active_state() noexcept {
  if (!g_active.load(std::memory_order_acquire)) return nullptr;
  return getpid() == g_owner_pid ? g_state : nullptr;
}

void deactivate() noexcept {
  g_active.store(false, std::memory_order_release);
}

int capture_stream_of(const SharedState& state, int fd) noexcept {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return 0;
  const auto dev = static_cast<uint64_t>(st.st_dev);
  const auto ino = static_cast<uint64_t>(st.st_ino);
  if (dev == state.stdout_dev && ino == state.stdout_ino) return 1;
  if (dev == state.stderr_dev && ino == state.stderr_ino) return 2;
  return 0;
}

}  // namespace ctrecord::shim
