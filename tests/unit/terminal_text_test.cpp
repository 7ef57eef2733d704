// Terminal text: strip_ansi (every sequence family, cut-off sequences, bytes it must keep) and
// collapse_carriage_returns (progress lines, CRLF, escapes and erase-in-line in rewrites).
#include "ctreplay/terminal_text.hpp"

#include <gtest/gtest.h>

#include <string>

using ctreplay::collapse_carriage_returns;
using ctreplay::strip_ansi;
using namespace std::string_literals;

namespace {

TEST(StripAnsi, RemovesColours) {
  EXPECT_EQ(strip_ansi("\x1b[1;31mred\x1b[0m plain \x1b[38;5;208mx\x1b[m\n"), "red plain x\n");
}

TEST(StripAnsi, RemovesCursorMovesAndModes) {
  EXPECT_EQ(strip_ansi("\x1b[?2004h$ ls\r\n\x1b[?2004l\x1b[2K\x1b[1G\x1b[3A\x1b[10;20H!"),
            "$ ls\r\n!");
  EXPECT_EQ(strip_ansi("a\x1b[ qb"), "ab");  // intermediate byte (DECSCUSR)
}

TEST(StripAnsi, RemovesOscEndedByBelOrSt) {
  EXPECT_EQ(strip_ansi("\x1b]0;my title\x07prompt"), "prompt");
  EXPECT_EQ(strip_ansi("\x1b]2;title\x1b\\prompt"), "prompt");
  EXPECT_EQ(strip_ansi("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
}

TEST(StripAnsi, RemovesDcsSosPmApcStrings) {
  EXPECT_EQ(strip_ansi("a\x1bPq#0;2;0;0;0\x07still\x1b\\b"), "ab");  // BEL does not end DCS
  EXPECT_EQ(strip_ansi("a\x1bXsos\x1b\\b\x1b^pm\x1b\\c\x1b_apc\x1b\\d"), "abcd");
}

TEST(StripAnsi, StringEndsAtAnotherEscape) {
  EXPECT_EQ(strip_ansi("\x1b]0;title\x1b[31mred"), "red");
}

TEST(StripAnsi, RemovesCharsetsAndTwoByteSequences) {
  EXPECT_EQ(strip_ansi("\x1b(Bx\x1b)0y\x1b#8z\x1b%G"), "xyz");
  EXPECT_EQ(strip_ansi("\x1b"
                       "7a\x1b"
                       "8\x1b=b\x1b>\x1bMc\x1b"
                       "c"),
            "abc");
}

TEST(StripAnsi, RemovesSequencesCutOffAtTheEnd) {
  EXPECT_EQ(strip_ansi("text\x1b"), "text");
  EXPECT_EQ(strip_ansi("text\x1b["), "text");
  EXPECT_EQ(strip_ansi("text\x1b[1;3"), "text");
  EXPECT_EQ(strip_ansi("text\x1b]0;title"), "text");
  EXPECT_EQ(strip_ansi("text\x1b]0;title\x1b"), "text");
  EXPECT_EQ(strip_ansi("text\x1bP1$r"), "text");
  EXPECT_EQ(strip_ansi("text\x1b("), "text");
}

TEST(StripAnsi, MalformedSequencesKeepTheOffendingByte) {
  EXPECT_EQ(strip_ansi("\x1b[12\nnext"), "\nnext");
  EXPECT_EQ(strip_ansi("\x1b\nx"), "\nx");
  EXPECT_EQ(strip_ansi("\x1b\x1b[1mx"), "x");
  EXPECT_EQ(strip_ansi("\x1b\xc3\xa9"), "\xc3\xa9");
}

TEST(StripAnsi, KeepsUtf8AndC1RangeBytes) {
  // U+00E9 U+2014 U+1F600: continuation bytes include 0x80-0x9f (0x9b would be 8-bit CSI).
  const std::string text = "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80 \x9b\x31m \x90\x9c\x9d";
  EXPECT_EQ(strip_ansi(text), text);
  EXPECT_EQ(strip_ansi("\x1b[32m" + text + "\x1b[0m"), text);
}

TEST(StripAnsi, KeepsNulAndOtherControls) {
  const std::string text = "a\0b\x07\b\t\r\n\xff"s;
  EXPECT_EQ(strip_ansi(text), text);
  EXPECT_EQ(strip_ansi("\x1b[1m\0\x1b[0m"s), "\0"s);
}

TEST(StripAnsi, EmptyAndPlain) {
  EXPECT_EQ(strip_ansi(""), "");
  EXPECT_EQ(strip_ansi("no escapes\n"), "no escapes\n");
}

TEST(CollapseCarriageReturns, ProgressBarKeepsTheFinalState) {
  EXPECT_EQ(collapse_carriage_returns("10%\r20%\r100%\n"), "100%\n");
  EXPECT_EQ(collapse_carriage_returns("start\n[#  ]\r[## ]\r[###]\ndone\n"),
            "start\n[###]\ndone\n");
}

TEST(CollapseCarriageReturns, ShorterTextOverwritesOnlyItsColumns) {
  EXPECT_EQ(collapse_carriage_returns("abcdef\rXY\n"), "XYcdef\n");
}

TEST(CollapseCarriageReturns, CrlfIsALineEndNotARewrite) {
  EXPECT_EQ(collapse_carriage_returns("one\r\ntwo\r\n"), "one\r\ntwo\r\n");
  EXPECT_EQ(collapse_carriage_returns("1/3\r2/3\r3/3\r\nok\r\n"), "3/3\r\nok\r\n");
  // A program's "\r\n" through ONLCR: "\r\r\n"; the bare '\r' overwrites nothing.
  EXPECT_EQ(collapse_carriage_returns("abc\r\r\n"), "abc\r\n");
}

TEST(CollapseCarriageReturns, TrailingLineWithoutNewline) {
  EXPECT_EQ(collapse_carriage_returns("a\nworking\rdone!!!"), "a\ndone!!!");
  EXPECT_EQ(collapse_carriage_returns("50%\r"), "50%");
  EXPECT_EQ(collapse_carriage_returns("no newline"), "no newline");
  EXPECT_EQ(collapse_carriage_returns(""), "");
  EXPECT_EQ(collapse_carriage_returns("\r"), "");
}

TEST(CollapseCarriageReturns, LinesWithoutBareCrAreCopiedExactly) {
  const std::string text = "\x1b[K\x1b[31mred\x1b[0m\0\xff\r\n\n"s;
  EXPECT_EQ(collapse_carriage_returns(text), text);
}

TEST(CollapseCarriageReturns, Utf8CharacterIsOneColumn) {
  EXPECT_EQ(collapse_carriage_returns("\xc3\xa9t\xc3\xa9\rE\n"), "Et\xc3\xa9\n");
  EXPECT_EQ(collapse_carriage_returns("\xe2\x96\x88\xe2\x96\x88\r\xe2\x96\x91\n"),
            "\xe2\x96\x91\xe2\x96\x88\n");
  // A stray continuation byte is a column of its own.
  EXPECT_EQ(collapse_carriage_returns("\x9b\x9b\rx\n"), "x\x9b\n");
}

TEST(CollapseCarriageReturns, NulIsAColumn) {
  EXPECT_EQ(collapse_carriage_returns("\0\0\0\rx\n"s), "x\0\0\n"s);
}

TEST(CollapseCarriageReturns, EscapesGoWithTheCharacterAfterThem) {
  // Each frame coloured: the result is the last frame, whatever the number of frames.
  EXPECT_EQ(collapse_carriage_returns("\x1b[32m10%\x1b[0m\r\x1b[32m20%\x1b[0m\r"
                                      "\x1b[32m100%\x1b[0m\n"),
            "\x1b[32m100%\x1b[0m\n");
  EXPECT_EQ(collapse_carriage_returns("\x1b[32m100%\x1b[0m\r\n"), "\x1b[32m100%\x1b[0m\r\n");
  // Overwritten characters take their escapes with them; the others keep theirs.
  EXPECT_EQ(collapse_carriage_returns("a\x1b[1mbc\rX\n"), "X\x1b[1mbc\n");
}

TEST(CollapseCarriageReturns, EraseInLineIsApplied) {
  EXPECT_EQ(collapse_carriage_returns("long text\r\x1b[Kshort\n"), "short\n");
  EXPECT_EQ(collapse_carriage_returns("long text\r\x1b[0Kshort\n"), "short\n");
  EXPECT_EQ(collapse_carriage_returns("long text\r\x1b[2Kshort\n"), "short\n");
  EXPECT_EQ(collapse_carriage_returns("abcdef\rxyz\x1b[1K!\n"), "   !ef\n");
  EXPECT_EQ(collapse_carriage_returns("abcdef\rxy\x1b[2K!\n"), "  !\n");
  // pip/tqdm style: every frame is "\r" + erase + text.
  EXPECT_EQ(collapse_carriage_returns("\r\x1b[K1/10\r\x1b[K2/10\r\x1b[K10/10\n"), "10/10\n");
}

TEST(CollapseCarriageReturns, AfterStripAnsiTheTextIsPlain) {
  const std::string pty = "\x1b[?25l\r\x1b[36m 10%\x1b[0m\r\x1b[36m100%\x1b[0m\r\n\x1b[?25h";
  EXPECT_EQ(collapse_carriage_returns(strip_ansi(pty)), "100%\r\n");
}

}  // namespace
