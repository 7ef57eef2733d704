// Normalizer: built-in normalisers (ansi, progress, crlf, paths, hex-addresses, datetimes,
// durations), user rules and the rules file. Every regex is RE2 in Latin-1 mode, so a pattern
// matches bytes (invalid UTF-8, NUL and 0xff included) and a rewrite never changes bytes it did not
// match. Order and rationale: docs/normalizers.md.
#include "ctreplay/normalizer.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include "ctrecord/errors.hpp"
#include "ctreplay/terminal_text.hpp"

namespace ctreplay {
namespace {

constexpr const char* kAnsi = "ansi";
constexpr const char* kProgress = "progress";
constexpr const char* kCrlf = "crlf";
constexpr const char* kPaths = "paths";
constexpr const char* kHex = "hex-addresses";
constexpr const char* kDatetimes = "datetimes";
constexpr const char* kDurations = "durations";

// Built-ins in the order they run (ignore-lines and user rules run after crlf, before paths).
// Terminal output first: escape sequences go (when asked) before '\r' rewrites are rendered,
// so a coloured progress frame collapses like a plain one, and both before crlf, which would
// otherwise turn the pty's "\r\n" into "\n" and leave only the rewrites' bare '\r'.
const std::vector<std::pair<std::string, std::string>>& builtin_table() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {kAnsi,
       "(off unless --ansi=strip) ECMA-48 escape sequences (colours, cursor moves, titles, "
       "bracketed paste) removed"},
      {kProgress,
       "(on for recordings made on a terminal) a line rewritten with bare CRs (a progress "
       "bar) -> what the terminal shows at the end"},
      {kCrlf, "CRLF line endings -> LF"},
      {kPaths,
       "the run's cwd, home and temp dir -> <CWD>, <HOME>, <TMP> (longest first); pytest's "
       "/tmp/pytest-of-USER/pytest-N -> <TMP>; mktemp/tempfile names -> <TMP>/<TMPNAME>"},
      {kHex, "0x + 6 or more hex digits -> 0x<ADDR>; Python reprs 'at 0x1f2e>' too"},
      {kDatetimes,
       "ISO-8601 and RFC 2822 date-times and ctime dates -> <DATETIME>, YYYY-MM-DD -> <DATE>, "
       "HH:MM:SS[.fff] -> <TIME>"},
      {kDurations, "0.12s, 1.5 s, 15 ms, 123us, 2m3s, in 3.2 seconds, 0:00:01.234 -> <DURATION>"},
  };
  return table;
}

RE2::Options byte_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  // Room for the DFA on large inputs: a DFA that runs out of memory falls back to the
  // (still linear, but much slower) NFA.
  options.set_max_mem(int64_t{64} << 20);
  return options;
}

struct Rewrite {
  std::unique_ptr<RE2> re;
  std::string replacement;
};

void apply_rewrites(const std::vector<Rewrite>& rewrites, std::string& text) {
  for (const auto& rewrite : rewrites) {
    RE2::GlobalReplace(&text, *rewrite.re, rewrite.replacement);
  }
}

// One built-in normaliser: several patterns, each with its own replacement, compiled into one
// alternation "(P1)|(P2)|..." so the whole buffer is scanned once per normaliser, not once per
// pattern. At one position the earlier pattern wins (RE2's leftmost-first semantics).
class Alternatives {
 public:
  Alternatives& add(std::string pattern, std::string replacement) {
    parts_.push_back({std::move(pattern), std::move(replacement), 0, 0});
    return *this;
  }

  // Only scan when this literal occurs (a cheap memmem-style test first).
  Alternatives& require_any_of(std::vector<std::string> literals) {
    required_ = std::move(literals);
    return *this;
  }

  void compile() {
    std::string combined;
    int group = 1;
    for (auto& part : parts_) {
      const RE2 alone(part.pattern, byte_options());
      std::string error;
      if (!alone.ok() || !alone.CheckRewriteString(part.replacement, &error)) {
        throw ctrecord::InternalError("built-in normaliser pattern '" + part.pattern +
                                      "': " + alone.error() + error);
      }
      part.group = group;
      part.inner_groups = alone.NumberOfCapturingGroups();
      group += 1 + part.inner_groups;
      combined += (combined.empty() ? "(" : "|(") + part.pattern + ")";
    }
    re_ = std::make_unique<RE2>(combined, byte_options());
    if (!re_->ok()) throw ctrecord::InternalError("built-in normaliser: " + re_->error());
    groups_ = group;
  }

