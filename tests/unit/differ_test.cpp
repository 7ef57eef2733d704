// Tests of the replay differ: unified diffs of text, hex dumps of binary data, first
// divergence, the output cap, colours, and two large streams that differ in one line.
#include "ctreplay/differ.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using ctreplay::compare_stream;
using ctreplay::DiffOptions;

std::string numbered_lines(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

TEST(Differ, EqualInputsAreSame) {
  const auto result = compare_stream("stdout", "a\nb\n", "a\nb\n");
  EXPECT_EQ(result.stream, "stdout");
  EXPECT_TRUE(result.same);
  EXPECT_FALSE(result.binary);
  EXPECT_FALSE(result.first.has_value());
  EXPECT_EQ(result.diff, "");
  EXPECT_EQ(result.cut_lines, 0u);
  EXPECT_TRUE(compare_stream("stderr", "", "").same);
  EXPECT_TRUE(compare_stream("stderr", std::string("\0\xff", 2), std::string("\0\xff", 2)).same);
}

TEST(Differ, OneChangedLineWithContext) {
  std::string expected = numbered_lines(1, 10);
  std::string actual = expected;
  actual.replace(actual.find("line 5"), 6, "LINE 5");
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_FALSE(result.same);
  EXPECT_FALSE(result.binary);
  ASSERT_TRUE(result.first.has_value());
  EXPECT_EQ(result.first->byte_offset, expected.find("line 5"));
  EXPECT_EQ(result.first->line, 5u);
  EXPECT_EQ(result.diff,
            "--- recorded/stdout\n"
            "+++ replayed/stdout\n"
            "@@ -2,7 +2,7 @@\n"
            " line 2\n"
            " line 3\n"
            " line 4\n"
            "-line 5\n"
            "+LINE 5\n"
            " line 6\n"
            " line 7\n"
            " line 8\n");
  EXPECT_EQ(result.cut_lines, 0u);
}

TEST(Differ, ContextLinesOption) {
  std::string expected = numbered_lines(1, 10);
  std::string actual = expected;
  actual.replace(actual.find("line 5"), 6, "LINE 5");
  const auto result = compare_stream("stdout", expected, actual, {.context_lines = 1});
  EXPECT_EQ(result.diff,
            "--- recorded/stdout\n+++ replayed/stdout\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n"
            " line 6\n");
  const auto none = compare_stream("stdout", expected, actual, {.context_lines = 0});
  EXPECT_EQ(none.diff,
            "--- recorded/stdout\n+++ replayed/stdout\n@@ -5,1 +5,1 @@\n-line 5\n+LINE 5\n");
}

TEST(Differ, InsertionsDeletionsAndSeparateHunks) {
  const std::string expected = numbered_lines(1, 30);
  std::string actual = numbered_lines(1, 30);
  actual.erase(actual.find("line 3\n"), 7);                   // delete line 3
  actual.insert(actual.find("line 25\n"), "new a\nnew b\n");  // insert before 25
  const auto result = compare_stream("stderr", expected, actual);
  EXPECT_EQ(result.diff,
            "--- recorded/stderr\n"
            "+++ replayed/stderr\n"
            "@@ -1,6 +1,5 @@\n"
            " line 1\n"
            " line 2\n"
            "-line 3\n"
            " line 4\n"
            " line 5\n"
            " line 6\n"
            "@@ -22,6 +21,8 @@\n"
            " line 22\n"
            " line 23\n"
            " line 24\n"
            "+new a\n"
            "+new b\n"
            " line 25\n"
            " line 26\n"
            " line 27\n");
  EXPECT_EQ(result.first->line, 3u);
}

TEST(Differ, NearbyChangesShareAHunk) {
  const std::string expected = numbered_lines(1, 12);
  std::string actual = expected;
  actual.replace(actual.find("line 3\n"), 6, "line C");
  actual.replace(actual.find("line 9\n"), 6, "line I");
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_NE(result.diff.find("@@ -1,12 +1,12 @@\n"), std::string::npos) << result.diff;
  EXPECT_EQ(result.diff.find("\n@@", result.diff.find("\n@@") + 1), std::string::npos)
      << result.diff;
}

TEST(Differ, EmptySides) {
  const auto added = compare_stream("stdout", "", "a\nb\n");
  EXPECT_EQ(added.diff, "--- recorded/stdout\n+++ replayed/stdout\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(added.first->byte_offset, 0u);
  EXPECT_EQ(added.first->line, 1u);
  const auto removed = compare_stream("stdout", "a\nb\n", "");
  EXPECT_EQ(removed.diff, "--- recorded/stdout\n+++ replayed/stdout\n@@ -1,2 +0,0 @@\n-a\n-b\n");
}

TEST(Differ, AppendedLinesAtTheEnd) {
  const auto result = compare_stream("stdout", "a\nb\n", "a\nb\nc\n");
  EXPECT_EQ(result.diff, "--- recorded/stdout\n+++ replayed/stdout\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
  EXPECT_EQ(result.first->byte_offset, 4u);
  EXPECT_EQ(result.first->line, 3u);
}

TEST(Differ, MissingFinalNewlineIsShown) {
  const auto result = compare_stream("stdout", "a\nb\n", "a\nb");
  EXPECT_EQ(result.diff,
            "--- recorded/stdout\n+++ replayed/stdout\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n"
            "\\ No newline at end of file\n");
  EXPECT_EQ(result.first->byte_offset, 3u);
  EXPECT_EQ(result.first->line, 2u);
  const auto other = compare_stream("stdout", "x\ny", "x\nz");
  EXPECT_EQ(other.diff,
            "--- recorded/stdout\n+++ replayed/stdout\n@@ -1,2 +1,2 @@\n x\n-y\n"
            "\\ No newline at end of file\n+z\n\\ No newline at end of file\n");
}

TEST(Differ, OutputIsCappedWithACount) {
  const std::string expected = numbered_lines(1, 100);
  const std::string actual = numbered_lines(101, 200);
  const auto result = compare_stream("stdout", expected, actual, {.max_output_lines = 10});
  // 1 hunk header + 100 deletions + 100 insertions = 201 lines, 10 shown.
  EXPECT_EQ(result.cut_lines, 191u);
  std::string shown;
  for (int i = 1; i <= 9; ++i) shown += "-line " + std::to_string(i) + "\n";
  EXPECT_EQ(result.diff, "--- recorded/stdout\n+++ replayed/stdout\n@@ -1,100 +1,100 @@\n" + shown +
                             "... 191 more diff lines cut\n");
}

TEST(Differ, ColourWhenAsked) {
  const auto result = compare_stream("stdout", "a\nb\n", "a\nc\n", {.color = true});
  EXPECT_NE(result.diff.find("\x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n"), std::string::npos) << result.diff;
  EXPECT_NE(result.diff.find("\x1b[31m-b\x1b[0m\n"), std::string::npos);
  EXPECT_NE(result.diff.find("\x1b[32m+c\x1b[0m\n"), std::string::npos);
  EXPECT_NE(result.diff.find(" a\n"), std::string::npos);
  const auto plain = compare_stream("stdout", "a\nb\n", "a\nc\n");
  EXPECT_EQ(plain.diff.find('\x1b'), std::string::npos);
}

TEST(Differ, EscapesAndBareCarriageReturnsAreShownNotRun) {
  const auto result =
      compare_stream("stdout", "\x1b[32mok\x1b[0m\n1%\r2%\nend\r\n", "ok\n2%\nend\r\n");
  EXPECT_FALSE(result.binary);
  EXPECT_NE(result.diff.find("-\\e[32mok\\e[0m\n-1%\\r2%\n+ok\n+2%\n end\\r\n"), std::string::npos)
      << result.diff;
}

TEST(Differ, UnicodeTextIsText) {
  const auto result = compare_stream("stdout", "caf\xc3\xa9\n", "caf\xc3\xa8\n");
  EXPECT_FALSE(result.binary);
  EXPECT_EQ(result.first->byte_offset, 4u);
  EXPECT_NE(result.diff.find("-caf\xc3\xa9\n+caf\xc3\xa8\n"), std::string::npos);
}

TEST(Differ, BinaryGetsAHexDump) {
  std::string expected(100, 'A');
  expected[3] = '\0';
  std::string actual = expected;
  actual[50] = '\xff';
  actual += "tail";
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_FALSE(result.same);
  EXPECT_TRUE(result.binary);
  ASSERT_TRUE(result.first.has_value());
  EXPECT_EQ(result.first->byte_offset, 50u);
  EXPECT_EQ(result.first->line, 1u);
  EXPECT_NE(result.diff.find("differs at byte 50 (0x32): recorded 100 bytes, replayed 104 bytes"),
            std::string::npos)
      << result.diff;
  // Rows 0x10..0x50: 0x30 differs on both sides; others identical, shown once.
  EXPECT_NE(result.diff.find(" 00000010  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  "
                             "|AAAAAAAAAAAAAAAA|\n"),
            std::string::npos)
      << result.diff;
  EXPECT_NE(result.diff.find("-00000030  41 41 41 41 41 41 41 41"), std::string::npos);
  EXPECT_NE(result.diff.find("+00000030  41 41 ff 41 41 41 41 41  41 41 41 41 41 41 41 41  "
                             "|AA.AAAAAAAAAAAAA|\n"),
            std::string::npos)
      << result.diff;
  EXPECT_NE(result.diff.find(" 00000050  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  "
                             "|AAAAAAAAAAAAAAAA|\n"),
            std::string::npos);
  EXPECT_EQ(result.diff.find("00000060"), std::string::npos);  // only 2 rows after
  EXPECT_EQ(result.diff.find("00000000"), std::string::npos);  // only 2 rows before
}

TEST(Differ, InvalidUtf8OnOneSideIsBinary) {
  const auto result = compare_stream("stdout", "abc\n", "ab\xff\n");
  EXPECT_TRUE(result.binary);
  EXPECT_EQ(result.first->byte_offset, 2u);
}

TEST(Differ, ShorterBinarySide) {
  const std::string expected("\0\1\2\3", 4);
  const std::string actual("\0\1", 2);
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_TRUE(result.binary);
  EXPECT_EQ(result.first->byte_offset, 2u);
  EXPECT_NE(result.diff.find("-00000000  00 01 02 03"), std::string::npos) << result.diff;
  EXPECT_NE(result.diff.find("+00000000  00 01   "), std::string::npos) << result.diff;
}

TEST(Differ, LargeStreamsWithOneChangedLine) {
  // Two ~50 MiB streams that differ in one line in the middle.
  std::string expected;
  expected.reserve(52u << 20);
  int lines = 0;
  while (expected.size() < (50u << 20)) {
    expected += "line " + std::to_string(++lines) + " of a long and boring log output\n";
  }
  std::string actual = expected;
  const std::string target = "line " + std::to_string(lines / 2) + " of";
  const std::size_t where = expected.find(target);
  ASSERT_NE(where, std::string::npos);
  actual.replace(where, 4, "LINE");
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_FALSE(result.same);
  EXPECT_FALSE(result.binary);
  ASSERT_TRUE(result.first.has_value());
  EXPECT_EQ(result.first->byte_offset, where);
  EXPECT_EQ(result.first->line, static_cast<std::uint64_t>(lines / 2));
  const std::string n = std::to_string(lines / 2 - 3);
  EXPECT_NE(result.diff.find("@@ -" + n + ",7 +" + n + ",7 @@\n"), std::string::npos)
      << result.diff;
  EXPECT_NE(result.diff.find("\n-" + target), std::string::npos);
  EXPECT_NE(result.diff.find("\n+LINE " + std::to_string(lines / 2) + " of"), std::string::npos);
  EXPECT_EQ(result.cut_lines, 0u);
  EXPECT_LT(result.diff.size(), 1000u);
}

TEST(Differ, CompletelyDifferentLargeStreamsStayBounded) {
  // No common lines at all: the search budget gives up and reports a replacement, still a
  // correct diff (counts add up) and a capped output.
  std::string expected;
  std::string actual;
  for (int i = 0; i < 200000; ++i) {
    expected += "a" + std::to_string(i) + "\n";
    actual += "b" + std::to_string(i) + "\n";
  }
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_EQ(result.cut_lines, 400001u - 200u);
  EXPECT_NE(result.diff.find("@@ -1,200000 +1,200000 @@\n"), std::string::npos);
}

TEST(Differ, MinimalDiffOnInterleavedChanges) {
  const auto result =
      compare_stream("s", "a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", {.context_lines = 0});
  // The classic Myers example: 5 edits.
  std::size_t edits = 0;
  for (std::size_t pos = 0; (pos = result.diff.find('\n', pos)) != std::string::npos; ++pos) {
    if (pos + 1 < result.diff.size() &&
        (result.diff[pos + 1] == '-' || result.diff[pos + 1] == '+') &&
        result.diff.compare(pos + 1, 3, "---") != 0 &&
        result.diff.compare(pos + 1, 3, "+++") != 0) {
      ++edits;
    }
  }
  EXPECT_EQ(edits, 5u) << result.diff;
}

}  // namespace

namespace {

// Applies a unified diff (as compare_stream writes it, uncut) to `expected`.
std::string apply_diff(const std::string& expected, const std::string& diff) {
  std::vector<std::string> old_lines;
  for (std::size_t pos = 0; pos < expected.size();) {
    const std::size_t nl = expected.find('\n', pos);
    const std::size_t end = nl == std::string::npos ? expected.size() : nl + 1;
    old_lines.push_back(expected.substr(pos, end - pos));
    pos = end;
  }
  std::vector<std::string> diff_lines;
  for (std::size_t pos = 0; pos < diff.size();) {
    const std::size_t nl = diff.find('\n', pos);
    diff_lines.push_back(diff.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::string out;
  std::size_t next_old = 0;  // 0-based index of the next old line not yet copied
  for (std::size_t i = 2; i < diff_lines.size(); ++i) {
    const std::string& line = diff_lines[i];
    if (line.rfind("@@ -", 0) == 0) {
      std::size_t start = std::stoul(line.substr(4));
      const std::size_t comma = line.find(',');
      const std::size_t count = std::stoul(line.substr(comma + 1));
      if (count > 0) --start;  // 1-based, or the line before an empty range
      while (next_old < start) out += old_lines[next_old++];
      continue;
    }
    const bool no_newline = i + 1 < diff_lines.size() && diff_lines[i + 1][0] == '\\';
    const std::string text = line.substr(1) + (no_newline ? "" : "\n");
    if (line[0] == ' ') {
      EXPECT_EQ(old_lines[next_old], text);
      out += text;
      ++next_old;
    } else if (line[0] == '-') {
      EXPECT_EQ(old_lines[next_old], text);
      ++next_old;
    } else if (line[0] == '+') {
      out += text;
    }
  }
  while (next_old < old_lines.size()) out += old_lines[next_old++];
  return out;
}

std::size_t edit_count(const std::string& diff) {
  std::size_t edits = 0;
  for (std::size_t pos = 0; pos < diff.size();) {
    const std::size_t nl = diff.find('\n', pos);
    if ((diff[pos] == '-' || diff[pos] == '+') && diff.compare(pos, 4, "--- ") != 0 &&
        diff.compare(pos, 4, "+++ ") != 0) {
      ++edits;
    }
    pos = nl + 1;
  }
  return edits;
}

// Minimal number of line insertions + deletions (LCS by dynamic programming).
std::size_t minimal_edits(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<std::size_t>> lcs(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  return a.size() + b.size() - 2 * lcs[0][0];
}

TEST(Differ, RandomDiffsApplyAndAreMinimal) {
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> a(random() % 12);
    std::vector<std::string> b(random() % 12);
    for (auto& line : a) line = std::string(1, static_cast<char>('a' + random() % 4));
    for (auto& line : b) line = std::string(1, static_cast<char>('a' + random() % 4));
    std::string expected;
    std::string actual;
    for (const auto& line : a) expected += line + "\n";
    for (const auto& line : b) actual += line + "\n";
    if (random() % 4 == 0 && !expected.empty()) expected.pop_back();
    if (random() % 4 == 0 && !actual.empty()) actual.pop_back();
    const int context = static_cast<int>(random() % 4);
    const auto result = compare_stream("s", expected, actual,
                                       {.context_lines = context, .max_output_lines = 100000});
    ASSERT_EQ(result.same, expected == actual);
    if (result.same) continue;
    ASSERT_EQ(apply_diff(expected, result.diff), actual) << "expected:\n"
                                                         << expected << "\nactual:\n"
                                                         << actual << "\ndiff:\n"
                                                         << result.diff;
    const bool newline_change = (!expected.empty() && expected.back() != '\n') ||
                                (!actual.empty() && actual.back() != '\n');
    if (!newline_change) {
      EXPECT_EQ(edit_count(result.diff), minimal_edits(a, b)) << result.diff;
    }
  }
}

}  // namespace

TEST(Differ, ControlCharactersAreShownNotSent) {
  ctreplay::DiffOptions options;
  const auto cmp = ctreplay::compare_stream("stdout", "\x1b[32mok\x1b[0m\r\n",
                                            "\x1b[31mfail\x1b[0m\a\x01\tx\r\n", options);
  EXPECT_FALSE(cmp.same);
  EXPECT_NE(cmp.diff.find("-\\e[32mok\\e[0m\\r\n"), std::string::npos) << cmp.diff;
  EXPECT_NE(cmp.diff.find("+\\e[31mfail\\e[0m\\a\\x01\tx\\r\n"), std::string::npos) << cmp.diff;
  EXPECT_EQ(cmp.diff.find('\x1b'), std::string::npos) << "no raw escape reaches the reader";
}

TEST(Differ, AFloodOfLinesIsStreamedAsOneReplacement) {
  // A replayed command flooding its output (`yes`): more middle lines than the differ tables
  // take. The diff is one hunk replacing the recorded lines, counted exactly, and capped.
  const std::string expected = "hello\nworld\n";
  std::string actual;
  const int lines = 3 << 20;
  actual.reserve(2u * lines);
  for (int i = 0; i < lines; ++i) actual += "y\n";
  const auto result = compare_stream("stdout", expected, actual);
  EXPECT_FALSE(result.same);
  EXPECT_NE(result.diff.find("@@ -1,2 +1," + std::to_string(lines) + " @@\n-hello\n-world\n+y\n"),
            std::string::npos)
      << result.diff.substr(0, 400);
  EXPECT_EQ(result.cut_lines, static_cast<std::uint64_t>(lines + 3) - 200u);
  EXPECT_LT(result.diff.size(), 2000u);
}

TEST(Differ, AFloodAfterCommonLinesKeepsItsContextAndLineNumbers) {
  std::string expected = numbered_lines(1, 10) + "end\n";
  std::string actual = numbered_lines(1, 10);
  for (int i = 0; i < (1 << 20); ++i) actual += "z\n";
  actual += "end\n";
  const auto result = compare_stream("stdout", expected, actual, {.max_output_lines = 6});
  EXPECT_EQ(result.diff.find("@@ -8,4 +8,1048580 @@\n line 8\n line 9\n line 10\n+z\n+z\n"),
            result.diff.find("@@"))
      << result.diff;
}
