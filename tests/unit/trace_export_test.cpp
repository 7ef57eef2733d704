// Tests of `ctest-trace export` on synthetic traces. asciicast v2: the exact header and event
// lines for pipe and pty recordings, resizes, keystrokes, UTF-8 cut across chunks, invalid
// bytes and the "\n" -> "\r\n" rule for pipes. text: escape sequences stripped (also when cut
// across chunks), "\r\n" -> "\n" on a pty, lines in the order they were completed.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ctharness/asciicast.hpp"
#include "ctharness/text_export.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::Stream;
using ctrecord::TerminalChange;
using ctrecord::TerminalEvent;

constexpr std::uint64_t kSecond = 1'000'000'000;

ctrecord::StartEvent start_event() {
  ctrecord::StartEvent s;
  s.argv = {"sh", "-c", "echo hi"};
  s.start_unix_ns = 1714567890123456789;
  s.env = {
      {"TERM", "xterm-256color", false}, {"API_TOKEN", "", true}, {"SHELL", "/bin/bash", false}};
  return s;
}

ctrecord::IoChunk chunk(Stream stream, std::string bytes, std::uint64_t t_ns) {
  return ctrtest::sample_chunk(stream, std::move(bytes), t_ns);
}

TerminalEvent opened(std::string mode, std::uint16_t rows, std::uint16_t cols) {
  const bool merged = mode == "pty";
  return TerminalEvent{0, TerminalChange::Opened, std::move(mode), merged, rows, cols, 0,
                       0, "xterm-kitty"};
}

using Exporter = std::function<void(ctrecord::TraceReader&, ctharness::StdoutWriter&)>;

// Writes `events` as a trace and returns what `exporter` makes of it.
std::string export_trace(const std::vector<ctrecord::TraceEvent>& events,
                         const Exporter& exporter) {
  ctrtest::TempFile trace;
  ctrtest::TempFile cast("run.cast");
  ctrtest::write_trace(trace.path(), events, 2);
  {
    ctrecord::TraceReader reader(trace.path());
    ctrecord::UniqueFd fd = ctrtest::open_for_writing(cast.path());
    ctharness::StdoutWriter out(fd.get(), cast.path());
    exporter(reader, out);
    out.flush();
  }
  return ctrtest::read_file(cast.path());
}

// The asciicast export of `events`, one string per line.
std::vector<std::string> export_lines(const std::vector<ctrecord::TraceEvent>& events) {
  std::vector<std::string> lines;
  std::istringstream in(export_trace(events, ctharness::export_asciicast));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Asciicast, PipeRecordingHeaderAndEvents) {
  const auto lines = export_lines({
      start_event(),
      chunk(Stream::Stdout, "hi\n", kSecond + kSecond / 2),
      chunk(Stream::Stderr, "err\r\nx\n", 2 * kSecond),
      chunk(Stream::Stdin, "q\n", 2 * kSecond + 1500),
      chunk(Stream::Stdout, "a\r", 3 * kSecond),
      chunk(Stream::Stdout, "\n\"b\"\t\x1b[0m", 3 * kSecond + 7),
      ctrtest::sample_exit(),
      ctrtest::sample_end(),
  });
  const std::vector<std::string> expected = {
      R"({"version":2,"width":80,"height":24,"timestamp":1714567890,)"
      R"("command":"sh -c 'echo hi'","title":"sh -c 'echo hi'",)"
      R"("env":{"TERM":"xterm-256color","SHELL":"/bin/bash"}})",
      R"([1.500000, "o", "hi\r\n"])",
      R"([2.000000, "o", "err\r\nx\r\n"])",
      R"([2.000001, "i", "q\n"])",
      R"([3.000000, "o", "a\r"])",
      R"([3.000000, "o", "\n\"b\"\t\u001b[0m"])",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Asciicast, PtyRecordingKeepsBytesAndWritesResizesAndKeystrokes) {
  const auto lines = export_lines({
      start_event(),
      opened("pty", 30, 100),
      chunk(Stream::Stdout, "$ ", 10'000),
      chunk(Stream::Stdin, "ls\r", 250'000'000),
      chunk(Stream::Stdout, "ls\r\na b\n", 260'000'000),
      TerminalEvent{kSecond, TerminalChange::Resized, "", false, 50, 132, 0, 0, ""},
      chunk(Stream::Stdout, "\x1b[2J", kSecond + 1000),
  });
  const std::vector<std::string> expected = {
      R"({"version":2,"width":100,"height":30,"timestamp":1714567890,)"
      R"("command":"sh -c 'echo hi'","title":"sh -c 'echo hi'",)"
      R"("env":{"TERM":"xterm-kitty","SHELL":"/bin/bash"}})",
      R"([0.000010, "o", "$ "])",
      R"([0.250000, "i", "ls\r"])",
      R"([0.260000, "o", "ls\r\na b\n"])",
      R"([1.000000, "r", "132x50"])",
      R"([1.000001, "o", "\u001b[2J"])",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Asciicast, PtyStdoutRecordingTranslatesOnlyThePipedStderr) {
  const auto lines = export_lines({
      start_event(),
      opened("pty-stdout", 24, 80),
      chunk(Stream::Stdout, "o\n", 1000),
      chunk(Stream::Stderr, "e\n", 2000),
  });
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], R"([0.000001, "o", "o\n"])");
  EXPECT_EQ(lines[2], R"([0.000002, "o", "e\r\n"])");
}