  void apply(std::string& text) const {
    if (!required_.empty() &&
        std::none_of(required_.begin(), required_.end(), [&text](const std::string& literal) {
          return text.find(literal) != std::string::npos;
        })) {
      return;
    }
    const re2::StringPiece whole(text);
    std::vector<re2::StringPiece> groups(static_cast<std::size_t>(groups_));
    std::string out;
    std::size_t pos = 0;     // where the next search starts
    std::size_t copied = 0;  // text[0, copied) is already in out (rewritten)
    while (pos < text.size() &&
           re_->Match(whole, pos, text.size(), RE2::UNANCHORED, groups.data(), groups_)) {
      const auto start = static_cast<std::size_t>(groups[0].data() - text.data());
      const auto end = start + groups[0].size();
      const auto part = std::find_if(parts_.begin(), parts_.end(), [&groups](const Part& p) {
        return groups[static_cast<std::size_t>(p.group)].data() != nullptr;
      });
      if (out.empty()) out.reserve(text.size());
      out.append(text, copied, start - copied);
      re_->Rewrite(&out, part->replacement, &groups[static_cast<std::size_t>(part->group)],
                   1 + part->inner_groups);
      copied = end;
      pos = end > start ? end : end + 1;  // built-ins never match empty; be safe anyway
    }
    if (copied == 0) return;
    out.append(text, copied, std::string::npos);
    text.swap(out);
  }

 private:
  struct Part {
    std::string pattern;
    std::string replacement;
    int group;         // of the whole part in the combined regex
    int inner_groups;  // the part's own groups, which its replacement numbers from \1
  };
  std::vector<Part> parts_;
  std::vector<std::string> required_;
  std::unique_ptr<RE2> re_;
  int groups_ = 0;
};

bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_';
}

// A run's path (cwd, home, tmpdir) -> its placeholder, matched only where it is not part of a
// longer name: "/tmp" must not match inside "/data/tmp" or "/tmpfoo" (but does match "/tmp/x",
// "/tmp:" and "/tmp." at a sentence end). A literal search, no regex.
struct PathFact {
  std::string path;
  std::string placeholder;

  void apply(std::string& text) const {
    std::string out;
    std::size_t copied = 0;
    for (auto at = text.find(path); at != std::string::npos; at = text.find(path, at + 1)) {
      const auto end = at + path.size();
      if (at < copied) continue;  // overlaps the previous replacement
      if (at > 0 && is_word_byte(text[at - 1])) continue;
      if (end < text.size() && is_word_byte(path.back()) && is_word_byte(text[end])) continue;
      if (out.empty()) out.reserve(text.size());
      out.append(text, copied, at - copied);
      out += placeholder;
      copied = end;
    }
    if (copied == 0) return;
    out.append(text, copied, std::string::npos);
    text.swap(out);
  }
};

void replace_crlf(std::string& text) {
  const auto first = text.find("\r\n");
  if (first == std::string::npos) return;
  std::size_t out = first;
  for (std::size_t in = first; in < text.size(); ++in) {
    if (text[in] == '\r' && in + 1 < text.size() && text[in + 1] == '\n') continue;
    text[out++] = text[in];
  }
  text.resize(out);
}

// Where a user rule came from, for error messages: "--normalize 'X=>Y'" or "FILE:3".
struct UserRule {
  std::string text;
  std::string origin;
};

struct ParsedRules {
  std::vector<UserRule> rules;
  std::vector<UserRule> ignore_lines;
  std::vector<UserRule> disabled;
};

std::string trim(std::string_view s) {
  const auto* ws = " \t\r\f\v";
  const auto begin = s.find_first_not_of(ws);
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(ws);
  return std::string(s.substr(begin, end - begin + 1));
}

void parse_rules_file(const std::string& path, ParsedRules& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ctrecord::EnvironmentError("open", path, errno);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = path + ":" + std::to_string(number);
    const std::string content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    const auto space = content.find_first_of(" \t");
    const std::string keyword = content.substr(0, space);
    const std::string argument =
        space == std::string::npos ? std::string() : trim(std::string_view(content).substr(space));
    std::vector<UserRule>* target = nullptr;
    if (keyword == "normalize") {
      target = &out.rules;
    } else if (keyword == "ignore-lines") {
      target = &out.ignore_lines;
    } else if (keyword == "no-normalize") {
      target = &out.disabled;
    } else {
      throw ctrecord::UsageError(where + ": unknown rule '" + keyword +
                                 "' (expected 'normalize REGEX=>REPLACEMENT', 'ignore-lines "
                                 "REGEX' or 'no-normalize NAME')");
    }
    if (argument.empty()) {
      throw ctrecord::UsageError(where + ": '" + keyword + "' needs an argument");
    }
    target->push_back({argument, where + ": " + keyword + " " + argument});
  }
  if (in.bad()) throw ctrecord::EnvironmentError("read", path, errno);
}

