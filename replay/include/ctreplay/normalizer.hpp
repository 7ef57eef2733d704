// Normalizer: rewrites volatile text (durations, dates, hex addresses, run-specific paths,
// CRLF) identically on both sides of a comparison, plus user rules ("REGEX=>REPLACEMENT",
// ignore-lines REGEX, a .ctest-replay rules file). Regexes are RE2 (linear time: a rule can
// never hang CI). Every built-in has a name that --no-normalize NAME turns off.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctreplay {

// Facts about one run whose paths must not count as differences.
struct RunFacts {
  std::string cwd;
  std::string home;
  std::string tmpdir;  // $TMPDIR or /tmp
};

struct NormalizerOptions {
  std::vector<std::string> disabled;      // built-in names to turn off
  std::vector<std::string> rules;         // "REGEX=>REPLACEMENT" (RE2 syntax, \1 groups)
  std::vector<std::string> ignore_lines;  // REGEX: matching lines are dropped on both sides
  std::optional<std::string> rules_file;  // a .ctest-replay file (read if it exists)
};

enum class Side { Recorded, Current };

class Normalizer {
 public:
  // Throws ctrecord::UsageError naming the bad rule/name (and file:line for the rules file),
  // ctrecord::EnvironmentError when an explicitly named rules file cannot be read.
  Normalizer(const NormalizerOptions& options, RunFacts recorded, RunFacts current);
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;
  Normalizer& operator=(Normalizer&&) noexcept;

  // Normalised copy of one stream's bytes. Bytes stay bytes (no UTF-8 assumption).
  std::string apply(std::string_view bytes, Side side) const;
  // Names of the rules in effect, in order (built-ins by name, user rules as written).
  std::vector<std::string> active() const;

  // name -> one-line description, for --list-normalizers.
  static std::vector<std::pair<std::string, std::string>> builtins();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctreplay
