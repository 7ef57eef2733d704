// The C API (ctrecord/c_api.h) over ctrecord::Session. Every entry point catches everything:
// the exception families become status codes and a thread-local message, so no C++ exception
// ever crosses into C (or into ctypes, where it would abort the interpreter).
#include "ctrecord/c_api.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "ctrecord/errors.hpp"
#include "ctrecord/session.hpp"

struct ctrecord_session {
  ctrecord::Session session;
};

namespace {

// A fixed buffer (not std::string): recording an out-of-memory failure must not allocate.
constexpr std::size_t kMessageCapacity = 2048;
thread_local char t_last_error[kMessageCapacity] = "";

int fail(int code, const char* prefix, const char* message) noexcept {
  const int n = std::snprintf(t_last_error, kMessageCapacity, "%s%s", prefix, message);
  if (n >= static_cast<int>(kMessageCapacity)) {
    std::memcpy(t_last_error + kMessageCapacity - 4, "...", 4);  // mark the truncation
  }
  return code;
}

// Maps the exception being handled to a status code and records its message.
int fail_with_current_exception() noexcept {
  try {
    throw;
  } catch (const ctrecord::UsageError& e) {
    return fail(CTRECORD_USAGE_ERROR, "", e.what());
  } catch (const ctrecord::EnvironmentError& e) {
    return fail(CTRECORD_ENVIRONMENT_ERROR, "", e.what());
  } catch (const std::system_error& e) {  // e.g. a thread that could not be created
    return fail(CTRECORD_ENVIRONMENT_ERROR, "", e.what());
  } catch (const std::bad_alloc&) {
    return fail(CTRECORD_ENVIRONMENT_ERROR, "", "out of memory");
  } catch (const std::exception& e) {
    return fail(CTRECORD_INTERNAL_ERROR, "internal error: ", e.what());
  } catch (...) {
    return fail(CTRECORD_INTERNAL_ERROR, "internal error: ", "unknown exception");
  }
}

}  // namespace

extern "C" {

int ctrecord_api_version(void) noexcept {
  return CTRECORD_C_API_VERSION;
}

int ctrecord_start(const char* trace_path, int capture_io, int capture_stdin,
                   ctrecord_session** out) noexcept {
  if (out == nullptr) return fail(CTRECORD_USAGE_ERROR, "", "ctrecord_start: out is NULL");
  *out = nullptr;
  if (trace_path == nullptr || *trace_path == '\0') {
    return fail(CTRECORD_USAGE_ERROR, "", "ctrecord_start: trace_path is NULL or empty");
  }
  std::optional<bool> io;
  switch (capture_io) {
    case CTRECORD_CAPTURE_IO_POLICY: break;
    case CTRECORD_CAPTURE_IO_OFF: io = false; break;
    case CTRECORD_CAPTURE_IO_ON: io = true; break;
    default: {
      char message[160];
      std::snprintf(message, sizeof message,
                    "ctrecord_start: capture_io must be -1 (policy), 0 (off) or 1 (on), not %d",
                    capture_io);
      return fail(CTRECORD_USAGE_ERROR, "", message);
    }
  }
  try {
    ctrecord::SessionOptions options;
    options.trace_path = trace_path;
    options.capture_io = io;
    options.capture_stdin = capture_stdin != 0;
    *out = new ctrecord_session{ctrecord::Session::start(std::move(options))};
    return CTRECORD_OK;
  } catch (...) {
    // Session::start rolled back whatever it had done (and `new` allocates before start runs).
    return fail_with_current_exception();
  }
}

int ctrecord_stop(ctrecord_session* session) noexcept {
  if (session == nullptr) return fail(CTRECORD_USAGE_ERROR, "", "ctrecord_stop: session is NULL");
  int status = CTRECORD_OK;
  try {
    const ctrecord::StopReport report = session->session.stop();
    if (report.trace_error) {
      status = fail(CTRECORD_TRACE_INCOMPLETE, "trace incomplete: ", report.trace_error->c_str());
    }
  } catch (...) {
    status = fail_with_current_exception();
  }
  delete session;  // ~Session logs (never throws) if the stop above failed half way
  return status;
}

int ctrecord_set_context(const char* context) noexcept {
  try {
    ctrecord::set_context(context == nullptr ? std::string() : std::string(context));
    return CTRECORD_OK;
  } catch (...) {
    return fail_with_current_exception();
  }
}

const char* ctrecord_current_context(void) noexcept {
  thread_local std::string t_context;
  try {
    t_context = ctrecord::current_context();
  } catch (...) {
    fail_with_current_exception();
    t_context.clear();
  }
  return t_context.c_str();
}

const char* ctrecord_last_error(void) noexcept {
  return t_last_error;
}

}  // extern "C"
