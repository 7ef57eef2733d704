// OrderLedger: announced writes + bytes as read -> chunks in sequence order (--order=exact).
#include "ctrecord/order_ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using ctrecord::ChunkOrder;
using ctrecord::IoChunk;
using ctrecord::OrderLedger;
using ctrecord::OrderLedgerLimits;
using ctrecord::OrderSlot;
using ctrecord::Stream;
constexpr Stream kOut = Stream::Stdout;
constexpr Stream kErr = Stream::Stderr;

// A slot for a write of `bytes` (its head is their first bytes).
// Done slots wrote all their bytes unless `result` says otherwise.
OrderSlot slot(std::uint64_t seq, Stream stream, const std::string& bytes,
               OrderSlot::State state = OrderSlot::State::Done,
               std::optional<std::int64_t> result = std::nullopt, std::uint64_t pid = 100,
               std::uint64_t tid = 0) {
  OrderSlot s;
  s.seq = seq;
  s.stream = stream;
  s.state = state;
  s.pid = pid;
  s.tid = tid == 0 ? pid : tid;
  s.requested = bytes.size();
  s.result = result.value_or(
      state == OrderSlot::State::Done ? static_cast<std::int64_t>(bytes.size()) : 0);
  s.head_len = static_cast<std::uint8_t>(std::min<std::size_t>(bytes.size(), s.head.size()));
  std::copy_n(bytes.begin(), s.head_len, s.head.begin());
  return s;
}

OrderSlot pending(std::uint64_t seq, Stream stream, const std::string& bytes,
                  std::uint64_t pid = 100, std::uint64_t tid = 0) {
  return slot(seq, stream, bytes, OrderSlot::State::Pending, 0, pid, tid);
}

IoChunk read(Stream stream, const std::string& bytes, std::uint64_t t_ns = 1,
             const std::string& context = "", std::uint64_t producer = 7) {
  IoChunk c;
  c.stream = stream;
  c.bytes = bytes;
  c.t_ns = t_ns;
  c.context = context;
  c.producer = producer;
  return c;
}

// "out E1+2 'bytes'" (exact, seq 1, 2 writes), "err U 'bytes'" (unsequenced).
std::string show(const IoChunk& c) {
  std::string s = c.stream == kOut ? "out " : "err ";
  if (c.order == ChunkOrder::Exact) {
    s += "E" + std::to_string(c.seq) + (c.writes == 1 ? "" : "+" + std::to_string(c.writes));
  } else if (c.order == ChunkOrder::Unsequenced) {
    s += "U";
  } else {
    s += "R";
  }
  return s + " '" + c.bytes + "'";
}

struct Fixture {
  std::vector<IoChunk> chunks;
  OrderLedger ledger;
  explicit Fixture(OrderLedgerLimits limits = {})
      : ledger([this](IoChunk c) { chunks.push_back(std::move(c)); }, limits) {}
  std::vector<std::string> taken() {
    std::vector<std::string> out;
    for (const auto& c : chunks) out.push_back(show(c));
    chunks.clear();
    return out;
  }
};

using Shown = std::vector<std::string>;

TEST(OrderLedger, OneWriteBecomesOneExactChunkWithItsWriter) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "hello\n", 5, "t1"));
  f.ledger.add_slot(slot(1, kOut, "hello\n", OrderSlot::State::Done, std::nullopt, 42, 43));
  f.ledger.emit();
  ASSERT_EQ(f.chunks.size(), 1u);
  const IoChunk& c = f.chunks[0];
  EXPECT_EQ(c.order, ChunkOrder::Exact);
  EXPECT_EQ(c.seq, 1u);
  EXPECT_EQ(c.writes, 1u);
  EXPECT_EQ(c.producer, 42u);
  EXPECT_EQ(c.tid, 43u);
  EXPECT_EQ(c.bytes, "hello\n");
  EXPECT_EQ(c.t_ns, 5u);
  EXPECT_EQ(c.context, "t1");
  EXPECT_FALSE(f.ledger.holding());
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 1u);
  EXPECT_EQ(f.ledger.counts().exact_chunks, 1u);
  EXPECT_EQ(f.ledger.counts().exact_bytes, 6u);
}

