// Tests of the merged comparison (--merged of ctest-replay and ctest-trace diff) on traces
// written with the real writer and loaded with load_trace: between two exact-order recordings
// it is the write order of the exact chunks (unsequenced ones left out, with a note); with a
// read-order side it is each trace's order as before, with a note saying what read order means.
#include "ctreplay/merged_view.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctreplay/replay_run.hpp"
#include "ctreplay/report.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::Stream;
using ctrecord::TraceEvent;
using ctreplay::Outcome;

// A complete trace of `chunks` (a start event with an argv, exit 0, end).
ctreplay::LoadedTrace load(const ctrtest::TempFile& file, std::vector<TraceEvent> chunks) {
  auto start = ctrtest::sample_start();
  start.argv = {"prog"};
  ctrecord::ExitEvent exit;
  exit.exited = true;
  chunks.insert(chunks.begin(), start);
  chunks.push_back(exit);
  chunks.push_back(ctrtest::sample_end());
  ctrtest::write_trace(file.path(), chunks);
  return ctreplay::load_trace(file.path());
}

ctreplay::Normalizer plain_normalizer() {
  ctreplay::NormalizerOptions options;
  for (const auto& [name, description] : ctreplay::Normalizer::builtins()) {
    options.disabled.push_back(name);
  }
  return ctreplay::Normalizer(options, {}, {});
}

ctreplay::TraceVerdict compare(const ctreplay::LoadedTrace& expected,
                               const ctreplay::LoadedTrace& actual, bool merged = true) {
  return ctreplay::compare_traces(expected, actual, plain_normalizer(), {}, merged);
}

const ctreplay::StreamComparison* stream(const ctreplay::TraceVerdict& verdict,
                                         const std::string& name) {
  for (const auto& cmp : verdict.streams) {
    if (cmp.stream == name) return &cmp;
  }
  return nullptr;
}

std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& note : notes) out += note + "\n";
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// stdout "a", stderr "b", stdout "c" written in that order (seq 1, 2, 3); a static helper's
// stderr line arrived unsequenced, read somewhere in between.
std::vector<TraceEvent> exact_run(std::size_t unsequenced_at) {
  std::vector<TraceEvent> chunks = {ctrtest::exact_chunk(Stream::Stdout, "a\n", 1),
                                    ctrtest::exact_chunk(Stream::Stderr, "b\n", 2),
                                    ctrtest::exact_chunk(Stream::Stdout, "c\n", 3)};
  chunks.insert(chunks.begin() + static_cast<std::ptrdiff_t>(unsequenced_at),
                ctrtest::unsequenced_chunk(Stream::Stderr, "noise\n"));
  return chunks;
}

TEST(MergedView, BothExactComparesTheWriteOrderOfTheExactChunksOnly) {
  ctrtest::TempFile a;
  ctrtest::TempFile b;
  const auto expected = load(a, exact_run(1));
  // The unsequenced line was read at another moment: its stream is the same, and the merged
  // view, which leaves it out, is too.
  const auto actual = load(b, exact_run(0));
  const auto normalizer = plain_normalizer();
  EXPECT_EQ(ctreplay::merged_view(expected, normalizer, ctreplay::Side::Recorded, true),
            "[stdout] a\n[stderr] b\n[stdout] c\n");
  EXPECT_EQ(ctreplay::merged_view(expected, normalizer, ctreplay::Side::Recorded, false),
            "[stdout] a\n[stderr] noise\n[stderr] b\n[stdout] c\n");

  const auto verdict = compare(expected, actual);
  EXPECT_EQ(verdict.outcome, Outcome::Same) << joined(verdict.notes);
  ASSERT_NE(stream(verdict, "merged"), nullptr);
  EXPECT_TRUE(stream(verdict, "merged")->same);
  const std::string notes = joined(verdict.notes);
  EXPECT_TRUE(contains(notes,
                       "--merged: 1 unsequenced chunk (6 bytes) of the recording is left out of "
                       "the merged comparison"))
      << notes;
  EXPECT_TRUE(contains(notes, "1 unsequenced chunk (6 bytes) of the replay is left out")) << notes;
  EXPECT_FALSE(contains(notes, "read order")) << notes;
}

TEST(MergedView, BothExactFindsAChangedWriteOrder) {
  ctrtest::TempFile a;
  ctrtest::TempFile b;
  const auto expected = load(a, {ctrtest::exact_chunk(Stream::Stdout, "a\n", 1),
                                 ctrtest::exact_chunk(Stream::Stderr, "b\n", 2)});
  const auto actual = load(b, {ctrtest::exact_chunk(Stream::Stderr, "b\n", 1),
                               ctrtest::exact_chunk(Stream::Stdout, "a\n", 2)});
  const auto verdict = compare(expected, actual);
  EXPECT_EQ(verdict.outcome, Outcome::Regression);
  EXPECT_TRUE(stream(verdict, "stdout")->same);
  EXPECT_TRUE(stream(verdict, "stderr")->same);
  EXPECT_FALSE(stream(verdict, "merged")->same);
  EXPECT_EQ(verdict.first_stream, "merged");
  EXPECT_TRUE(verdict.notes.empty()) << joined(verdict.notes);
  // Without --merged only the streams count.
  EXPECT_EQ(compare(expected, actual, false).outcome, Outcome::Same);
}

