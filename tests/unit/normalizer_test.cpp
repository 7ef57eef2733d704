// Normalizer: each built-in (what it rewrites and what it must leave alone), both sides'
// paths, user rules, ignore-lines, the rules file and its errors, bytes that are not UTF-8.
#include "ctreplay/normalizer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "ctrecord/errors.hpp"
#include "ctreplay/replay_run.hpp"

using ctreplay::Normalizer;
using ctreplay::NormalizerOptions;
using ctreplay::RunFacts;
using ctreplay::Side;

namespace {

const RunFacts kRecorded{"/home/ann/src/proj", "/home/ann", "/tmp"};
const RunFacts kCurrent{"/builds/ci-42/proj", "/root", "/var/tmp/ci"};

Normalizer make(NormalizerOptions options = {}) {
  return Normalizer(options, kRecorded, kCurrent);
}

std::string rec(const Normalizer& n, std::string_view text) {
  return n.apply(text, Side::Recorded);
}

// Only the named built-in on, so each test sees one normaliser's effect.
Normalizer only(const std::string& name, NormalizerOptions options = {}) {
  for (const auto& [builtin, description] : Normalizer::builtins()) {
    if (builtin != name) options.disabled.push_back(builtin);
  }
  return make(options);
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/normalizer_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string usage_error(const NormalizerOptions& options) {
  try {
    make(options);
  } catch (const ctrecord::UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

}  // namespace

TEST(NormalizerBuiltins, NamesAreShortLowercaseHyphenatedAndInOrder) {
  std::vector<std::string> names;
  for (const auto& [name, description] : Normalizer::builtins()) {
    names.push_back(name);
    EXPECT_FALSE(description.empty());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string::npos);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ansi", "progress", "crlf", "paths", "hex-addresses",
                                             "datetimes", "durations"}));
  // ansi and progress are off by default (progress is on for terminal recordings).
  EXPECT_EQ(make().active(), std::vector<std::string>(names.begin() + 2, names.end()));
}

TEST(NormalizerTerminal, ProgressIsOnForTerminalRecordingsOnly) {
  EXPECT_EQ(rec(make(), "1%\r2%\n"), "1%\r2%\n");
  const auto n = make({.terminal = true});
  EXPECT_EQ(rec(n, "1%\r2%\n"), "2%\n");
  EXPECT_EQ(n.active().front(), "progress");
  EXPECT_EQ(rec(make({.disabled = {"progress"}, .terminal = true}), "1%\r2%\n"), "1%\r2%\n");
}

TEST(NormalizerTerminal, ProgressFollowsEitherTracesTerminalEvent) {
  ctreplay::LoadedTrace pipe;
  ctreplay::LoadedTrace pty;
  pty.terminal = ctrecord::TerminalEvent{.mode = "pty", .merged = true, .rows = 24, .cols = 80};
  EXPECT_FALSE(ctreplay::normalizer_options_for({}, pipe, pipe).terminal);
  EXPECT_TRUE(ctreplay::normalizer_options_for({}, pty, pipe).terminal);
  EXPECT_TRUE(ctreplay::normalizer_options_for({}, pipe, pty).terminal);
  const auto options = ctreplay::normalizer_options_for({.disabled = {"progress"}}, pty, pty);
  EXPECT_EQ(rec(make(options), "1%\r2%\n"), "1%\r2%\n");
}

TEST(NormalizerTerminal, NamingADefaultOffBuiltinTurnsItOn) {
  const auto n = make({.rules = {"progress"}});
  EXPECT_EQ(rec(n, "1%\r2%\n"), "2%\n");
  EXPECT_EQ(n.active().front(), "progress");  // a built-in, not a user rule "normalize progress"
  EXPECT_EQ(rec(make({.enabled = {"ansi"}}), "\x1b[31mred\x1b[0m\n"), "red\n");
  EXPECT_EQ(rec(make(), "\x1b[31mred\x1b[0m\n"), "\x1b[31mred\x1b[0m\n");
  // Turning off wins (--ansi=keep over a rules file's "normalize ansi").
  EXPECT_EQ(rec(make({.enabled = {"ansi"}, .disabled = {"ansi"}}), "\x1b[1mx"), "\x1b[1mx");
  const TempFile file("normalize ansi\nnormalize progress\n");
  EXPECT_EQ(make({.rules_file = file.path()}).active().at(1), "progress");
  EXPECT_NE(usage_error({.enabled = {"colour"}}).find("--normalize colour: expected"),
            std::string::npos);
}

