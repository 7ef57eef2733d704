// Tests of OutputLimiter (--max-trace-size): head kept as it comes, a bounded tail, the cut
// noted exactly once per stream with offsets that add up, stdin never cut; and the cut note's
// text read back by parse_cut_note.
#include "ctrecord/output_limit.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ctrecord::IoChunk;
using ctrecord::OutputCut;
using ctrecord::OutputLimiter;
using ctrecord::Stream;

IoChunk chunk(Stream stream, std::string bytes, std::uint64_t producer = 1) {
  return IoChunk{stream, 0, std::move(bytes), producer, ""};
}

// Everything the limiter lets through, then what finish() adds, per stream.
struct Kept {
  std::string out, err, in;
  std::vector<ctrecord::NoteEvent> notes;
};

Kept run(OutputLimiter& limiter, const std::vector<IoChunk>& chunks) {
  Kept kept;
  auto take = [&kept](const IoChunk& c) {
    (c.stream == Stream::Stdout   ? kept.out
     : c.stream == Stream::Stderr ? kept.err
                                  : kept.in) += c.bytes;
  };
  for (const auto& c : chunks) {
    if (auto now = limiter.admit(c)) take(*now);
  }
  for (auto& event : limiter.finish(0)) {
    if (auto* c = std::get_if<IoChunk>(&event)) take(*c);
    if (auto* n = std::get_if<ctrecord::NoteEvent>(&event)) kept.notes.push_back(*n);
  }
  return kept;
}

TEST(OutputLimiter, UnderTheLimitEverythingPassesAtOnce) {
  OutputLimiter limiter(1 << 20);
  EXPECT_TRUE(limiter.admit(chunk(Stream::Stdout, "hello")).has_value());
  EXPECT_TRUE(limiter.finish(0).empty());
  EXPECT_TRUE(limiter.cuts().empty());
}

TEST(OutputLimiter, KeepsHeadAndTailAndNotesTheCutBetween) {
  const std::uint64_t limit = 1 << 20;
  OutputLimiter limiter(limit);
  std::string all;
  std::vector<IoChunk> chunks;
  for (int i = 0; i < 200; ++i) {
    std::string line(9000, static_cast<char>('a' + i % 26));
    all += line;
    chunks.push_back(chunk(Stream::Stdout, line));
  }
  const Kept kept = run(limiter, chunks);
  ASSERT_EQ(limiter.cuts().size(), 1u);
  const OutputCut cut = limiter.cuts()[0];
  EXPECT_EQ(cut.from, limit / 2);
  EXPECT_EQ(cut.to, all.size() - (kept.out.size() - limit / 2));
  EXPECT_EQ(kept.out, all.substr(0, cut.from) + all.substr(cut.to));
  EXPECT_LE(kept.out.size(), limit);
  EXPECT_GE(kept.out.size(), limit - 4096);  // only per-chunk overhead is not kept
  ASSERT_EQ(kept.notes.size(), 1u);
  EXPECT_EQ(kept.notes[0].level, ctrecord::NoteLevel::Warning);
  EXPECT_EQ(ctrecord::parse_cut_note(kept.notes[0].text), cut);
}

TEST(OutputLimiter, EachStreamGetsOneContiguousCutAndStdinIsNeverCut) {
  OutputLimiter limiter(8192);
  std::string out, err, in;
  std::vector<IoChunk> chunks;
  for (int i = 0; i < 1000; ++i) {
    const std::string o = "out " + std::to_string(i) + "\n";
    const std::string e = "err " + std::to_string(i) + "\n";
    const std::string s = "in " + std::to_string(i) + "\n";
    out += o;
    err += e;
    in += s;
    chunks.push_back(chunk(Stream::Stdout, o, 7));
    chunks.push_back(chunk(Stream::Stderr, e, 7));
    chunks.push_back(chunk(Stream::Stdin, s, 7));
  }
  const Kept kept = run(limiter, chunks);
  EXPECT_EQ(kept.in, in);
  ASSERT_EQ(limiter.cuts().size(), 2u);
  for (const auto& cut : limiter.cuts()) {
    const std::string& whole = cut.stream == Stream::Stdout ? out : err;
    const std::string& got = cut.stream == Stream::Stdout ? kept.out : kept.err;
    EXPECT_EQ(got, whole.substr(0, cut.from) + whole.substr(cut.to));
  }
  EXPECT_LE(kept.out.size() + kept.err.size(), 8192u);
  EXPECT_EQ(kept.notes.size(), 2u);
}

TEST(OutputLimiter, ByteAtATimeOutputIsMergedSoTheTailStaysUseful) {
  OutputLimiter limiter(8192);
  std::string all;
  std::vector<IoChunk> chunks;
  for (int i = 0; i < 100000; ++i) {
    all += static_cast<char>('0' + i % 10);
    chunks.push_back(chunk(Stream::Stdout, std::string(1, all.back())));
  }
  const Kept kept = run(limiter, chunks);
  ASSERT_EQ(limiter.cuts().size(), 1u);
  EXPECT_GE(kept.out.size(), 8000u);  // not eaten by per-chunk overhead
  EXPECT_EQ(kept.out.substr(4096), all.substr(limiter.cuts()[0].to));
}

TEST(OutputCutNote, RoundTripsAndRejectsOtherText) {
  const OutputCut cut{1048576, Stream::Stderr, 524288, 600000};
  EXPECT_EQ(ctrecord::cut_note_text(cut),
            "output cut by --max-trace-size 1048576: 75712 bytes of stderr cut between offsets "
            "524288 and 600000");
  EXPECT_EQ(ctrecord::parse_cut_note(ctrecord::cut_note_text(cut)), cut);
  EXPECT_FALSE(ctrecord::parse_cut_note("timed out after 2.0 s"));
  EXPECT_FALSE(ctrecord::parse_cut_note(
      "output cut by --max-trace-size 10: 5 bytes of stdout cut between offsets 9 and 10"));
  EXPECT_FALSE(ctrecord::parse_cut_note(
      "output cut by --max-trace-size 10: 1 bytes of stdin cut between offsets 9 and 10"));
  EXPECT_FALSE(ctrecord::parse_cut_note(
      "output cut by --max-trace-size 10: 1 bytes of stdout cut between offsets 9 and 10!"));
}

}  // namespace
