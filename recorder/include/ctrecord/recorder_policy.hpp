// RecorderPolicy: what the recorder captures, resolved from layered settings:
// built-in defaults < environment (CTEST_CAPTURE_IO=0|1) < command-line flags.
// A bad environment value is a UsageError naming the variable and the accepted values.
#pragma once

#include <optional>
#include <string>

namespace ctrecord {

inline constexpr const char* kCaptureIoEnvVar = "CTEST_CAPTURE_IO";

struct RecorderPolicy {
  bool io_capture_enabled = true;
  std::string io_capture_source =
      "default";  // "default", "env CTEST_CAPTURE_IO=0", "flag --no-capture-io"
};

// `env_value` is the variable's value or nullptr when unset (an empty value counts as unset).
// `flag` is the command line's choice, if any. Throws UsageError on a bad env value.
RecorderPolicy resolve_policy(const char* env_value, std::optional<bool> flag);

// Parses a boolean setting: 1/0, true/false, yes/no, on/off (any case). nullopt if not one.
std::optional<bool> parse_bool_setting(const std::string& text);

}  // namespace ctrecord