TEST(NormalizerTerminal, PtyOutputOrderAnsiThenProgressThenCrlf) {
  // Bracketed paste, coloured progress frames, ONLCR line ends: the final text with LF.
  const auto n = make({.enabled = {"ansi"}, .terminal = true});
  EXPECT_EQ(n.active(), (std::vector<std::string>{"ansi", "progress", "crlf", "paths",
                                                  "hex-addresses", "datetimes", "durations"}));
  EXPECT_EQ(rec(n,
                "\x1b[?2004h$ run\r\n\x1b[?2004l\r\x1b[36m 10%\x1b[0m\r\x1b[36m100%\x1b[0m"
                "\r\r\nok\r\n"),
            "$ run\n100%\nok\n");
  // Keeping escapes: a frame's colour goes with its text, so frame counts do not matter.
  const auto keep = make({.terminal = true});
  EXPECT_EQ(rec(keep, "\x1b[32m1/3\x1b[0m\r\x1b[32m3/3\x1b[0m\r\n"),
            rec(keep, "\x1b[32m3/3\x1b[0m\r\n"));
  // ignore-lines and user rules see the stripped, collapsed text.
  const auto ignore = make({.enabled = {"ansi"}, .ignore_lines = {"^WARN"}, .terminal = true});
  EXPECT_EQ(rec(ignore, "\x1b[33mWARN\x1b[0m x\r\nok\r\n"), "ok\n");
}

TEST(NormalizerCrlf, CrlfBecomesLfLoneCrStays) {
  const auto n = only("crlf");
  EXPECT_EQ(rec(n, "a\r\nb\r\n"), "a\nb\n");
  EXPECT_EQ(rec(n, "progress 10%\rprogress 20%\r\n"), "progress 10%\rprogress 20%\n");
  EXPECT_EQ(rec(n, "\r\r\n\r"), "\r\n\r");
  EXPECT_EQ(rec(n, ""), "");
}

TEST(NormalizerCrlf, CanBeTurnedOff) {
  const auto n = make({.disabled = {"crlf"}});
  EXPECT_EQ(rec(n, "a\r\n"), "a\r\n");
}

TEST(NormalizerPaths, BothSidesDifferentDirsNormaliseEqual) {
  const auto n = only("paths");
  const std::string recorded =
      "cwd /home/ann/src/proj/tests/test_a.py\nhome /home/ann/.cache\ntmp /tmp/x.log\n";
  const std::string current =
      "cwd /builds/ci-42/proj/tests/test_a.py\nhome /root/.cache\ntmp /var/tmp/ci/x.log\n";
  const std::string expected = "cwd <CWD>/tests/test_a.py\nhome <HOME>/.cache\ntmp <TMP>/x.log\n";
  EXPECT_EQ(n.apply(recorded, Side::Recorded), expected);
  EXPECT_EQ(n.apply(current, Side::Current), expected);
  // Each side only knows its own paths.
  EXPECT_EQ(n.apply(current, Side::Recorded),
            "cwd /builds/ci-42/proj/tests/test_a.py\n"
            "home /root/.cache\ntmp /var/tmp/ci/x.log\n");
}

TEST(NormalizerPaths, LongestFirstAndOnlyWholeNames) {
  const auto n = only("paths");
  EXPECT_EQ(rec(n, "/home/ann/src/proj"), "<CWD>");
  EXPECT_EQ(rec(n, "/home/ann/src/project"), "<HOME>/src/project");
  EXPECT_EQ(rec(n, "/home/annie/x"), "/home/annie/x");
  EXPECT_EQ(rec(n, "/data/tmp/x /tmpfoo"), "/data/tmp/x /tmpfoo");
  EXPECT_EQ(rec(n, "in /home/ann/src/proj."), "in <CWD>.");
  EXPECT_EQ(rec(n, "file:///tmp/a:'/tmp'"), "file://<TMP>/a:'<TMP>'");
}

