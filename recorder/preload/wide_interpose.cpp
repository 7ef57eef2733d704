// Interposed wide-character output. A fopencookie stream has no wide-character state (glibc
// makes it byte-oriented), so wide output on the shim's stdout/stderr would fail: before any
// of these functions touches one, the stream is handed back to glibc's original (flushed
// first); that output is then unsequenced, but it is what the program wrote.
#include <stdarg.h>
#include <stdio.h>
#include <wchar.h>

#include "real_calls.hpp"
#include "shim_export.hpp"
#include "std_streams.hpp"

using ctrecord::shim::hand_back;
using ctrecord::shim::real;

CTR_SHIM_EXPORT int fwide(FILE* fp, int mode) noexcept {
  if (mode > 0) return real().fwide(hand_back(fp), mode);
  bool known = false;
  const int orientation = ctrecord::shim::shim_stream_orientation(fp, known);
  if (known) return mode == 0 ? orientation : -1;
  return real().fwide(ctrecord::shim::route(fp), mode);
}

CTR_SHIM_EXPORT wint_t fputwc(wchar_t wc, FILE* fp) {
  return real().fputwc(wc, hand_back(fp));
}

CTR_SHIM_EXPORT wint_t fputwc_unlocked(wchar_t wc, FILE* fp) {
  return real().fputwc_unlocked(wc, hand_back(fp));
}

CTR_SHIM_EXPORT wint_t putwc(wchar_t wc, FILE* fp) {
  return real().putwc(wc, hand_back(fp));
}

CTR_SHIM_EXPORT wint_t putwc_unlocked(wchar_t wc, FILE* fp) {
  return real().putwc_unlocked(wc, hand_back(fp));
}

CTR_SHIM_EXPORT wint_t putwchar(wchar_t wc) {
  hand_back(stdout);
  return real().putwchar(wc);
}

CTR_SHIM_EXPORT wint_t putwchar_unlocked(wchar_t wc) {
  hand_back(stdout);
  return real().putwchar_unlocked(wc);
}

CTR_SHIM_EXPORT int fputws(const wchar_t* text, FILE* fp) {
  return real().fputws(text, hand_back(fp));
}

CTR_SHIM_EXPORT int fputws_unlocked(const wchar_t* text, FILE* fp) {
  return real().fputws_unlocked(text, hand_back(fp));
}

CTR_SHIM_EXPORT int vwprintf(const wchar_t* format, va_list args) {
  hand_back(stdout);
  return real().vwprintf(format, args);
}

CTR_SHIM_EXPORT int wprintf(const wchar_t* format, ...) {
  hand_back(stdout);
  va_list args;
  va_start(args, format);
  const int r = real().vwprintf(format, args);
  va_end(args);
  return r;
}

CTR_SHIM_EXPORT int vfwprintf(FILE* fp, const wchar_t* format, va_list args) {
  return real().vfwprintf(hand_back(fp), format, args);
}

CTR_SHIM_EXPORT int fwprintf(FILE* fp, const wchar_t* format, ...) {
  FILE* target = hand_back(fp);
  va_list args;
  va_start(args, format);
  const int r = real().vfwprintf(target, format, args);
  va_end(args);
  return r;
}

// The _FORTIFY_SOURCE entry points of the same functions.
CTR_SHIM_EXPORT int __vwprintf_chk(int flag, const wchar_t* format, va_list args) {
  hand_back(stdout);
  return real().vwprintf_chk(flag, format, args);
}

CTR_SHIM_EXPORT int __wprintf_chk(int flag, const wchar_t* format, ...) {
  hand_back(stdout);
  va_list args;
  va_start(args, format);
  const int r = real().vwprintf_chk(flag, format, args);
  va_end(args);
  return r;
}

CTR_SHIM_EXPORT int __vfwprintf_chk(FILE* fp, int flag, const wchar_t* format, va_list args) {
  return real().vfwprintf_chk(hand_back(fp), flag, format, args);
}

CTR_SHIM_EXPORT int __fwprintf_chk(FILE* fp, int flag, const wchar_t* format, ...) {
  FILE* target = hand_back(fp);
  va_list args;
  va_start(args, format);
  const int r = real().vfwprintf_chk(target, flag, format, args);
  va_end(args);
  return r;
}
