// dlsym(RTLD_NEXT) resolution of the functions the shim interposes, done once (pthread_once).
#include "real_calls.hpp"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>

namespace ctrecord::shim {
namespace {

RealCalls g_real;
pthread_once_t g_once = PTHREAD_ONCE_INIT;
std::atomic<bool> g_ready{false};

template <typename F>
void next(F*& slot, const char* name) {
  slot = reinterpret_cast<F*>(dlsym(RTLD_NEXT, name));
}

void resolve() {
  next(g_real.write, "write");
  next(g_real.writev, "writev");
  next(g_real.vdprintf, "vdprintf");
  next(g_real.vdprintf_chk, "__vdprintf_chk");
  next(g_real.fileno, "fileno");
  next(g_real.fileno_unlocked, "fileno_unlocked");
  next(g_real.freopen, "freopen");
  next(g_real.freopen64, "freopen64");
  next(g_real.fwrite, "fwrite");
  next(g_real.fwrite_unlocked, "fwrite_unlocked");
  next(g_real.fputs, "fputs");
  next(g_real.fputs_unlocked, "fputs_unlocked");
  next(g_real.fputc, "fputc");
  next(g_real.fputc_unlocked, "fputc_unlocked");
  next(g_real.putc, "putc");
  next(g_real.putc_unlocked, "putc_unlocked");
  next(g_real.fflush, "fflush");
  next(g_real.fflush_unlocked, "fflush_unlocked");
  next(g_real.vfprintf, "vfprintf");
  next(g_real.fwide, "fwide");
  next(g_real.fputwc, "fputwc");
  next(g_real.fputwc_unlocked, "fputwc_unlocked");
  next(g_real.putwc, "putwc");
  next(g_real.putwc_unlocked, "putwc_unlocked");
  next(g_real.putwchar, "putwchar");
  next(g_real.putwchar_unlocked, "putwchar_unlocked");
  next(g_real.fputws, "fputws");
  next(g_real.fputws_unlocked, "fputws_unlocked");
  next(g_real.vwprintf, "vwprintf");
  next(g_real.vfwprintf, "vfwprintf");
  next(g_real.vwprintf_chk, "__vwprintf_chk");
  next(g_real.vfwprintf_chk, "__vfwprintf_chk");
  g_ready.store(true, std::memory_order_release);
}

}  // namespace

const RealCalls& real() noexcept {
  if (!g_ready.load(std::memory_order_acquire)) pthread_once(&g_once, resolve);
  return g_real;
}

}  // namespace ctrecord::shim
