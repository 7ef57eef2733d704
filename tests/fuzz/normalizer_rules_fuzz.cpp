// libFuzzer target: the normaliser's rule parsing and rewriting (replay/src/normalizer.cpp,
// docs/normalizers.md; docs/reliability.md#fuzzing).
//
// The input is a .ctest-replay rules file, optionally followed by a NUL byte and a sample of
// program output. The rules file is parsed as --rules-file would read it (from a memfd), and
// each of its first lines is also given as a --normalize rule and as an --ignore-lines rule,
// as the command line would. Whenever a Normalizer is built, the sample goes through it on
// both sides. A ctrecord::UsageError (a bad rule, regex, replacement or normaliser name) is
// the expected answer to a bad rule; anything else thrown, a crash, a leak, undefined
// behaviour or a huge allocation is a finding.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctreplay/normalizer.hpp"
#include "fuzz_util.hpp"

namespace {

constexpr std::size_t kMaxLineRules = 8;

ctreplay::RunFacts recorded_facts() {
  return {"/home/ci/work/project", "/home/ci", "/tmp"};
}
ctreplay::RunFacts current_facts() {
  return {"/builds/group/project", "/root", "/var/tmp/run-1"};
}

// Every built-in off: the line rules are then the only rules compiled.
std::vector<std::string> all_builtins() {
  std::vector<std::string> names;
  for (const auto& [name, description] : ctreplay::Normalizer::builtins()) names.push_back(name);
  return names;
}

void try_normalizer(const ctreplay::NormalizerOptions& options, std::string_view sample) {
  try {
    const ctreplay::Normalizer normalizer(options, recorded_facts(), current_facts());
    (void)normalizer.apply(sample, ctreplay::Side::Recorded);
    (void)normalizer.apply(sample, ctreplay::Side::Current);
    (void)normalizer.active();
  } catch (const ctrecord::UsageError&) {
    // A bad rule, named with its origin: the expected answer.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ctrfuzz::MemFile rules_file("normalizer_rules_fuzz");

  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view sample;
  if (const auto nul = input.find('\0'); nul != std::string_view::npos) {
    sample = input.substr(nul + 1);
    input = input.substr(0, nul);
  }

  // As a rules file.
  rules_file.set(input);
  ctreplay::NormalizerOptions from_file;
  from_file.rules_file = rules_file.path();
  try_normalizer(from_file, sample);

  // Its first lines as command-line rules.
  std::vector<std::string> lines;
  for (std::string_view rest = input; !rest.empty() && lines.size() < kMaxLineRules;) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    if (!line.empty()) lines.emplace_back(line);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  }
  if (lines.empty()) return 0;
  ctreplay::NormalizerOptions as_rules;
  as_rules.disabled = all_builtins();
  as_rules.rules = lines;
  try_normalizer(as_rules, sample);
  ctreplay::NormalizerOptions as_ignore_lines;
  as_ignore_lines.disabled = all_builtins();
  as_ignore_lines.ignore_lines = std::move(lines);
  try_normalizer(as_ignore_lines, sample);
  return 0;
}
