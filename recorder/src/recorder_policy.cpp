// RecorderPolicy resolution: defaults < environment < flags.
#include "ctrecord/recorder_policy.hpp"

#include <algorithm>
#include <cctype>

#include "ctrecord/errors.hpp"

namespace ctrecord {

std::optional<bool> parse_bool_setting(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

RecorderPolicy resolve_policy(const char* env_value, std::optional<bool> flag) {
  RecorderPolicy policy;
  if (env_value != nullptr && *env_value != '\0') {
    const auto parsed = parse_bool_setting(env_value);
    if (!parsed) {
      throw UsageError(std::string("bad value '") + env_value + "' for " + kCaptureIoEnvVar +
                       ": use 1 to capture stdin/stdout/stderr or 0 to record metadata only");
    }
    policy.io_capture_enabled = *parsed;
    policy.io_capture_source = std::string("env ") + kCaptureIoEnvVar + "=" + env_value;
  }
  if (flag) {
    policy.io_capture_enabled = *flag;
    policy.io_capture_source = *flag ? "flag --capture-io" : "flag --no-capture-io";
  }
  return policy;
}

std::optional<EnvRecording> parse_env_recording(std::string_view text) {
  if (text == "safe") return EnvRecording::Safe;
  if (text == "all") return EnvRecording::All;
  if (text == "none") return EnvRecording::None;
  return std::nullopt;
}

std::string_view env_recording_name(EnvRecording mode) noexcept {
  switch (mode) {
    case EnvRecording::Safe: return "safe";
    case EnvRecording::All: return "all";
    case EnvRecording::None: return "none";
  }
  return "safe";
}

EnvRecording resolve_env_recording(const char* env_value, std::optional<EnvRecording> flag) {
  if (flag) return *flag;
  if (env_value == nullptr || *env_value == '\0') return EnvRecording::Safe;
  const auto parsed = parse_env_recording(env_value);
  if (!parsed) {
    throw UsageError(std::string("bad value '") + env_value + "' for " + kRecordEnvEnvVar +
                     ": use safe (secret-looking values left out), all or none");
  }
  return *parsed;
}

std::optional<OrderMode> parse_order_mode(std::string_view text) {
  if (text == "read") return OrderMode::Read;
  if (text == "exact") return OrderMode::Exact;
  return std::nullopt;
}

std::string_view order_mode_name(OrderMode mode) noexcept {
  return mode == OrderMode::Exact ? "exact" : "read";
}

OrderMode resolve_order_mode(const char* env_value, std::optional<OrderMode> flag) {
  if (flag) return *flag;
  if (env_value == nullptr || *env_value == '\0') return OrderMode::Read;
  const auto parsed = parse_order_mode(env_value);
  if (!parsed) {
    throw UsageError(std::string("bad value '") + env_value + "' for " + kRecordOrderEnvVar +
                     ": use read (the order ctest-record reads stdout and stderr in) or exact "
                     "(the order they were written in)");
  }
  return *parsed;
}

}  // namespace ctrecord