TEST(NormalizerPaths, EmptyOrRootFactsAreIgnoredTrailingSlashStripped) {
  const Normalizer n({}, RunFacts{"/", "", "/var/folders/T/"}, RunFacts{});
  EXPECT_EQ(n.apply("/ and /usr/bin /var/folders/T/x", Side::Recorded), "/ and /usr/bin <TMP>/x");
  EXPECT_EQ(n.apply("/usr/bin", Side::Current), "/usr/bin");
}

TEST(NormalizerPaths, PytestAndTempfileDirs) {
  const auto n = only("paths");
  EXPECT_EQ(rec(n, "/tmp/pytest-of-ann/pytest-12/test_io0/out.txt"), "<TMP>/test_io0/out.txt");
  EXPECT_EQ(n.apply("/var/tmp/ci/pytest-of-root/pytest-3/test_io0/out.txt", Side::Current),
            "<TMP>/test_io0/out.txt");
  // Not the recorded TMPDIR, but the usual default.
  EXPECT_EQ(n.apply("/tmp/pytest-of-root/pytest-current/x", Side::Current), "<TMP>/x");
  EXPECT_EQ(rec(n, "/tmp/tmpab12_x9z/data"), "<TMP>/<TMPNAME>/data");
  EXPECT_EQ(rec(n, "/tmp/tmpq0f9zz1u.txt"), "<TMP>/<TMPNAME>.txt");
  EXPECT_EQ(rec(n, "/tmp/tmp.Xy3kQ9aZ0b"), "<TMP>/<TMPNAME>");
  // Ordinary words stay: too short, too long, not in a temp dir.
  EXPECT_EQ(rec(n, "/tmp/tmpdirectory /tmp/tmp_file"), "<TMP>/tmpdirectory <TMP>/tmp_file");
  EXPECT_EQ(rec(n, "tmpab12_x9z tmpfiles and pytest-of-ann"),
            "tmpab12_x9z tmpfiles and pytest-of-ann");
}

TEST(NormalizerDurations, Rewritten) {
  const auto n = only("durations");
  EXPECT_EQ(rec(n, "===== 3 passed in 0.12s ====="), "===== 3 passed in <DURATION> =====");
  EXPECT_EQ(rec(n, "Ran 5 tests in 0.001s\n"), "Ran 5 tests in <DURATION>\n");
  EXPECT_EQ(rec(n, "took 1.5 s, 15 ms, 15ms"), "took <DURATION>, <DURATION>, <DURATION>");
  EXPECT_EQ(rec(n, "done in 3.2 seconds."), "done in <DURATION>.");
  EXPECT_EQ(rec(n, "elapsed 0:00:01.234 total"), "elapsed <DURATION> total");
  EXPECT_EQ(rec(n, "123us 4\xC2\xB5s 5\xCE\xBCs 7ns"),
            "<DURATION> <DURATION> <DURATION> <DURATION>");
  EXPECT_EQ(rec(n, "2m3s 1h2m3.5s 1h 30m"), "<DURATION> <DURATION> <DURATION>");
  EXPECT_EQ(rec(n, "ok  \tpkg\t0.123s\n(5 min)"), "ok  \tpkg\t<DURATION>\n(<DURATION>)");
  EXPECT_EQ(rec(n, "time=0.5s;"), "time=<DURATION>;");
}

TEST(NormalizerDurations, LeftAlone) {
  const auto n = only("durations");
  // Versions and identifiers: the number is glued to a word or another number part.
  EXPECT_EQ(rec(n, "python v1.2s 1.2.3s x86s abc12ms"), "python v1.2s 1.2.3s x86s abc12ms");
  // The unit must end the word.
  EXPECT_EQ(rec(n, "3 sheep, 15 msgs, 2 minions, 4 m"), "3 sheep, 15 msgs, 2 minions, 4 m");
  EXPECT_EQ(rec(n, "no numbers here, seconds"), "no numbers here, seconds");
}

TEST(NormalizerDurations, BareNumberWithSecondsIsADurationEvenInProse) {
  // Decision (docs/normalizers.md): "1.2s" after a space is a duration; only a version glued
  // to a word (v1.2s) or with more dots (1.2.3s) is not.
  EXPECT_EQ(rec(only("durations"), "release 1.2s is out"), "release <DURATION> is out");
  EXPECT_EQ(rec(only("durations"), "the 1990s; 2m alone; 1h"), "the <DURATION>; 2m alone; 1h");
}