TEST(MergedView, AReadOrderSideKeepsTheTraceOrderAndSaysWhatThatMeans) {
  ctrtest::TempFile a;
  ctrtest::TempFile b;
  const auto exact = load(a, exact_run(1));
  const auto read = load(b, {ctrtest::sample_chunk(Stream::Stdout, "a\n"),
                             ctrtest::sample_chunk(Stream::Stderr, "noise\n"),
                             ctrtest::sample_chunk(Stream::Stderr, "b\n"),
                             ctrtest::sample_chunk(Stream::Stdout, "c\n")});
  // Today's behaviour: every chunk in trace order, the exact side's unsequenced one included.
  auto verdict = compare(exact, read);
  EXPECT_EQ(verdict.outcome, Outcome::Same) << joined(verdict.notes);
  ASSERT_EQ(verdict.notes.size(), 1u) << joined(verdict.notes);
  EXPECT_EQ(verdict.notes[0],
            "--merged: the replay is in read order: the interleaving of stdout and stderr is the "
            "order the recorder read the two pipes in, which can differ from run to run when "
            "writes come close together; record with --order=exact for the order they were "
            "written in (docs/exact-order.md)");
  verdict = compare(read, exact);
  ASSERT_EQ(verdict.notes.size(), 1u);
  EXPECT_TRUE(contains(verdict.notes[0], "--merged: the recording is in read order:"));
  verdict = compare(read, read);
  ASSERT_EQ(verdict.notes.size(), 1u);
  EXPECT_TRUE(contains(verdict.notes[0], "--merged: both traces are in read order:"));
  EXPECT_TRUE(compare(read, read, false).notes.empty()) << "no --merged, no note";
}

TEST(MergedView, AReadOrderTraceWithOneOutputStreamNeedsNoNote) {
  ctrtest::TempFile a;
  const auto read = load(a, {ctrtest::sample_chunk(Stream::Stdout, "a\n"),
                             ctrtest::sample_chunk(Stream::Stdout, "b\n")});
  const auto verdict = compare(read, read);
  EXPECT_EQ(verdict.outcome, Outcome::Same);
  EXPECT_TRUE(verdict.notes.empty()) << joined(verdict.notes);
}

TEST(MergedView, OutOfSequenceExactChunksAreNamed) {
  ctrtest::TempFile a;
  const auto trace = load(a, {ctrtest::exact_chunk(Stream::Stdout, "a\n", 2),
                              ctrtest::exact_chunk(Stream::Stderr, "b\n", 1)});
  EXPECT_EQ(trace.order.out_of_sequence, 1u);
  const auto verdict = compare(trace, trace);
  EXPECT_TRUE(contains(joined(verdict.notes),
                       "--merged: 1 exact chunk of the recording comes after a chunk with a higher "
                       "sequence number"))
      << joined(verdict.notes);
}

TEST(MergedView, TheNotesReachTheJsonAndJunitReports) {
  ctrtest::TempFile a;
  const auto trace = load(a, exact_run(2));
  auto verdict = compare(trace, trace);
  ASSERT_FALSE(verdict.notes.empty());
  EXPECT_TRUE(contains(ctreplay::json_report({verdict}), "\"notes\":[\"--merged: 1 unsequenced"))
      << ctreplay::json_report({verdict});
  EXPECT_TRUE(contains(ctreplay::junit_report({verdict}),
                       "<system-out>--merged: 1 unsequenced chunk (6 bytes)"))
      << ctreplay::junit_report({verdict});
}

}  // namespace

TEST(OrderStatsWrites, AWriteSplitOverTwoChunksIsCountedOnce) {
  // The ledger repeats a write's seq on each chunk its bytes span (a write larger than a chunk,
  // or cut by a read): writes 1 and 2 in one chunk, write 2 going on in the next, then 3 and 4.
  ctreplay::OrderStats stats;
  const auto exact = [](std::uint64_t seq, std::uint64_t writes) {
    ctrecord::IoChunk chunk;
    chunk.order = ctrecord::ChunkOrder::Exact;
    chunk.seq = seq;
    chunk.writes = writes;
    chunk.bytes = "x";
    return chunk;
  };
  stats.add(exact(1, 2));
  stats.add(exact(2, 1));
  stats.add(exact(2, 3));
  stats.add(exact(5, 0));  // a part of a chunk split by the trace writer (writes 0)
  EXPECT_EQ(stats.exact_chunks, 4u);
  EXPECT_EQ(stats.writes, 4u);
  EXPECT_EQ(stats.out_of_sequence, 0u);
}