TEST(OrderLedger, StderrReadFirstWaitsForTheEarlierStdoutWrite) {
  Fixture f;
  f.ledger.add_chunk(read(kErr, "e2"));
  for (const auto& s : {slot(1, kOut, "o1"), slot(2, kErr, "e2"), slot(3, kOut, "o3")}) {
    f.ledger.add_slot(s);
  }
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  EXPECT_TRUE(f.ledger.holding());
  EXPECT_EQ(f.ledger.held_bytes(), 2u);
  f.ledger.add_chunk(read(kOut, "o1o3"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'o1'", "err E2 'e2'", "out E3 'o3'"}));
  EXPECT_FALSE(f.ledger.holding());
}

TEST(OrderLedger, ConsecutiveWritesOfOneThreadMergeIntoOneChunk) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "aabbccdd"));
  f.ledger.add_slot(slot(1, kOut, "aa"));
  f.ledger.add_slot(slot(2, kOut, "bb"));
  f.ledger.add_slot(
      slot(3, kOut, "cc", OrderSlot::State::Done, std::nullopt, 100, 101));  // other thread
  f.ledger.add_slot(slot(4, kOut, "dd", OrderSlot::State::Done, std::nullopt, 100, 101));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1+2 'aabb'", "out E3+2 'ccdd'"}));
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 4u);
  EXPECT_EQ(f.ledger.counts().exact_chunks, 2u);
}

TEST(OrderLedger, WritesAreNotMergedAcrossAGapOrAnotherProcessOrAnotherEmit) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "aabbcc"));
  f.ledger.add_slot(slot(1, kOut, "aa"));
  f.ledger.add_slot(slot(2, kOut, "x", OrderSlot::State::Done, -EAGAIN));  // wrote nothing
  f.ledger.add_slot(slot(3, kOut, "bb"));
  f.ledger.add_slot(slot(4, kOut, "cc", OrderSlot::State::Done, std::nullopt, 200));  // another pid
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'aa'", "out E3 'bb'", "out E4 'cc'"}));
  f.ledger.add_chunk(read(kOut, "dd"));
  f.ledger.add_slot(slot(5, kOut, "dd", OrderSlot::State::Done, std::nullopt, 200));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E5 'dd'"}));
}

TEST(OrderLedger, PartialWriteIsCreditedWithWhatItWroteOnly) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "abcdXYZ"));
  f.ledger.add_slot(slot(1, kOut, "abcdefghij", OrderSlot::State::Done, 4));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'abcd'", "out U 'XYZ'"}));
  EXPECT_EQ(f.ledger.counts().unsequenced_bytes, 3u);
}

