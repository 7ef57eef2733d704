// --redact patterns as RE2 regexes.
#include "ctreplay/redact_pattern.hpp"

#include <re2/re2.h>

#include "ctrecord/errors.hpp"

namespace ctreplay {

namespace {

class Re2RedactPattern final : public ctrecord::RedactPattern {
 public:
  Re2RedactPattern(std::string text, const RE2::Options& options)
      : text_(std::move(text)), re_(text_, options) {}

  const std::string& text() const override { return text_; }
  bool ok() const { return re_.ok(); }
  const std::string& error() const { return re_.error(); }

  std::optional<std::pair<std::size_t, std::size_t>> find(std::string_view line,
                                                          std::size_t from) const override {
    // Tries each start so an empty match does not hide a later non-empty one.
    while (from <= line.size()) {
      re2::StringPiece match;
      if (!re_.Match(re2::StringPiece(line.data(), line.size()), from, line.size(), RE2::UNANCHORED,
                     &match, 1)) {
        return std::nullopt;
      }
      const auto start = static_cast<std::size_t>(match.data() - line.data());
      if (!match.empty()) return std::make_pair(start, match.size());
      from = start + 1;
    }
    return std::nullopt;
  }

 private:
  std::string text_;
  RE2 re_;
};

}  // namespace

std::shared_ptr<const ctrecord::RedactPattern> compile_redact_pattern(const std::string& text) {
  if (text.empty()) throw ctrecord::UsageError("--redact: empty pattern; give a regex (RE2)");
  if (text.find('\n') != std::string::npos) {
    throw ctrecord::UsageError(
        "--redact: a pattern matches within one line and cannot hold a "
        "newline character; remove it");
  }
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  options.set_never_nl(true);
  auto pattern = std::make_shared<Re2RedactPattern>(text, options);
  if (!pattern->ok()) {
    throw ctrecord::UsageError("--redact: bad regex '" + text + "': " + pattern->error() +
                               " (RE2 syntax)");
  }
  return pattern;
}

std::vector<std::shared_ptr<const ctrecord::RedactPattern>> compile_redact_patterns(
    const std::vector<std::string>& texts) {
  std::vector<std::shared_ptr<const ctrecord::RedactPattern>> patterns;
  for (const std::string& text : texts) patterns.push_back(compile_redact_pattern(text));
  return patterns;
}

}  // namespace ctreplay
