// fopencookie streams for fd 1 and fd 2, and the bookkeeping that maps them to glibc's
// original streams and back.
#include "std_streams.hpp"

#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "real_calls.hpp"
#include "sequenced_write.hpp"
#include "shared_state.hpp"

namespace ctrecord::shim {
namespace {

// glibc's FILE flag bits (libio.h, unchanged since glibc 2.0; only two public macros remain in
// <bits/types/struct_FILE.h>): the original stream's buffering mode.
constexpr int kIoUnbuffered = 0x0002;
constexpr int kIoLineBuf = 0x0200;

struct StdStream {
  int fd;
  FILE** global;                     // &stdout or &stderr
  std::atomic<FILE*> shim{nullptr};  // the cookie stream; null: none, or closed
  FILE* original = nullptr;          // glibc's stream it replaced
  std::atomic<bool> handed_back{false};
  std::atomic<bool> used{false};  // bytes went through the cookie's write function
  char buffer[BUFSIZ];
};

StdStream g_out{1, &stdout};
StdStream g_err{2, &stderr};

// glibc's file write: loops over partial writes, and on an error returns what was written
// (the stream then reports the error); EINTR is an error there too.
ssize_t cookie_write(void* cookie, const char* buf, size_t size) {
  auto* s = static_cast<StdStream*>(cookie);
  s->used.store(true, std::memory_order_relaxed);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = sequenced_write(s->fd, buf + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

// ftell/fseek behave as on glibc's stream (ESPIPE on a pipe).
int cookie_seek(void* cookie, off64_t* offset, int whence) {
  auto* s = static_cast<StdStream*>(cookie);
  const off64_t pos = lseek64(s->fd, *offset, whence);
  if (pos < 0) return -1;
  *offset = pos;
  return 0;
}

// fclose(stdout) closes fd 1, as glibc's would; a handed-back stream leaves it alone.
int cookie_close(void* cookie) {
  auto* s = static_cast<StdStream*>(cookie);
  s->shim.store(nullptr, std::memory_order_release);
  if (s->handed_back.load(std::memory_order_acquire)) return 0;
  return close(s->fd);
}

// setvbuf arguments that reproduce what glibc would do (or was told to do, e.g. by stdbuf's
// preloaded constructor) with the original stream: its explicit mode and size if it has
// them, else full buffering with st_blksize (4096 on a pipe) or BUFSIZ.
void buffering_of(FILE* original, int fd, int& mode, size_t& size) {
  if ((original->_flags & kIoUnbuffered) != 0) {
    mode = _IONBF;
    size = 0;
    return;
  }
  mode = (original->_flags & kIoLineBuf) != 0 ? _IOLBF : _IOFBF;
  size = __fbufsize(original);
  if (size == 0) {
    size = BUFSIZ;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_blksize > 0 && st.st_blksize < BUFSIZ)
      size = static_cast<size_t>(st.st_blksize);
  }
}

void install(StdStream& s, const order::SharedState& state) {
  const RealCalls& r = real();
  FILE* original = *s.global;
  if (original == nullptr || r.fileno == nullptr || r.fflush == nullptr) return;
  if (capture_stream_of(state, s.fd) == 0 || r.fileno(original) != s.fd) return;
  if (r.fwide != nullptr && r.fwide(original, 0) > 0) return;  // already wide-oriented
  int mode = _IOFBF;
  size_t size = BUFSIZ;
  buffering_of(original, s.fd, mode, size);
  r.fflush(original);
  const cookie_io_functions_t functions = {nullptr, cookie_write, cookie_seek, cookie_close};
  FILE* shim = fopencookie(&s, "w", functions);
  if (shim == nullptr) return;
  char* buffer = nullptr;
  if (mode != _IONBF)
    buffer = size <= sizeof s.buffer ? s.buffer : static_cast<char*>(malloc(size));
  if (mode != _IONBF && buffer == nullptr) {
    buffer = s.buffer;
    size = sizeof s.buffer;
  }
  setvbuf(shim, buffer, mode, size);
  s.original = original;
  s.shim.store(shim, std::memory_order_release);
  *s.global = shim;
}

StdStream* owner_of(FILE* fp) {
  if (fp == nullptr) return nullptr;
  for (StdStream* s : {&g_out, &g_err}) {
    FILE* shim = s->shim.load(std::memory_order_acquire);
    if (shim != nullptr && (fp == shim || fp == s->original)) return s;
  }
  return nullptr;
}

}  // namespace

void install_std_streams() noexcept {
  const order::SharedState* state = active_state();
  if (state == nullptr) return;
  install(g_out, *state);
  install(g_err, *state);
}

FILE* route(FILE* fp) noexcept {
  StdStream* s = owner_of(fp);
  if (s == nullptr) return fp;
  const bool back = s->handed_back.load(std::memory_order_acquire);
  if (fp == s->original) return back ? fp : s->shim.load(std::memory_order_acquire);
  return back ? s->original : fp;
}

int shim_stream_fd(FILE* fp) noexcept {
  if (fp == nullptr) return -1;
  for (const StdStream* s : {&g_out, &g_err})
    if (fp == s->shim.load(std::memory_order_acquire)) return s->fd;
  return -1;
}

FILE* hand_back(FILE* fp) noexcept {
  StdStream* s = owner_of(fp);
  if (s == nullptr) return fp;
  if (!s->handed_back.exchange(true, std::memory_order_acq_rel)) {
    FILE* shim = s->shim.load(std::memory_order_acquire);
    if (shim != nullptr && real().fflush != nullptr) real().fflush(shim);
    *s->global = s->original;
  }
  return s->original;
}

int shim_stream_orientation(FILE* fp, bool& known) noexcept {
  StdStream* s = owner_of(fp);
  FILE* shim = s != nullptr ? s->shim.load(std::memory_order_acquire) : nullptr;
  known = shim != nullptr && !s->handed_back.load(std::memory_order_acquire);
  if (!known) return 0;
  const bool used = s->used.load(std::memory_order_relaxed) || __fpending(shim) > 0;
  return used ? -1 : 0;
}

}  // namespace ctrecord::shim
