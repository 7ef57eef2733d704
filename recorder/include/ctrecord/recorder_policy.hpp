// RecorderPolicy: what the recorder captures, resolved from layered settings:
// built-in defaults < environment (CTEST_CAPTURE_IO=0|1, CTEST_RECORD_ENV=all|safe|none) <
// command-line flags.
// A bad environment value is a UsageError naming the variable and the accepted values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctrecord {

inline constexpr const char* kCaptureIoEnvVar = "CTEST_CAPTURE_IO";
inline constexpr const char* kRecordEnvEnvVar = "CTEST_RECORD_ENV";

// How the start event records the environment (--record-env).
enum class EnvRecording {
  Safe,  // every variable, values of secret-looking names left out (the default)
  All,   // every value as it is, secrets included
  None,  // only the formatting variables a replay restores (TERM, LANG, LC_*, TZ, ...)
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

// Parses a boolean setting: 1/0, true/false, yes/no, on/off (any case). nullopt if not one.
std::optional<bool> parse_bool_setting(const std::string& text);

}  // namespace ctrecord