TEST(NormalizerDatetimes, Rewritten) {
  const auto n = only("datetimes");
  EXPECT_EQ(rec(n, "at 2026-11-26T15:33:12Z."), "at <DATETIME>.");
  EXPECT_EQ(rec(n, "2026-11-26T15:33:12.123456+01:00 x"), "<DATETIME> x");
  EXPECT_EQ(rec(n, "2026-11-26 15:33:12,123 INFO"), "<DATETIME> INFO");
  EXPECT_EQ(rec(n, "2026-11-26T15:33"), "<DATETIME>");
  EXPECT_EQ(rec(n, "Date: Thu, 26 Nov 2026 15:33:12 +0000\n"), "Date: <DATETIME>\n");
  EXPECT_EQ(rec(n, "Thu, 26 Nov 2026 15:33:12 GMT"), "<DATETIME>");
  EXPECT_EQ(rec(n, "Thu Nov 26 15:33:12 UTC 2026"), "<DATETIME>");
  EXPECT_EQ(rec(n, "Thu Nov  6 15:33:12 2026"), "<DATETIME>");
  EXPECT_EQ(rec(n, "on 2026-11-26: ok"), "on <DATE>: ok");
  EXPECT_EQ(rec(n, "[15:33:12] [15:33:12.123]"), "[<TIME>] [<TIME>]");
}

TEST(NormalizerDatetimes, LeftAlone) {
  const auto n = only("datetimes");
  EXPECT_EQ(rec(n, "id 1234-56-78 v2026-11-26 25:61:00 1:2:3 12:34"),
            "id 1234-56-78 v2026-11-26 25:61:00 1:2:3 12:34");
  EXPECT_EQ(rec(n, "Mon, 99 Foo 2026"), "Mon, 99 Foo 2026");
}

TEST(NormalizerHexAddresses, Rewritten) {
  const auto n = only("hex-addresses");
  EXPECT_EQ(rec(n, "ptr=0x7ffd1234abcd end"), "ptr=0x<ADDR> end");
  EXPECT_EQ(rec(n, "<Foo object at 0x7f3a2b1c9d00>"), "<Foo object at 0x<ADDR>>");
  EXPECT_EQ(rec(n, "<function f at 0x1f2e>"), "<function f at 0x<ADDR>>");
  EXPECT_EQ(rec(n, "0xABCDEF"), "0x<ADDR>");
}

TEST(NormalizerHexAddresses, LeftAlone) {
  const auto n = only("hex-addresses");
  EXPECT_EQ(rec(n, "flags 0x1f 0x1234 x0x123456 0x123456g"),
            "flags 0x1f 0x1234 x0x123456 0x123456g");
}

TEST(NormalizerOrder, AllBuiltinsTogetherBothSidesEqual) {
  const auto n = make();
  const std::string recorded =
      "2026-11-26T15:33:12Z start in /home/ann/src/proj\r\n"
      "<Obj at 0x7f0000001000> wrote /tmp/pytest-of-ann/pytest-7/t0/a.txt\r\n"
      "1 passed in 0.12s\r\n";
  const std::string current =
      "2026-11-27T01:02:03Z start in /builds/ci-42/proj\n"
      "<Obj at 0x55aa00002000> wrote /var/tmp/ci/pytest-of-root/pytest-1/t0/a.txt\n"
      "1 passed in 3.04s\n";
  EXPECT_EQ(n.apply(recorded, Side::Recorded), n.apply(current, Side::Current));
  EXPECT_EQ(n.apply(current, Side::Current),
            "<DATETIME> start in <CWD>\n<Obj at 0x<ADDR>> wrote <TMP>/t0/a.txt\n"
            "1 passed in <DURATION>\n");
}

TEST(NormalizerUserRules, RewriteWithGroupsAndMultilineAnchors) {
  const auto n = make({.rules = {R"(^build (\w+)-\d+$=>build \1-N)", "seed=\\d+=>seed=S"}});
  EXPECT_EQ(rec(n, "build foo-123\nbuild bar-9\nx seed=42\n"),
            "build foo-N\nbuild bar-N\nx seed=S\n");
  EXPECT_EQ(n.active(),
            (std::vector<std::string>{"crlf", "normalize ^build (\\w+)-\\d+$=>build \\1-N",
                                      "normalize seed=\\d+=>seed=S", "paths", "hex-addresses",
                                      "datetimes", "durations"}));
}