std::unique_ptr<RE2> compile_user_regex(const std::string& pattern, const std::string& origin,
                                        const RE2::Options& options) {
  if (pattern.empty()) throw ctrecord::UsageError(origin + ": empty regex");
  // Checked as written first, so the error quotes the user's pattern, not ours.
  const RE2 as_written(pattern, options);
  if (!as_written.ok()) {
    throw ctrecord::UsageError(origin + ": bad regex '" + pattern + "': " + as_written.error());
  }
  // (?m): ^ and $ match at line boundaries, as in grep and sed.
  auto re = std::make_unique<RE2>("(?m)" + pattern, options);
  if (!re->ok()) {
    throw ctrecord::UsageError(origin + ": bad regex '" + pattern + "': " + re->error());
  }
  return re;
}

}  // namespace

struct Normalizer::Impl {
  bool ansi = false;
  bool progress = false;
  bool crlf = true;
  bool paths = true;
  bool hex = true;
  bool datetimes = true;
  bool durations = true;

  std::vector<std::string> user_rule_names;    // "normalize X=>Y", in order
  std::vector<std::string> ignore_rule_names;  // "ignore-lines X", in order
  std::vector<Rewrite> user_rewrites;
  std::unique_ptr<RE2> ignore;  // all ignore-lines patterns as one alternation; never_nl

  std::vector<PathFact> recorded_paths;  // this side's cwd/home/tmpdir, longest first
  std::vector<PathFact> current_paths;
  Alternatives temp_names;  // pytest dirs, mktemp/tempfile names (both sides)
  Alternatives hex_addresses;
  Alternatives datetime_parts;
  Alternatives duration_parts;

  void drop_ignored_lines(std::string& text) const;
  // The on/off switch of the built-in called `name`; nullptr when there is none.
  bool* builtin_flag(const std::string& name) {
    return name == kAnsi        ? &ansi
           : name == kProgress  ? &progress
           : name == kCrlf      ? &crlf
           : name == kPaths     ? &paths
           : name == kHex       ? &hex
           : name == kDatetimes ? &datetimes
           : name == kDurations ? &durations
                                : nullptr;
  }
};

namespace {

std::vector<PathFact> fact_rewrites(const RunFacts& facts) {
  std::vector<std::pair<std::string, std::string>> paths;  // path, placeholder
  auto add = [&paths](std::string path, const char* placeholder) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path.empty() || path == "/") return;
    for (const auto& [known, unused] : paths) {
      if (known == path) return;  // cwd == home: the first (more specific) name wins
    }
    paths.emplace_back(std::move(path), placeholder);
  };
  add(facts.cwd, "<CWD>");
  add(facts.home, "<HOME>");
  add(facts.tmpdir, "<TMP>");
  std::stable_sort(paths.begin(), paths.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::vector<PathFact> facts_out;
  for (auto& [path, placeholder] : paths) facts_out.push_back({path, placeholder});
  return facts_out;
}

}  // namespace

