// Normalizer: rewrites volatile text (durations, dates, hex addresses, run-specific paths,
// CRLF) identically on both sides of a comparison, plus user rules ("REGEX=>REPLACEMENT",
// ignore-lines REGEX, a .ctest-replay rules file). Regexes are RE2 (linear time: a rule can
// never hang CI). Every built-in has a name that --no-normalize NAME turns off; the two that
// are off by default (ansi; progress unless the recording was made on a terminal) are turned
// on by naming them alone as a rule (--normalize NAME, "normalize NAME" in a rules file).
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
  std::vector<std::string> enabled;       // built-in names to turn on (ansi, progress)
  std::vector<std::string> disabled;      // built-in names to turn off (wins over turning on)
  std::vector<std::string> rules;         // "REGEX=>REPLACEMENT" (RE2 syntax, \1 groups), or
                                          // a built-in's name alone: turn it on
  std::vector<std::string> ignore_lines;  // REGEX: matching lines are dropped on both sides
  std::optional<std::string> rules_file;  // a .ctest-replay file (read if it exists)
  bool terminal = false;  // a side was recorded on a terminal (pty): `progress` is on
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