TEST(NormalizerUserRules, SplitAtTheLastArrowEmptyReplacementDeletes) {
  const auto n = make({.rules = {"a => b=>X", " +$=>"}});
  EXPECT_EQ(rec(n, "a => b  \nc   \n"), "X\nc\n");
}

TEST(NormalizerUserRules, SeeRawTextBeforeBuiltins) {
  // The rule is written against what the program printed, not against placeholders.
  const auto n = make({.rules = {R"(took [\d.]+s=>took T)"}});
  EXPECT_EQ(rec(n, "took 0.5s\n"), "took T\n");
}

TEST(NormalizerUserRules, BadRulesAreUsageErrorsNamingTheRule) {
  EXPECT_EQ(usage_error({.rules = {"(x=>y"}}),
            "--normalize '(x=>y': bad regex '(x': missing ): (x");
  EXPECT_NE(usage_error({.rules = {"no arrow"}}).find("expected REGEX=>REPLACEMENT"),
            std::string::npos);
  EXPECT_NE(usage_error({.rules = {"=>x"}}).find("empty regex"), std::string::npos);
  EXPECT_NE(usage_error({.rules = {"(a)=>\\2"}}).find("bad replacement"), std::string::npos);
  EXPECT_NE(usage_error({.ignore_lines = {"[z-a]"}}).find("--ignore-lines '[z-a]'"),
            std::string::npos);
}

TEST(NormalizerUserRules, UnknownNoNormalizeNameIsUsageError) {
  const auto message = usage_error({.disabled = {"timestamps"}});
  EXPECT_NE(message.find("--no-normalize timestamps"), std::string::npos) << message;
  EXPECT_NE(message.find("known: ansi, progress, crlf, paths"), std::string::npos) << message;
}

TEST(NormalizerIgnoreLines, DropsWholeLinesIncludingNewline) {
  const auto n = make({.ignore_lines = {"^Downloading", "warning: .*deprecated"}});
  EXPECT_EQ(rec(n, "Downloading a\nkeep 1\nx warning: foo deprecated\nkeep 2\nDownloading b"),
            "keep 1\nkeep 2\n");
  EXPECT_EQ(rec(n, "Downloading\nDownloading\n"), "");
  EXPECT_EQ(rec(n, "nothing\n"), "nothing\n");
  EXPECT_EQ(n.active()[1], "ignore-lines ^Downloading");
}

TEST(NormalizerIgnoreLines, AfterCrlfAndNeverAcrossLines) {
  // \s and [^x] cannot swallow a newline, so one match drops exactly one line.
  const auto n = make({.ignore_lines = {R"(a\sb)", "^c[^x]*d$", "^$"}});
  EXPECT_EQ(rec(n, "a\nb\nc\r\nd\n\nc--d\r\nend"), "a\nb\nc\nd\nend");
}

TEST(NormalizerIgnoreLines, PatternMatchingEmptyDropsEveryLine) {
  const auto n = make({.ignore_lines = {"x*"}});
  EXPECT_EQ(rec(n, "a\nb\n"), "");
}

TEST(NormalizerRulesFile, ParsesRulesCommentsBlankLines) {
  const TempFile file(
      "# rules for this project\n"
      "\n"
      "   \t\n"
      "normalize build-\\d+=>build-N\r\n"
      "  ignore-lines   ^DEBUG  \n"
      "no-normalize durations\n"
      "normalize #\\d+=>#N\n");
  const auto n = make({.rules = {"z=>Z"}, .rules_file = file.path()});
  EXPECT_EQ(rec(n, "DEBUG x\nbuild-12 #3 z 0.5s\n"), "build-N #N Z 0.5s\n");
  EXPECT_EQ(n.active(),
            (std::vector<std::string>{"crlf", "ignore-lines ^DEBUG",
                                      "normalize build-\\d+=>build-N", "normalize #\\d+=>#N",
                                      "normalize z=>Z", "paths", "hex-addresses", "datetimes"}));
}