Normalizer::Normalizer(const NormalizerOptions& options, RunFacts recorded, RunFacts current)
    : impl_(std::make_unique<Impl>()) {
  ParsedRules parsed;
  if (options.rules_file) parse_rules_file(*options.rules_file, parsed);
  Impl& impl = *impl_;
  impl.progress = options.terminal;
  for (const auto& name : options.enabled) {
    parsed.rules.push_back({name, "--normalize " + name});
  }
  for (const auto& name : options.disabled) {
    parsed.disabled.push_back({name, "--no-normalize " + name});
  }
  for (const auto& rule : options.rules) {
    parsed.rules.push_back({rule, "--normalize '" + rule + "'"});
  }
  for (const auto& rule : options.ignore_lines) {
    parsed.ignore_lines.push_back({rule, "--ignore-lines '" + rule + "'"});
  }

  // A rule that is a built-in's name alone turns that built-in on (a regex rule needs "=>");
  // a name in `enabled` that is not a built-in fails below like a rule without "=>".
  std::vector<UserRule> regex_rules;
  for (auto& rule : parsed.rules) {
    bool* flag = impl.builtin_flag(rule.text);
    if (flag != nullptr) {
      *flag = true;
    } else {
      regex_rules.push_back(std::move(rule));
    }
  }
  parsed.rules = std::move(regex_rules);
  for (const auto& name : parsed.disabled) {
    bool* flag = impl.builtin_flag(name.text);
    if (flag == nullptr) {
      std::string known;
      for (const auto& [builtin_name, unused] : builtin_table()) {
        known += (known.empty() ? "" : ", ") + builtin_name;
      }
      throw ctrecord::UsageError(name.origin + ": unknown normaliser '" + name.text +
                                 "' (known: " + known + ")");
    }
    *flag = false;
  }

  const RE2::Options options_bytes = byte_options();
  for (const auto& rule : parsed.rules) {
    // Split at the last "=>": a regex may contain "=>" (output like "a => b"), a replacement
    // cannot.
    const auto arrow = rule.text.rfind("=>");
    if (arrow == std::string::npos) {
      throw ctrecord::UsageError(rule.origin +
                                 ": expected REGEX=>REPLACEMENT (or a built-in's name alone, "
                                 "to turn it on)");
    }
    const std::string pattern = rule.text.substr(0, arrow);
    Rewrite rewrite{compile_user_regex(pattern, rule.origin, options_bytes),
                    rule.text.substr(arrow + 2)};
    std::string error;
    if (!rewrite.re->CheckRewriteString(rewrite.replacement, &error)) {
      throw ctrecord::UsageError(rule.origin + ": bad replacement '" + rewrite.replacement +
                                 "': " + error);
    }
    impl.user_rewrites.push_back(std::move(rewrite));
    impl.user_rule_names.push_back("normalize " + rule.text);
  }

  if (!parsed.ignore_lines.empty()) {
    RE2::Options line_options = options_bytes;
    line_options.set_never_nl(true);  // a match never spans lines
    std::string combined;
    for (const auto& rule : parsed.ignore_lines) {
      compile_user_regex(rule.text, rule.origin, line_options);  // names the bad rule
      combined += (combined.empty() ? "" : "|") + ("(?:" + rule.text + ")");
      impl.ignore_rule_names.push_back("ignore-lines " + rule.text);
    }
    impl.ignore = compile_user_regex(combined, "--ignore-lines (combined)", line_options);
  }

  if (impl.paths) {
    impl.recorded_paths = fact_rewrites(recorded);
    impl.current_paths = fact_rewrites(current);
    // After the facts: the temp dir may already read <TMP>; /tmp and /var/tmp are the usual
    // defaults when $TMPDIR was not recorded or differs.
    const std::string temp_root = R"((?:<TMP>|\B/tmp|\B/var/tmp))";
    impl.temp_names.add(temp_root + R"(/pytest-of-[^/\s]+/pytest-(?:\d+|current)\b)", "<TMP>");
    // Python tempfile: "tmp" (or any PREFIX ending in - _ .) + 8 of [a-z0-9_], e.g.
    // mkstemp(prefix="report-"); mktemp: "tmp." + 6-12 alphanumerics.
    impl.temp_names
        .add(temp_root + R"(/tmp(?:[a-z0-9_]{8}|\.[A-Za-z0-9]{6,12})\b)", "<TMP>/<TMPNAME>")
        .add(temp_root + R"(/[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*[-_.][a-z0-9_]{8}\b)",
             "<TMP>/<TMPNAME>")
        .require_any_of({"/tmp", "<TMP>/", "pytest-of-"})
        .compile();
  }
  if (impl.hex) {
    impl.hex_addresses.add(R"(\b0x[0-9a-fA-F]{6,}\b)", "0x<ADDR>")
        .add(R"(( at 0x)[0-9a-fA-F]{1,5}>)", R"(\1<ADDR>>)")
        .require_any_of({"0x"})
        .compile();
  }
  if (impl.datetimes) {
    const std::string day = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
    const std::string month = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    const std::string ymd = R"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))";
    const std::string hms = R"((?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?)";
    const std::string zone = R"((?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d|\s?(?:UTC|GMT)\b)?)";
    // ISO 8601 / RFC 3339: 2026-11-26T15:33:12.123+01:00, 2026-11-26 15:33:12Z.
    impl.datetime_parts.add(R"(\b)" + ymd + "[T ]" + hms + zone + R"(\b)", "<DATETIME>");
    // RFC 2822 / 1123: Thu, 26 Nov 2026 15:33:12 +0000 (weekday optional).
    impl.datetime_parts.add(R"(\b(?:)" + day + R"(, )?\d{1,2} )" + month +
                                R"( \d{4} \d\d:\d\d(?::\d\d)?)" +
                                R"( (?:[+-]\d{4}|UT|GMT|UTC|[A-Z]{3})\b)",
                            "<DATETIME>");
    // ctime / date(1): Thu Nov 26 15:33:12 2026, Thu Nov 26 15:33:12 UTC 2026.
    impl.datetime_parts.add(
        R"(\b)" + day + " " + month + R"( [ \d]\d \d\d:\d\d:\d\d(?: [A-Z]{3,5})? \d{4}\b)",
        "<DATETIME>");
    impl.datetime_parts.add(R"(\b)" + ymd + R"(\b)", "<DATE>");
    // Times of day need a two-digit hour; H:MM:SS is left to durations (0:00:01.234).
    impl.datetime_parts.add(R"(\b(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:[.,]\d+)?\b)", "<TIME>");
    impl.datetime_parts.require_any_of({":", "-"}).compile();
  }
  if (impl.durations) {
    // Not after a word character, '.' or another number part, so versions (v1.2s, 1.2.3s)
    // and identifiers stay; the unit must end the word ("3 sheep" stays).
    const std::string number = R"(\d+(?:\.\d+)?)";
    const std::string unit =
        "(?:s|sec|secs|seconds?|ms|msecs?|milliseconds?|us|\xC2\xB5s|\xCE\xBCs|microseconds?|"
        "ns|nanoseconds?|min|mins|minutes?)";
    impl.duration_parts.add(R"((^|[^\w.])(?:\d+h ?)?(?:\d+m ?)?)" + number + " ?" + unit + R"(\b)",
                            "\\1<DURATION>");
    impl.duration_parts.add(R"((^|[^\w.])\d+h ?\d+m\b)", "\\1<DURATION>");
    impl.duration_parts.add(R"((^|[^\w.:])\d{1,3}:[0-5]\d:[0-5]\d(?:\.\d+)?\b)", "\\1<DURATION>");
    impl.duration_parts.compile();
  }
}

Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;
Normalizer& Normalizer::operator=(Normalizer&&) noexcept = default;

