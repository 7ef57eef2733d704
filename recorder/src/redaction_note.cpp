// The masking notes of a trace: written by record_command, read back by the replay.
#include "ctrecord/redaction_note.hpp"

#include <fmt/format.h>

namespace ctrecord {

namespace {
constexpr std::string_view kStartPrefix = "output masked: ";
constexpr std::string_view kPatternPrefix = "--redact ";

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}
}  // namespace

std::string redaction_start_note(std::size_t secret_values,
                                 const std::vector<std::string>& patterns) {
  std::string text = fmt::format(
      "{}values of {} ({} bytes or longer) and matches of {} are replaced by {} in stdin, stdout "
      "and stderr",
      kStartPrefix,
      plural(secret_values, "secret-looking environment variable",
             "secret-looking environment variables"),
      kMinSecretBytes, plural(patterns.size(), "--redact pattern", "--redact patterns"), kMask);
  for (const std::string& pattern : patterns) {
    text += '\n';
    text += kPatternPrefix;
    text += pattern;
  }
  return text;
}

std::optional<std::vector<std::string>> parse_redaction_start_note(std::string_view text) {
  if (text.substr(0, kStartPrefix.size()) != kStartPrefix) return std::nullopt;
  std::vector<std::string> patterns;
  std::size_t pos = text.find('\n');
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 1;
    pos = text.find('\n', start);
    const std::string_view line =
        text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    if (line.substr(0, kPatternPrefix.size()) == kPatternPrefix) {
      patterns.emplace_back(line.substr(kPatternPrefix.size()));
    }
  }
  return patterns;
}

std::string redaction_summary_note(const MaskCounts& counts, std::size_t secret_values) {
  return fmt::format("masked {} of {}, {}",
                     plural(counts.secrets_masked, "occurrence", "occurrences"),
                     plural(secret_values, "secret value", "secret values"),
                     plural(counts.pattern_matches, "--redact match", "--redact matches"));
}

}  // namespace ctrecord