TEST(NormalizerRulesFile, ErrorsNameFileAndLine) {
  const TempFile unknown("# ok\nnormalize a=>b\nreplace a=>b\n");
  auto message = usage_error({.rules_file = unknown.path()});
  EXPECT_NE(message.find(unknown.path() + ":3: unknown rule 'replace'"), std::string::npos)
      << message;

  const TempFile bad_regex("\nignore-lines (x\n");
  message = usage_error({.rules_file = bad_regex.path()});
  EXPECT_NE(message.find(bad_regex.path() + ":2: ignore-lines (x: bad regex"), std::string::npos)
      << message;

  const TempFile bad_name("no-normalize dates\n");
  message = usage_error({.rules_file = bad_name.path()});
  EXPECT_NE(message.find(bad_name.path() + ":1: no-normalize dates"), std::string::npos) << message;

  const TempFile no_argument("normalize\n");
  message = usage_error({.rules_file = no_argument.path()});
  EXPECT_NE(message.find(":1: 'normalize' needs an argument"), std::string::npos) << message;

  const TempFile no_arrow("normalize abc\n");
  message = usage_error({.rules_file = no_arrow.path()});
  EXPECT_NE(message.find(":1: normalize abc: expected REGEX=>REPLACEMENT"), std::string::npos)
      << message;
}

TEST(NormalizerRulesFile, MissingFileIsEnvironmentError) {
  EXPECT_THROW(make({.rules_file = "/nonexistent/dir/.ctest-replay"}), ctrecord::EnvironmentError);
}

TEST(NormalizerBytes, PatternsAreBytesInLatin1Mode) {
  // \xff in a pattern is the byte 0xff; a UTF-8 character matches its bytes in sequence.
  const auto n = make({.rules = {R"(\xff+=>FF)", "caf\xC3\xA9=>cafe"}});
  EXPECT_EQ(rec(n,
                "a\xff\xff\xff"
                "b caf\xC3\xA9"),
            "aFFb cafe");
}

TEST(NormalizerBytes, BinaryInputSurvivesWhereNoRuleMatches) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>((i * 7) & 0xff));
  binary += std::string("\0\xff\xfe\x80 \xc3(", 7);
  const auto n = make({.rules = {"nomatch=>x"}, .ignore_lines = {"^nomatch$"}});
  EXPECT_EQ(rec(n, binary), binary);
  EXPECT_EQ(n.apply(binary, Side::Current), binary);
}

TEST(NormalizerBytes, RulesMatchBytesAroundInvalidUtf8AndNul) {
  const auto n = make({.rules = {"id=[^ ]+=>id=X"}, .ignore_lines = {"^drop"}});
  const std::string input("id=\xff\x00\xfe end 0.5s\xff\ndrop\x00\xff\n\xc3\n", 26);
  EXPECT_EQ(rec(n, input), std::string("id=X end <DURATION>\xff\n\xc3\n", 23));
}

TEST(NormalizerPerformance, PathologicalRegexCompletesOnLongInput) {
  // (a+)+$ and (a|aa)*c are exponential for a backtracking engine; RE2 is linear.
  const auto n = make({.rules = {"(a+)+$=>X", "(a|aa)*c=>Y"}, .ignore_lines = {"(a*)*b"}});
  const std::string input = std::string(200000, 'a') + "!\n";
  EXPECT_EQ(rec(n, input), input);
}

TEST(NormalizerPerformance, LargeInputAllBuiltins) {
  // 50 MiB of test-runner-like output; correctness here, speed in the benchmark.
  const std::string line =
      "tests/test_a.py::test_x PASSED in 0.12s at 15:33:12 /home/ann/src/proj/a 0x7ffd1234abcd\n";
  std::string input;
  input.reserve(50u << 20);
  while (input.size() < (50u << 20)) input += line;
  const auto n = make({.ignore_lines = {"^never here$"}});
  const auto out = rec(n, input);
  const std::string expected_line =
      "tests/test_a.py::test_x PASSED in <DURATION> at <TIME> <CWD>/a 0x<ADDR>\n";
  ASSERT_EQ(out.size(), input.size() / line.size() * expected_line.size());
  EXPECT_EQ(out.substr(0, expected_line.size()), expected_line);
  EXPECT_EQ(out.substr(out.size() - expected_line.size()), expected_line);
}
