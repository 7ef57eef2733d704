// The libc functions behind the ones libctrecord_order.so interposes, found once with
// dlsym(RTLD_NEXT, ...) (the shim is preloaded, so "next" is libc or whatever sits between).
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <wchar.h>

namespace ctrecord::shim {

struct RealCalls {
  // Descriptors.
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*writev)(int, const struct iovec*, int);
  int (*vdprintf)(int, const char*, va_list);
  int (*vdprintf_chk)(int, int, const char*, va_list);  // __vdprintf_chk
  // stdio: descriptors and reopening.
  int (*fileno)(FILE*);
  int (*fileno_unlocked)(FILE*);
  FILE* (*freopen)(const char*, const char*, FILE*);
  FILE* (*freopen64)(const char*, const char*, FILE*);
  // stdio: byte output (routed to the shim's stream for callers that kept the original).
  size_t (*fwrite)(const void*, size_t, size_t, FILE*);
  size_t (*fwrite_unlocked)(const void*, size_t, size_t, FILE*);
  int (*fputs)(const char*, FILE*);
  int (*fputs_unlocked)(const char*, FILE*);
  int (*fputc)(int, FILE*);
  int (*fputc_unlocked)(int, FILE*);
  int (*putc)(int, FILE*);
  int (*putc_unlocked)(int, FILE*);
  int (*fflush)(FILE*);
  int (*fflush_unlocked)(FILE*);
  int (*vfprintf)(FILE*, const char*, va_list);
  // stdio: wide output (a shim stream hands the stream back to glibc's before any of these).
  int (*fwide)(FILE*, int);
  wint_t (*fputwc)(wchar_t, FILE*);
  wint_t (*fputwc_unlocked)(wchar_t, FILE*);
  wint_t (*putwc)(wchar_t, FILE*);
  wint_t (*putwc_unlocked)(wchar_t, FILE*);
  wint_t (*putwchar)(wchar_t);
  wint_t (*putwchar_unlocked)(wchar_t);
  int (*fputws)(const wchar_t*, FILE*);
  int (*fputws_unlocked)(const wchar_t*, FILE*);
  int (*vwprintf)(const wchar_t*, va_list);
  int (*vfwprintf)(FILE*, const wchar_t*, va_list);
  int (*vwprintf_chk)(int, const wchar_t*, va_list);
  int (*vfwprintf_chk)(FILE*, int, const wchar_t*, va_list);
};

// The resolved functions (resolved on the first call, from any thread; the constructor calls
// it early). A function libc does not have stays null: callers check before calling.
const RealCalls& real() noexcept;

}  // namespace ctrecord::shim