void Normalizer::Impl::drop_ignored_lines(std::string& text) const {
  // One search over the whole buffer: matches never contain '\n' (never_nl), so each match
  // lies in one line; drop that line and search on from the next. Every byte is scanned a
  // bounded number of times.
  std::string out;
  const re2::StringPiece whole(text);
  std::size_t pos = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    re2::StringPiece match;
    if (!ignore->Match(whole, pos, size, RE2::UNANCHORED, &match, 1)) break;
    const auto at = static_cast<std::size_t>(match.data() - text.data());
    if (at == size && text[size - 1] == '\n') break;  // the empty "line" after the last \n
    std::size_t line_start = at;
    while (line_start > pos && text[line_start - 1] != '\n') --line_start;
    const auto newline = text.find('\n', at);
    const auto line_end = newline == std::string::npos ? size : newline + 1;
    if (out.empty() && pos == 0) out.reserve(size);
    out.append(text, pos, line_start - pos);
    pos = line_end;
  }
  if (pos == 0) return;  // nothing dropped
  out.append(text, pos, std::string::npos);
  text.swap(out);
}

std::string Normalizer::apply(std::string_view bytes, Side side) const {
  const Impl& impl = *impl_;
  std::string text = impl.ansi ? strip_ansi(bytes) : std::string(bytes);
  if (impl.progress) text = collapse_carriage_returns(text);
  if (impl.crlf) replace_crlf(text);
  if (impl.ignore) impl.drop_ignored_lines(text);
  apply_rewrites(impl.user_rewrites, text);
  if (impl.paths) {
    for (const auto& fact : side == Side::Recorded ? impl.recorded_paths : impl.current_paths) {
      fact.apply(text);
    }
    impl.temp_names.apply(text);
  }
  if (impl.hex) impl.hex_addresses.apply(text);
  if (impl.datetimes) impl.datetime_parts.apply(text);
  if (impl.durations) impl.duration_parts.apply(text);
  return text;
}

std::vector<std::string> Normalizer::active() const {
  const Impl& impl = *impl_;
  std::vector<std::string> names;
  if (impl.ansi) names.emplace_back(kAnsi);
  if (impl.progress) names.emplace_back(kProgress);
  if (impl.crlf) names.emplace_back(kCrlf);
  names.insert(names.end(), impl.ignore_rule_names.begin(), impl.ignore_rule_names.end());
  names.insert(names.end(), impl.user_rule_names.begin(), impl.user_rule_names.end());
  if (impl.paths) names.emplace_back(kPaths);
  if (impl.hex) names.emplace_back(kHex);
  if (impl.datetimes) names.emplace_back(kDatetimes);
  if (impl.durations) names.emplace_back(kDurations);
  return names;
}

std::vector<std::pair<std::string, std::string>> Normalizer::builtins() {
  return builtin_table();
}

}  // namespace ctreplay