TEST(Asciicast, Utf8CutAcrossChunksWaitsForTheRestOfItsStream) {
  const auto lines = export_lines({
      start_event(),
      opened("pty-stdout", 24, 80),
      chunk(Stream::Stdout, "h\xc3", 1000),
      chunk(Stream::Stderr, "\xe2\x82", 2000),  // another stream: its own pending bytes
      chunk(Stream::Stdout, "\xa9!", 3000),
      chunk(Stream::Stdout, "\xf0\x9f", 4000),  // 😀 in three chunks
      chunk(Stream::Stdout, "\x98", 5000),
      chunk(Stream::Stdout, "\x80", 6000),
      chunk(Stream::Stderr, "\xac", 7000),
  });
  const std::vector<std::string> expected = {
      lines.empty() ? "" : lines.front(),    R"([0.000001, "o", "h"])",
      "[0.000003, \"o\", \"\xc3\xa9!\"]",    "[0.000006, \"o\", \"\xf0\x9f\x98\x80\"]",
      "[0.000007, \"o\", \"\xe2\x82\xac\"]",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Asciicast, InvalidBytesBecomeReplacementCharacters) {
  const auto lines = export_lines({
      start_event(), opened("pty", 24, 80),
      chunk(Stream::Stdout,
            "a\xff"
            "b",
            1000),
      chunk(Stream::Stdout,
            "\xe2\x82"
            "A\xed\xa0\x80",
            2000),                               // cut sequence, surrogate
      chunk(Stream::Stdout, "\xc0\xaf", 3000),   // overlong '/'
      chunk(Stream::Stdout, "z\xe2\x82", 4000),  // unfinished at the end
  });
  const std::vector<std::string> expected = {
      lines.empty() ? "" : lines.front(),
      "[0.000001, \"o\", \"a\xef\xbf\xbd"
      "b\"]",
      "[0.000002, \"o\", \"\xef\xbf\xbd"
      "A\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"]",
      "[0.000003, \"o\", \"\xef\xbf\xbd\xef\xbf\xbd\"]",
      R"([0.000004, "o", "z"])",
      "[0.000004, \"o\", \"\xef\xbf\xbd\"]",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Asciicast, MissingStartAndUnknownSizeFallBackTo80x24) {
  ctrecord::StartEvent start;  // no argv, no env
  const auto lines = export_lines({start, opened("pty", 0, 0)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            R"({"version":2,"width":80,"height":24,"timestamp":0,"env":{"TERM":"xterm-kitty"}})");
  const auto no_start = export_lines({chunk(Stream::Stdout, "x", 5)});
  ASSERT_EQ(no_start.size(), 2u);
  EXPECT_EQ(no_start[0], R"({"version":2,"width":80,"height":24,"env":{}})");
  EXPECT_EQ(no_start[1], R"([0.000000, "o", "x"])");
}

TEST(TextExport, PipeRecordingStripsEscapeSequencesAndKeepsLineEnds) {
  const std::string text = export_trace(
      {
          start_event(),
          chunk(Stream::Stdout, "\x1b[1mbold\x1b[0m\r\nout ", 1000),
          chunk(Stream::Stderr, "err\x1b[3", 2000),  // a CSI cut across chunks
          chunk(Stream::Stdin, "typed\n", 2500),
          chunk(Stream::Stderr, "1mor\n", 3000),
          chunk(Stream::Stdout, "line\n\x1b]0;title\x07tail", 4000),
      },
      ctharness::export_text);
  EXPECT_EQ(text, "bold\r\nerror\nout line\ntail");
}

TEST(TextExport, PtyRecordingTurnsCrLfIntoLf) {
  const std::string text = export_trace(
      {
          start_event(),
          opened("pty", 24, 80),
          chunk(Stream::Stdout, "$ ls\r\n\x1b[01;34mdir\x1b[0m  \xc3\xa9\r", 1000),
          chunk(Stream::Stdout, "\n50%\r100%\r\n", 2000),
      },
      ctharness::export_text);
  EXPECT_EQ(text, "$ ls\ndir  \xc3\xa9\n50%\r100%\n");
}

}  // namespace
