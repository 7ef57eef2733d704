// Interposed stdio functions that must know the shim's streams: fileno (1/2 for them, where
// glibc says -1 for any fopencookie stream), freopen (reopens glibc's own stream, handed back),
// and the byte-output functions a caller may use on glibc's original stdout/stderr captured
// before the shim's constructor ran (libstdc++'s std::cout when a library's static
// initializer set it up first): routed to the shim's stream.
#include <stdarg.h>
#include <stdio.h>

#include "real_calls.hpp"
#include "shim_export.hpp"
#include "std_streams.hpp"

using ctrecord::shim::real;
using ctrecord::shim::route;

// glibc's original stream while the shim's is in place is routed to the shim's (fd 1/2); a
// shim stream handed back is routed to glibc's, which knows its descriptor.
CTR_SHIM_EXPORT int fileno(FILE* fp) noexcept {
  FILE* target = route(fp);
  const int fd = ctrecord::shim::shim_stream_fd(target);
  return fd >= 0 ? fd : real().fileno(target);
}

CTR_SHIM_EXPORT int fileno_unlocked(FILE* fp) noexcept {
  FILE* target = route(fp);
  const int fd = ctrecord::shim::shim_stream_fd(target);
  return fd >= 0 ? fd : real().fileno_unlocked(target);
}

CTR_SHIM_EXPORT FILE* freopen(const char* path, const char* mode, FILE* fp) {
  return real().freopen(path, mode, ctrecord::shim::hand_back(fp));
}

CTR_SHIM_EXPORT FILE* freopen64(const char* path, const char* mode, FILE* fp) {
  return real().freopen64(path, mode, ctrecord::shim::hand_back(fp));
}

CTR_SHIM_EXPORT size_t fwrite(const void* data, size_t size, size_t n, FILE* fp) {
  return real().fwrite(data, size, n, route(fp));
}

CTR_SHIM_EXPORT size_t fwrite_unlocked(const void* data, size_t size, size_t n, FILE* fp) {
  return real().fwrite_unlocked(data, size, n, route(fp));
}

CTR_SHIM_EXPORT int fputs(const char* text, FILE* fp) {
  return real().fputs(text, route(fp));
}

CTR_SHIM_EXPORT int fputs_unlocked(const char* text, FILE* fp) {
  return real().fputs_unlocked(text, route(fp));
}

CTR_SHIM_EXPORT int fputc(int c, FILE* fp) {
  return real().fputc(c, route(fp));
}

CTR_SHIM_EXPORT int fputc_unlocked(int c, FILE* fp) {
  return real().fputc_unlocked(c, route(fp));
}

CTR_SHIM_EXPORT int putc(int c, FILE* fp) {
  return real().putc(c, route(fp));
}

CTR_SHIM_EXPORT int putc_unlocked(int c, FILE* fp) {
  return real().putc_unlocked(c, route(fp));
}

CTR_SHIM_EXPORT int fflush(FILE* fp) {
  return real().fflush(route(fp));
}

CTR_SHIM_EXPORT int fflush_unlocked(FILE* fp) {
  return real().fflush_unlocked(route(fp));
}

CTR_SHIM_EXPORT int vfprintf(FILE* fp, const char* format, va_list args) {
  return real().vfprintf(route(fp), format, args);
}

CTR_SHIM_EXPORT int fprintf(FILE* fp, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int r = real().vfprintf(route(fp), format, args);
  va_end(args);
  return r;
}