TEST(OrderLedger, FailedWritesAreDroppedAndLeaveNoTrace) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "lost", OrderSlot::State::Done, -EAGAIN));
  f.ledger.add_slot(slot(2, kErr, "gone", OrderSlot::State::Done, -EPIPE));
  f.ledger.add_slot(slot(3, kOut, "zero", OrderSlot::State::Done, 0));
  f.ledger.add_chunk(read(kErr, "e4"));
  f.ledger.add_slot(slot(4, kErr, "e4"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err E4 'e4'"}));
  EXPECT_EQ(f.ledger.counts().failed_writes, 3u);
  EXPECT_EQ(f.ledger.counts().dropped_writes, 0u);
}

TEST(OrderLedger, PendingWriteIsCreditedAsItsBytesArrive) {
  Fixture f;
  const std::string write = std::string(30, 'p') + std::string(70, 'q');
  f.ledger.add_slot(pending(1, kOut, write));
  f.ledger.add_chunk(read(kOut, write.substr(0, 40)));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 '" + write.substr(0, 40) + "'"}));
  // The same slot shown again while Pending changes nothing; its bytes keep being credited.
  f.ledger.add_slot(pending(1, kOut, write));
  f.ledger.add_chunk(read(kOut, write.substr(40)));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 '" + write.substr(40) + "'"}));
  // All it asked for is there: finished even before it is marked Done.
  f.ledger.add_chunk(read(kOut, "tail"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'tail'"}));
  f.ledger.add_slot(slot(1, kOut, write));  // now Done: already finished
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 1u);
}

TEST(OrderLedger, PendingWriteHoldsOtherStreamUntilDoneWithAShorterResult) {
  Fixture f;
  f.ledger.add_slot(pending(1, kOut, "abcdefgh"));
  f.ledger.add_chunk(read(kOut, "abcd"));
  f.ledger.emit();  // its head is only half there: wait
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.add_slot(slot(1, kOut, "abcdefgh", OrderSlot::State::Done, 4));  // it wrote 4
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'abcd'", "err E2 'e2'"}));
}

TEST(OrderLedger, PendingWriteWithoutItsHeadYetWaitsUntilDone) {
  // A writer that copies the head (and a writev's size) only once the call returned.
  Fixture f;
  OrderSlot early = pending(1, kOut, "");
  f.ledger.add_slot(early);
  f.ledger.add_slot(early);  // shown again, still Pending
  f.ledger.add_chunk(read(kOut, "written by writev\n"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  EXPECT_TRUE(f.ledger.holding());
  EXPECT_EQ(f.ledger.stalled_seq(), 0u);  // Pending: never given up on
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.add_slot(slot(1, kOut, "written by writev\n"));  // Done: size and head known
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'written by writev\n'", "err E2 'e2'"}));
  EXPECT_EQ(f.ledger.counts().failed_writes, 0u);
}

TEST(OrderLedger, HeadOfOnlyTheBytesWrittenIsEnough) {
  Fixture f;
  OrderSlot partial = slot(1, kOut, "abcdefghij", OrderSlot::State::Done, 4);
  partial.head_len = 4;  // the writer copied what the call wrote
  f.ledger.add_slot(partial);
  f.ledger.add_chunk(read(kOut, "abcdXY"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'abcd'", "out U 'XY'"}));
}

TEST(OrderLedger, UnsequencedBytesBeforeBetweenAndAfterSequencedWrites) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "PRE|hello one|MID|hello two|POST"));
  f.ledger.add_slot(slot(1, kOut, "hello one|"));
  f.ledger.add_slot(slot(2, kOut, "hello two|"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'PRE|'", "out E1 'hello one|'", "out U 'MID|'",
                              "out E2 'hello two|'", "out U 'POST'"}));
  EXPECT_EQ(f.ledger.counts().unsequenced_chunks, 3u);
  EXPECT_EQ(f.ledger.counts().unsequenced_bytes, 12u);
}

TEST(OrderLedger, BytesOfAStreamWithoutAnySlotAreUnsequencedAtOnce) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "o1"));  // waits for its bytes
  f.ledger.add_chunk(read(kErr, "static binary\n"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err U 'static binary\n'"}));
  // Not while the consumer is behind the ring: their slot may not have been taken yet.
  f.ledger.set_caught_up(false);
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.set_caught_up(true);
  f.ledger.add_chunk(read(kOut, "o1"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'o1'", "err E2 'e2'"}));
}

TEST(OrderLedger, HeadSplitAcrossReadsIsComparedWhole) {
  Fixture f;
  const std::string write = "0123456789abcdefghijklmnopqrstuvwxyz";  // head: 24 bytes
  f.ledger.add_slot(slot(1, kOut, write));
  f.ledger.add_chunk(read(kOut, "zz" + write.substr(0, 5)));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'zz'"}));  // the rest may be the head's beginning
  for (std::size_t i = 5; i < 23; ++i) {
    f.ledger.add_chunk(read(kOut, write.substr(i, 1)));
    f.ledger.emit();
    EXPECT_EQ(f.taken(), Shown{}) << i;
  }
  f.ledger.add_chunk(read(kOut, write.substr(23, 2)));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 '" + write.substr(0, 25) + "'"}));
  f.ledger.add_chunk(read(kOut, write.substr(25)));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 '" + write.substr(25) + "'"}));
}

TEST(OrderLedger, APrefixOfTheHeadThatTurnsOutDifferentIsUnsequenced) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "hello world"));
  f.ledger.add_chunk(read(kOut, "hel"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.add_chunk(read(kOut, "p! hello world"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'help! '", "out E1 'hello world'"}));
}

TEST(OrderLedger, AbandonedWritesBytesAreUnsequencedAndTheNextWriteKeepsItsOwn) {
  Fixture f;
  f.ledger.add_slot(pending(1, kOut, "killed mid-write"));
  f.ledger.emit();
  f.ledger.add_slot(slot(1, kOut, "killed mid-write", OrderSlot::State::Abandoned, 0));
  f.ledger.add_slot(slot(2, kErr, "next writer"));
  f.ledger.add_slot(slot(3, kOut, "after"));
  f.ledger.add_chunk(read(kOut, "killed mid-writeafter"));
  f.ledger.add_chunk(read(kErr, "next writer"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(),
            (Shown{"err E2 'next writer'", "out U 'killed mid-write'", "out E3 'after'"}));
  EXPECT_EQ(f.ledger.counts().dropped_writes, 1u);
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 2u);
}

TEST(OrderLedger, AbandonedSlotGivenFirstIsDroppedAtOnce) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "xyz", OrderSlot::State::Abandoned, 0));
  f.ledger.add_slot(slot(2, kOut, "abc"));
  f.ledger.add_chunk(read(kOut, "xyzabc"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'xyz'", "out E2 'abc'"}));
}

TEST(OrderLedger, AWriteWhoseBytesAreNotThereIsRecognisedByTheNextWritesHead) {
  Fixture f;
  // The shim copied "AAAA" but the program changed its buffer: "ZZZZ" was written.
  f.ledger.add_slot(slot(1, kOut, "AAAA"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.add_slot(slot(3, kOut, "BBBB"));
  f.ledger.add_chunk(read(kOut, "ZZZZBBBB"));
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'ZZZZ'", "err E2 'e2'", "out E3 'BBBB'"}));
  EXPECT_EQ(f.ledger.counts().dropped_writes, 1u);
}

TEST(OrderLedger, StalledWriteIsNamedAndCanBeDropped) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "never read"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.ledger.stalled_seq(), 1u);
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.drop_stalled();
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err E2 'e2'"}));
  EXPECT_EQ(f.ledger.counts().stalled_writes, 1u);
  EXPECT_EQ(f.ledger.stalled_seq(), 0u);
  // A Pending write is never stalled: it may still be writing.
  f.ledger.add_slot(pending(3, kOut, "slow"));
  f.ledger.add_slot(slot(3, kOut, "slow", OrderSlot::State::Pending, 0));
  EXPECT_EQ(f.ledger.stalled_seq(), 0u);
}

TEST(OrderLedger, EndOfStreamDropsWritesWaitingForItsBytes) {
  Fixture f;
  f.ledger.add_slot(slot(1, kOut, "o1"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.add_chunk(read(kErr, "e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  EXPECT_FALSE(f.ledger.stream_done(kOut));
  f.ledger.end_stream(kOut);  // e.g. closed when the console went away
  EXPECT_TRUE(f.ledger.stream_done(kOut));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err E2 'e2'"}));
  EXPECT_EQ(f.ledger.counts().dropped_writes, 1u);
  EXPECT_FALSE(f.ledger.stream_done(kErr));
}

TEST(OrderLedger, HeldBytesBeyondTheLimitAreReleasedUnsequencedAndStayAttributed) {
  OrderLedgerLimits limits;
  limits.max_held_bytes = 10;
  Fixture f(limits);
  f.ledger.add_slot(slot(1, kOut, "slow"));  // bytes not read yet
  f.ledger.add_slot(slot(2, kErr, "e2e2e2"));
  f.ledger.add_slot(slot(3, kErr, "e3e3e3"));
  f.ledger.add_chunk(read(kErr, "e2e2e2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});  // 6 bytes held: under the limit
  f.ledger.add_chunk(read(kErr, "e3e3e3"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err U 'e2e2e2e3e3e3'"}));
  EXPECT_EQ(f.ledger.counts().overflows, 1u);
  EXPECT_EQ(f.ledger.counts().overflow_bytes, 12u);
  EXPECT_EQ(f.ledger.counts().last_overflow_seq, 1u);
  EXPECT_EQ(f.ledger.counts().released_writes, 2u);
  EXPECT_FALSE(f.ledger.holding());
  // The slow write arrives: still exact, and so is everything after it.
  f.ledger.add_slot(slot(4, kErr, "e4"));
  f.ledger.add_chunk(read(kErr, "e4"));
  f.ledger.add_chunk(read(kOut, "slow"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'slow'", "err E4 'e4'"}));
}

TEST(OrderLedger, AWriteStillGoingOnBeyondTheLimitIsReleasedToo) {
  OrderLedgerLimits limits;
  limits.max_held_bytes = 8;
  Fixture f(limits);
  f.ledger.add_slot(pending(1, kOut, ""));  // size and head not known while Pending
  f.ledger.add_chunk(read(kOut, "0123456789"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U '0123456789'"}));
  EXPECT_FALSE(f.ledger.holding());
  EXPECT_EQ(f.ledger.counts().overflows, 1u);
  f.ledger.add_chunk(read(kOut, "abc"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});  // waits for Done again
  f.ledger.add_slot(slot(1, kOut, "0123456789abc"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out U 'abc'"}));  // the rest of a released write: released
  EXPECT_EQ(f.ledger.counts().released_writes, 1u);
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 0u);
}

TEST(OrderLedger, SlotRoomIsBoundedAndFullRoomWithHeldBytesReleasesThem) {
  OrderLedgerLimits limits;
  limits.max_slots = 3;
  Fixture f(limits);
  EXPECT_EQ(f.ledger.slot_room(), 3u);
  f.ledger.add_slot(slot(1, kOut, "o1"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  EXPECT_EQ(f.ledger.slot_room(), 1u);
  f.ledger.add_slot(slot(3, kErr, "e3"));
  EXPECT_EQ(f.ledger.slot_room(), 0u);
  f.ledger.add_chunk(read(kErr, "e2e3"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"err U 'e2e3'"}));
  EXPECT_EQ(f.ledger.slot_room(), 2u);
}

TEST(OrderLedger, FlushEmitsEverythingLeftAsUnsequenced) {
  Fixture f;
  f.ledger.add_slot(pending(1, kOut, "never written"));
  f.ledger.add_slot(slot(2, kErr, "e2"));  // (impossible after a Pending one; a stuck ledger)
  f.ledger.add_chunk(read(kErr, "e2 and more"));
  f.ledger.add_chunk(read(kOut, "nev"));  // a prefix of the pending write's head
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.flush();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'nev'", "err E2 'e2'", "err U ' and more'"}));
  EXPECT_FALSE(f.ledger.holding());
  EXPECT_TRUE(f.ledger.stream_done(kOut));
  EXPECT_TRUE(f.ledger.stream_done(kErr));
}

TEST(OrderLedger, FlushWithTheConsumerBehindStillEmitsEveryByte) {
  Fixture f;
  f.ledger.set_caught_up(false);
  f.ledger.add_chunk(read(kOut, "abc"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), Shown{});
  f.ledger.flush();
  EXPECT_EQ(f.taken(), (Shown{"out U 'abc'"}));
}

TEST(OrderLedger, ChunksKeepTheContextTheyWereReadWithAndTimesNeverGoBack) {
  Fixture f;
  f.ledger.add_chunk(read(kErr, "e2", 5, "test_a"));
  f.ledger.add_chunk(read(kOut, "o1", 10, "test_a"));
  f.ledger.add_chunk(read(kOut, "o3", 11, "test_b"));
  f.ledger.add_slot(slot(1, kOut, "o1"));
  f.ledger.add_slot(slot(2, kErr, "e2"));
  f.ledger.add_slot(slot(3, kOut, "o3"));
  f.ledger.emit();
  ASSERT_EQ(f.chunks.size(), 3u);
  EXPECT_EQ(f.chunks[0].context, "test_a");
  EXPECT_EQ(f.chunks[1].context, "test_a");
  EXPECT_EQ(f.chunks[2].context, "test_b");
  EXPECT_EQ(f.chunks[0].t_ns, 10u);
  EXPECT_EQ(f.chunks[1].t_ns, 10u);  // read at 5, but written into the trace after 10
  EXPECT_EQ(f.chunks[2].t_ns, 11u);
}

TEST(OrderLedger, AWriteSplitByAContextChangeIsTwoChunksOfTheSameSeq) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "abcdef", 1, "a"));
  f.ledger.add_chunk(read(kOut, "ghij", 2, "b"));
  f.ledger.add_slot(slot(1, kOut, "abcdefghij"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 'abcdef'", "out E1 'ghij'"}));
}

TEST(OrderLedger, UnsequencedChunksKeepTheReadersProducerAndMergeOnlyWithinAContext) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "ab", 1, "", 77));
  f.ledger.add_chunk(read(kOut, "cd", 2, "", 77));
  f.ledger.add_chunk(read(kOut, "ef", 3, "x", 77));
  f.ledger.emit();
  ASSERT_EQ(f.chunks.size(), 2u);
  EXPECT_EQ(f.chunks[0].bytes, "abcd");
  EXPECT_EQ(f.chunks[0].producer, 77u);
  EXPECT_EQ(f.chunks[0].t_ns, 2u);
  EXPECT_EQ(f.chunks[0].seq, 0u);
  EXPECT_EQ(f.chunks[1].bytes, "ef");
}

TEST(OrderLedger, ChunksAreCutAtTheMaximumSize) {
  OrderLedgerLimits limits;
  limits.max_chunk_bytes = 4;
  Fixture f(limits);
  f.ledger.add_chunk(read(kOut, "0123456789xy"));
  f.ledger.add_slot(slot(1, kOut, "0123456789"));
  f.ledger.add_slot(slot(2, kOut, "xy"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1 '0123'", "out E1 '4567'", "out E1+2 '89xy'"}));
}

TEST(OrderLedger, SlotsAlreadyGivenAreIgnored) {
  Fixture f;
  f.ledger.add_chunk(read(kOut, "o1o2"));
  f.ledger.add_slot(slot(1, kOut, "o1"));
  f.ledger.add_slot(slot(1, kOut, "o1"));  // again
  f.ledger.add_slot(slot(2, kOut, "o2"));
  f.ledger.emit();
  EXPECT_EQ(f.taken(), (Shown{"out E1+2 'o1o2'"}));
  EXPECT_EQ(f.ledger.counts().sequenced_writes, 2u);
}

// ---------------------------------------------------------------------------------------------
// Randomised: writers (some without the shim), the ring and the reader interleaved at random,
// each pipe read in random pieces. The ledger must give back every byte once, per stream in
// pipe order, each sequenced write credited to itself, exact chunks in true write order.

struct TrueWrite {
  Stream stream;
  std::string bytes;
  bool sequenced;
  std::uint64_t pid, tid;
  std::uint64_t seq;  // sequenced: 1, 2, ...
};

std::vector<TrueWrite> random_writes(std::mt19937& rng, int count, bool unsequenced_too) {
  std::vector<TrueWrite> writes;
  std::uint64_t seq = 0;
  for (int i = 0; i < count; ++i) {
    TrueWrite w;
    w.stream = rng() % 2 ? kOut : kErr;
    w.sequenced = !unsequenced_too || rng() % 5 != 0;
    w.pid = 100 + rng() % 2;
    w.tid = w.pid * 10 + rng() % 2;
    const std::size_t len = 1 + rng() % (rng() % 8 == 0 ? 60 : 6);
    // A tiny alphabet makes heads repeat; unsequenced writers use letters no shimmed one does.
    for (std::size_t k = 0; k < len; ++k) {
      w.bytes += static_cast<char>((w.sequenced ? 'a' : 'X') + rng() % 2);
    }
    w.seq = w.sequenced ? ++seq : 0;
    writes.push_back(std::move(w));
  }
  return writes;
}

// `head_at_done`: slots are published without head (and, for some, without size) and get
// them when Done, as a writer that copies only what the call wrote does.
std::vector<IoChunk> run_random(std::mt19937& rng, const std::vector<TrueWrite>& writes,
                                OrderLedgerLimits limits, bool head_at_done = false) {
  std::vector<IoChunk> out;
  OrderLedger ledger([&](IoChunk c) { out.push_back(std::move(c)); }, limits);
  std::vector<OrderSlot> ring;  // published slots, by seq - 1
  std::size_t consumed = 0;
  std::string pipe[2];
  std::size_t read_at[2] = {0, 0};
  std::size_t next = 0;  // next write to start
  int phase = 0;         // of a sequenced write: 0 publish, 1 first part, 2 rest + done
  std::size_t first_part = 0;
  std::uint64_t t = 0;
  const auto idx = [](Stream s) { return s == kErr ? 1 : 0; };
  const auto consume = [&] {  // as OrderChannel::poll_slots does
    std::size_t room = ledger.slot_room();
    bool caught_up = true;
    while (consumed < ring.size()) {
      if (room == 0) {
        caught_up = false;
        break;
      }
      if (ring[consumed].state == OrderSlot::State::Pending) {
        ledger.add_slot(ring[consumed]);  // shown, not consumed
        break;
      }
      ledger.add_slot(ring[consumed++]);
      --room;
    }
    ledger.set_caught_up(caught_up);
    ledger.emit();
  };
  for (;;) {
    const bool writing = next < writes.size();
    const bool unread = read_at[0] < pipe[0].size() || read_at[1] < pipe[1].size();
    if (!writing && !unread) break;
    const unsigned action = rng() % 10;
    if (writing && action < 5) {
      const TrueWrite& w = writes[next];
      std::string& p = pipe[idx(w.stream)];
      if (!w.sequenced) {
        p += w.bytes;
        ++next;
      } else if (phase == 0) {
        ring.push_back(pending(w.seq, w.stream, w.bytes, w.pid, w.tid));
        if (head_at_done) {
          ring.back().head_len = 0;
          if (rng() % 2) ring.back().requested = 0;  // a writev
        }
        phase = 1;
      } else if (phase == 1) {
        first_part = rng() % (w.bytes.size() + 1);
        p += w.bytes.substr(0, first_part);
        phase = 2;
      } else {
        p += w.bytes.substr(first_part);
        ring.back() = pending(w.seq, w.stream, w.bytes, w.pid, w.tid);
        ring.back().state = OrderSlot::State::Done;
        ring.back().result = static_cast<std::int64_t>(w.bytes.size());
        phase = 0;
        ++next;
      }
    } else if (action < 9) {
      const int s = static_cast<int>(rng() % 2);
      const std::size_t left = pipe[s].size() - read_at[s];
      if (left == 0) continue;
      const std::size_t n = 1 + rng() % std::min<std::size_t>(left, 40);
      ledger.add_chunk(read(s == 0 ? kOut : kErr, pipe[s].substr(read_at[s], n), ++t));
      read_at[s] += n;
    } else {
      consume();  // after reads, as the spawn loop does
    }
  }
  consume();
  ledger.end_stream(kOut);
  ledger.end_stream(kErr);
  consume();
  ledger.flush();
  return out;
}

// Checks the properties; adds how many bytes came out as Exact to `exact_bytes`.
void check_outcome(const std::vector<TrueWrite>& writes, const std::vector<IoChunk>& out,
                   bool expect_all_exact, const std::string& where, std::size_t& exact_bytes) {
  std::map<std::uint64_t, const TrueWrite*> by_seq;
  std::string expected_stream[2];
  for (const auto& w : writes) {
    expected_stream[w.stream == kErr ? 1 : 0] += w.bytes;
    if (w.sequenced) by_seq[w.seq] = &w;
  }
  std::string got_stream[2];
  std::map<std::uint64_t, std::string> credited;  // seq -> bytes found in exact chunks
  std::uint64_t last_seq = 0;
  std::uint64_t last_t = 0;
  for (const auto& c : out) {
    EXPECT_GE(c.t_ns, last_t) << where;
    last_t = c.t_ns;
    got_stream[c.stream == kErr ? 1 : 0] += c.bytes;
    if (expect_all_exact) {
      EXPECT_EQ(c.order, ChunkOrder::Exact) << where << " " << show(c);
    }
    if (c.order != ChunkOrder::Exact) continue;
    exact_bytes += c.bytes.size();
    EXPECT_GE(c.seq, last_seq) << where << ": exact chunks out of write order at " << show(c);
    // Spread the chunk's bytes over its writes, in order.
    std::size_t pos = 0;
    std::uint64_t s = c.seq;
    for (; pos < c.bytes.size(); ++s) {
      ASSERT_TRUE(by_seq.count(s)) << where << ": no write " << s << " in " << show(c);
      const TrueWrite& w = *by_seq[s];
      EXPECT_EQ(w.stream, c.stream) << where;
      EXPECT_EQ(w.pid, c.producer) << where;
      EXPECT_EQ(w.tid, c.tid) << where;
      std::string& have = credited[s];
      const std::size_t n = std::min(w.bytes.size() - have.size(), c.bytes.size() - pos);
      ASSERT_GT(n, 0u) << where << ": write " << s << " over-credited in " << show(c);
      have += c.bytes.substr(pos, n);
      EXPECT_EQ(have, w.bytes.substr(0, have.size())) << where << ": write " << s;
      pos += n;
    }
    EXPECT_EQ(s - c.seq, c.writes) << where << " " << show(c);
    last_seq = s - 1;
  }
  EXPECT_EQ(got_stream[0], expected_stream[0]) << where;
  EXPECT_EQ(got_stream[1], expected_stream[1]) << where;
  if (expect_all_exact) {
    for (const auto& [seq, w] : by_seq) EXPECT_EQ(credited[seq], w->bytes) << where << " " << seq;
  }
}

TEST(OrderLedgerRandom, ShimmedWritersComeOutInTheirTrueOrder) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const auto writes = random_writes(rng, 120, false);
    const auto out = run_random(rng, writes, {});
    std::size_t exact = 0;
    check_outcome(writes, out, true, "seed " + std::to_string(seed), exact);
    if (HasFailure()) return;
  }
}

TEST(OrderLedgerRandom, WritersThatFillInTheHeadWhenDoneComeOutInTheirTrueOrder) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const auto writes = random_writes(rng, 120, seed % 2 == 0);
    const auto out = run_random(rng, writes, {}, true);
    std::size_t exact = 0;
    check_outcome(writes, out, seed % 2 == 1, "seed " + std::to_string(seed), exact);
    if (HasFailure()) return;
  }
}

TEST(OrderLedgerRandom, WritersWithoutTheShimAreUnsequencedAndNeverMisattributed) {
  std::size_t exact = 0, total = 0;
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const auto writes = random_writes(rng, 120, true);
    for (const auto& w : writes) total += w.sequenced ? w.bytes.size() : 0;
    const auto out = run_random(rng, writes, {});
    check_outcome(writes, out, false, "seed " + std::to_string(seed), exact);
    for (const auto& c : out) {
      if (c.order == ChunkOrder::Unsequenced) {
        EXPECT_EQ(c.bytes.find_first_of("ab"), std::string::npos)
            << "seed " << seed << ": a shimmed write's bytes came out unsequenced: " << show(c);
      }
    }
    if (HasFailure()) return;
  }
  EXPECT_EQ(exact, total);  // every shimmed byte was found
}

TEST(OrderLedgerRandom, TinyLimitsLoseExactnessButNeverBytesOrAttribution) {
  OrderLedgerLimits limits;
  limits.max_held_bytes = 16;
  limits.max_slots = 4;
  limits.max_chunk_bytes = 7;
  std::uint64_t overflowed_runs = 0;
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const auto writes = random_writes(rng, 120, seed % 2 == 0);
    const auto out = run_random(rng, writes, limits, seed % 3 == 0);
    std::size_t exact = 0;
    check_outcome(writes, out, false, "seed " + std::to_string(seed), exact);
    for (const auto& c : out) EXPECT_LE(c.bytes.size(), 7u);
    overflowed_runs += std::any_of(out.begin(), out.end(), [](const IoChunk& c) {
      return c.order == ChunkOrder::Unsequenced && c.bytes.find_first_of("ab") != std::string::npos;
    });
    if (HasFailure()) return;
  }
  EXPECT_GT(overflowed_runs, 0u);  // the limits were reached
}

}  // namespace
