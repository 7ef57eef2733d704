// RecorderPolicy: what the recorder captures, resolved from layered settings:
// built-in defaults < environment (CTEST_CAPTURE_IO=0|1, CTEST_RECORD_ENV=all|safe|none,
// CTEST_RECORD_ORDER=read|exact) < command-line flags.
// A bad environment value is a UsageError naming the variable and the accepted values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctrecord {

inline constexpr const char* kCaptureIoEnvVar = "CTEST_CAPTURE_IO";
inline constexpr const char* kRecordEnvEnvVar = "CTEST_RECORD_ENV";
inline constexpr const char* kRecordOrderEnvVar = "CTEST_RECORD_ORDER";

// How the start event records the environment (--record-env).
enum class EnvRecording {
  Safe,  // every variable, values of secret-looking names left out (the default)
  All,   // every value as it is, secrets included
  None,  // only the formatting variables a replay restores (TERM, LANG, LC_*, TZ, ...)
};

// How stdout and stderr chunks are ordered in the trace (--order).
enum class OrderMode {
  Read,   // as the recorder read them (the default)
  Exact,  // as they were written: the command loads the ordering shim (ordered_output.hpp)
};

struct RecorderPolicy {
  bool io_capture_enabled = true;
  std::string io_capture_source =
      "default";  // "default", "env CTEST_CAPTURE_IO=0", "flag --no-capture-io"
  EnvRecording env_recording = EnvRecording::Safe;
};

// `env_value` is the variable's value or nullptr when unset (an empty value counts as unset).
// `flag` is the command line's choice, if any. Throws UsageError on a bad env value.
RecorderPolicy resolve_policy(const char* env_value, std::optional<bool> flag);

// "all", "safe" or "none"; nullopt for anything else.
std::optional<EnvRecording> parse_env_recording(std::string_view text);
std::string_view env_recording_name(EnvRecording mode) noexcept;
// Default (safe) < CTEST_RECORD_ENV (`env_value`, nullptr or empty: unset) < `flag`. Throws
// UsageError on a bad env value.
EnvRecording resolve_env_recording(const char* env_value, std::optional<EnvRecording> flag);

// "read" or "exact"; nullopt for anything else.
std::optional<OrderMode> parse_order_mode(std::string_view text);
std::string_view order_mode_name(OrderMode mode) noexcept;
// Default (read) < CTEST_RECORD_ORDER (`env_value`, nullptr or empty: unset) < `flag`. Throws
// UsageError on a bad env value.
OrderMode resolve_order_mode(const char* env_value, std::optional<OrderMode> flag);

// Parses a boolean setting: 1/0, true/false, yes/no, on/off (any case). nullopt if not one.
std::optional<bool> parse_bool_setting(const std::string& text);

}  // namespace ctrecord
