/* The C API of in-process capture (libctrecord_c.so): a thin layer over ctrecord::Session for
 * C programs and for other languages (the Python package ctest_record uses it via ctypes).
 *
 *   ctrecord_session* s = NULL;
 *   if (ctrecord_start("unit.ctrace", CTRECORD_CAPTURE_IO_POLICY, 1, &s) != CTRECORD_OK) {
 *     fprintf(stderr, "capture: %s\n", ctrecord_last_error());
 *     return 1;
 *   }
 *   puts("hello");                 // reaches the console AND the trace
 *   ctrecord_set_context("suite.test");
 *   if (ctrecord_stop(s) != CTRECORD_OK)  // fds 0/1/2 restored; s is freed either way
 *     fprintf(stderr, "capture: %s\n", ctrecord_last_error());
 *
 * Every function returns a status code; none lets a C++ exception escape. On failure the
 * calling thread's ctrecord_last_error() says why. Behaviour (what start saves, what stop
 * restores, one session per process) is that of ctrecord::Session: see ctrecord/session.hpp.
 * Plain C99; usable from C and C++. */
#ifndef CTRECORD_C_API_H
#define CTRECORD_C_API_H

#if defined(_WIN32)
#if defined(CTRECORD_C_BUILDING)
#define CTRECORD_C_EXPORT __declspec(dllexport)
#else
#define CTRECORD_C_EXPORT __declspec(dllimport)
#endif
#else
#define CTRECORD_C_EXPORT __attribute__((visibility("default")))
#endif

#if defined(__cplusplus)
#define CTRECORD_C_NOEXCEPT noexcept
extern "C" {
#else
#define CTRECORD_C_NOEXCEPT
#endif

/* Status codes (stable values: other languages hard-code them). */
#define CTRECORD_OK 0
#define CTRECORD_USAGE_ERROR 1       /* bad argument, session already active, bad config */
#define CTRECORD_ENVIRONMENT_ERROR 2 /* a syscall failed (trace not creatable, pipe, dup) */
#define CTRECORD_INTERNAL_ERROR 3    /* a bug in the recorder */
#define CTRECORD_TRACE_INCOMPLETE 4  /* stop: fds restored, but the trace is not finished */

/* Version of this C API; bumped on any incompatible change. */
#define CTRECORD_C_API_VERSION 1

/* ctrecord_start's capture_io: follow the policy (CTEST_CAPTURE_IO, default on), or force. */
#define CTRECORD_CAPTURE_IO_POLICY (-1)
#define CTRECORD_CAPTURE_IO_OFF 0
#define CTRECORD_CAPTURE_IO_ON 1

/* An active capture of this process's fds 0/1/2 (opaque). */
typedef struct ctrecord_session ctrecord_session;

/* The CTRECORD_C_API_VERSION the library was built with (lets a binding check it). */
CTRECORD_C_EXPORT int ctrecord_api_version(void) CTRECORD_C_NOEXCEPT;

/* Starts capturing fds 0/1/2 into trace_path (created or truncated, mode 0600).
 * capture_io: CTRECORD_CAPTURE_IO_POLICY, _OFF or _ON. capture_stdin: 0 leaves fd 0 alone.
 * On CTRECORD_OK *out is the new session; on failure *out is NULL and nothing is changed.
 * A second start while a session is active is CTRECORD_USAGE_ERROR. */
CTRECORD_C_EXPORT int ctrecord_start(const char* trace_path, int capture_io, int capture_stdin,
                                     ctrecord_session** out) CTRECORD_C_NOEXCEPT;

/* Flushes C stdio, restores fds 0/1/2, finishes the trace and frees the session (also when it
 * returns an error: never use the pointer again). CTRECORD_TRACE_INCOMPLETE: the fds are
 * restored but the trace could not be finished (ctrecord_last_error() says why). Languages
 * with their own output buffers must flush them before calling this. */
CTRECORD_C_EXPORT int ctrecord_stop(ctrecord_session* session) CTRECORD_C_NOEXCEPT;

/* Sets the calling thread's context (e.g. the running test's name; NULL or "" clears it).
 * While a session is active this is a barrier: output already written is stamped with the
 * old context, output written after the call with the new one (flush own buffers first). */
CTRECORD_C_EXPORT int ctrecord_set_context(const char* context) CTRECORD_C_NOEXCEPT;

/* The context the calling thread set last ("" if none). The pointer stays valid on this
 * thread until its next call of ctrecord_current_context. Never NULL. */
CTRECORD_C_EXPORT const char* ctrecord_current_context(void) CTRECORD_C_NOEXCEPT;

/* Message of the last failed call on the calling thread ("" if none yet); successful calls do
 * not clear it. Valid until the next failing call on this thread. Never NULL. */
CTRECORD_C_EXPORT const char* ctrecord_last_error(void) CTRECORD_C_NOEXCEPT;

#if defined(__cplusplus)
} /* extern "C" */
#endif

#endif /* CTRECORD_C_API_H */
