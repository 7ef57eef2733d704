// Output masking: replaces secret values (literal byte strings, e.g. the values of
// secret-looking environment variables) and --redact pattern matches in captured bytes by a
// fixed mask before they reach the trace. StreamMasker works on one stream read in chunks of
// any size: it holds back the shortest tail that could still become a match (a proper prefix of
// a secret; with patterns, the incomplete last line up to kMaxPatternLine bytes), so a secret
// split across reads is masked, and hands everything else on in order. Pure byte functions:
// no I/O, no threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctrecord {

// What a masked region becomes (GitHub Actions' mask; GitLab writes [MASKED]).
inline constexpr std::string_view kMask = "***";
// Values of secret-looking variables shorter than this are not masked: they would mask
// ordinary words and numbers ("1", "true", "yes").
inline constexpr std::size_t kMinSecretBytes = 6;
// --redact patterns match within one line; a line is held back until its newline up to this
// many bytes, longer lines are matched in pieces of at least this size.
inline constexpr std::size_t kMaxPatternLine = 4096;

// A --redact pattern (the recorder has no regex engine: replay/ provides RE2 ones).
class RedactPattern {
 public:
  virtual ~RedactPattern() = default;
  virtual const std::string& text() const = 0;  // as the user wrote it
  // The first non-empty match in `line` starting at or after `from`: {start, length}.
  virtual std::optional<std::pair<std::size_t, std::size_t>> find(std::string_view line,
                                                                  std::size_t from) const = 0;
};

struct MaskRules {
  std::vector<std::string> secrets;  // literal values; empty ones are ignored
  std::vector<std::shared_ptr<const RedactPattern>> patterns;
  bool empty() const noexcept { return secrets.empty() && patterns.empty(); }
};

struct MaskCounts {
  std::uint64_t secrets_masked = 0;   // masks written for secret values (overlaps: one)
  std::uint64_t pattern_matches = 0;  // masks written for --redact matches
  MaskCounts& operator+=(const MaskCounts& other) noexcept {
    secrets_masked += other.secrets_masked;
    pattern_matches += other.pattern_matches;
    return *this;
  }
};

// The values of `environment` ("NAME=VALUE") whose names look secret (is_secret_env_name) and
// that are at least kMinSecretBytes long, without duplicates, longest first.
std::vector<std::string> secret_values_of(const std::vector<std::string>& environment);

class StreamMasker {
 public:
  explicit StreamMasker(std::shared_ptr<const MaskRules> rules);

  // Takes the next bytes of the stream; returns the masked bytes that are now final (possibly
  // none) and keeps the rest back.
  std::string push(std::string_view bytes);
  // The stream ended (or a barrier): everything held back, masked.
  std::string flush();
  bool holding() const noexcept { return !held_.empty(); }
  const MaskCounts& counts() const noexcept { return counts_; }

 private:
  std::string take(std::size_t cut);  // masks and removes held_[0, cut)
  std::size_t safe_cut() const;       // how much of held_ is final

  std::shared_ptr<const MaskRules> rules_;
  std::string held_;
  MaskCounts counts_;
};

// Masks a complete piece of bytes (nothing held back), e.g. a framework's captured section.
std::string mask_whole(const MaskRules& rules, std::string_view bytes, MaskCounts& counts);

}  // namespace ctrecord
