// Tests of the exact-order fields on disk (docs/trace-format.md, kind 10): an IoChunk whose
// order is not Read is its io record followed, in the same frame, by an io_order record. The
// byte layout, round trips through the codec and through the file writer and reader, what a
// reader that does not know kind 10 sees, and io_order records where they do not belong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/event_codec.hpp"
#include "ctrecord/frame_compressor.hpp"
#include "ctrecord/trace_format.hpp"
#include "event_bytes_util.hpp"
#include "little_endian.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::ChunkOrder;
using ctrecord::IoChunk;
using ctrecord::Stream;
using ctrecord::TraceEvent;

constexpr std::uint8_t kIoOrderKind = 10;

using ctrtest::decode_all;
using ctrtest::encode_all;
using ctrtest::event_bytes;
using ctrtest::u64_le;

std::string io_order_body(std::uint8_t order, std::uint64_t seq, std::uint64_t writes,
                          std::uint64_t tid) {
  return std::string(1, static_cast<char>(order)) + u64_le(seq) + u64_le(writes) + u64_le(tid);
}

void expect_malformed(const std::string& frame, const std::string& needle) {
  try {
    decode_all(frame, 8192);
    FAIL() << "no error; expected one mentioning '" << needle << "'";
  } catch (const ctrecord::TraceFormatError& e) {
    EXPECT_EQ(e.offset(), 8192u);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// The same events as an old trace would have them: every chunk in read order.
std::vector<TraceEvent> as_read_order(std::vector<TraceEvent> events) {
  for (auto& event : events) {
    if (auto* chunk = std::get_if<IoChunk>(&event)) {
      chunk->order = ChunkOrder::Read;
      chunk->seq = chunk->writes = chunk->tid = 0;
    }
  }
  return events;
}

// Walks the records of a payload and gives back (kind, record bytes) pairs.
std::vector<std::pair<std::uint8_t, std::string>> records_of(const std::string& payload) {
  std::vector<std::pair<std::uint8_t, std::string>> out;
  for (std::size_t pos = 0; pos < payload.size();) {
    const std::uint32_t length = ctrecord::detail::read_u32_le(payload.substr(pos + 1, 4));
    out.emplace_back(static_cast<std::uint8_t>(payload[pos]), payload.substr(pos, 5 + length));
    pos += 5 + length;
  }
  return out;
}

// An exact-order run: stdout and stderr exact chunks, one of two writes, a continuation part,
// an unsequenced chunk, and stdin (always read order).
std::vector<TraceEvent> exact_run() {
  return {
      ctrtest::sample_start(),
      ctrtest::sample_chunk(Stream::Stdin, "y\n", 3),
      ctrtest::exact_chunk(Stream::Stdout, "out 1\n", 1, 1, 4242),
      ctrtest::exact_chunk(Stream::Stderr, "err 2\nerr 3\n", 2, 2, 4243),
      ctrtest::ordered_chunk(Stream::Stderr, "", ChunkOrder::Exact, 2, 0, 4243),
      ctrtest::unsequenced_chunk(Stream::Stdout, std::string("static\0", 7)),
      ctrtest::exact_chunk(Stream::Stdout, "out 4\n", 0xfffffffffffffffeULL, 1,
                           0x8000000000000001ULL),
      ctrtest::sample_exit(),
      ctrtest::sample_end(),
  };
}

TEST(IoOrderCodec, ExactChunkIsAnIoRecordThenAnIoOrderRecord) {
  IoChunk chunk;
  chunk.stream = Stream::Stderr;
  chunk.t_ns = 5;
  chunk.bytes = "hi";
  chunk.producer = 3;
  chunk.context = "c";
  const std::string io_record = event_bytes(
      2, std::string(1, '\x02') + u64_le(5) + u64_le(2) + "hi" + u64_le(3) + u64_le(1) + "c");

  std::string out;
  ctrecord::encode_event(chunk, out);
  EXPECT_EQ(out, io_record) << "a read-order chunk is the io record alone, as before kind 10";

  chunk.order = ChunkOrder::Exact;
  chunk.seq = 0x0102;
  chunk.writes = 2;
  chunk.tid = 9;
  out.clear();
  ctrecord::encode_event(chunk, out);
  EXPECT_EQ(out, io_record + event_bytes(kIoOrderKind, io_order_body(1, 0x0102, 2, 9)));

  chunk.order = ChunkOrder::Unsequenced;
  chunk.seq = chunk.writes = chunk.tid = 0;
  out.clear();
  ctrecord::encode_event(chunk, out);
  EXPECT_EQ(out, io_record + event_bytes(kIoOrderKind, io_order_body(2, 0, 0, 0)));
}

TEST(IoOrderCodec, RoundTripsAllThreeOrders) {
  const auto events = exact_run();
  EXPECT_EQ(decode_all(encode_all(events)), events);
  const auto decoded = decode_all(encode_all(events));
  const auto& exact = std::get<IoChunk>(decoded[6]);
  EXPECT_EQ(exact.order, ChunkOrder::Exact);
  EXPECT_EQ(exact.seq, 0xfffffffffffffffeULL);
  EXPECT_EQ(exact.tid, 0x8000000000000001ULL);
  EXPECT_EQ(std::get<IoChunk>(decoded[5]).order, ChunkOrder::Unsequenced);
  EXPECT_EQ(std::get<IoChunk>(decoded[1]).order, ChunkOrder::Read);
}

TEST(IoOrderCodec, RoundTripsThroughTheFileWriterAndReaderInAnyFraming) {
  const auto events = exact_run();
  for (std::size_t per_frame : {0, 1, 2, 3}) {
    ctrtest::TempFile file;
    ctrtest::write_trace(file.path(), events, per_frame);
    const auto r = ctrtest::read_trace(file.path());
    EXPECT_TRUE(r.complete) << "per_frame " << per_frame << ": "
                            << (r.error ? r.error->what() : "");
    EXPECT_EQ(r.events, events) << "per_frame " << per_frame;
  }
}

// A reader from before kind 10 skips it like any unknown kind: it sees every chunk, every byte,
// in the same order, all in read order. Simulated twice: kind 10 renamed to a kind this reader
// does not know (it is skipped by its length), and the io_order records cut out (the bytes an
// old reader effectively decodes, which must be exactly an old writer's encoding).
TEST(IoOrderCodec, AReaderThatSkipsKind10SeesTheSameEventsAndBytes) {
  const auto events = exact_run();
  const std::string payload = encode_all(events);

  std::string renamed;
  std::string stripped;
  int io_orders = 0;
  for (auto& [kind, bytes] : records_of(payload)) {
    if (kind == kIoOrderKind) {
      ++io_orders;
      renamed += std::string(1, '\xc8') + bytes.substr(1);
    } else {
      renamed += bytes;
      stripped += bytes;
    }
  }
  EXPECT_EQ(io_orders, 5);
  EXPECT_EQ(decode_all(renamed), as_read_order(events));
  EXPECT_EQ(decode_all(stripped), as_read_order(events));
  EXPECT_EQ(stripped, encode_all(as_read_order(events)));
}

TEST(IoOrderCodec, IoOrderNotRightAfterAnIoRecordIsAnError) {
  const std::string io = encode_all({ctrtest::sample_chunk(Stream::Stdout, "x")});
  const std::string note = encode_all({ctrecord::NoteEvent{1, ctrecord::NoteLevel::Info, "n"}});
  const std::string order = event_bytes(kIoOrderKind, io_order_body(1, 1, 1, 1));
  const std::string what = "an io_order record that does not follow an io record";
  expect_malformed(order, what);               // first in the frame
  expect_malformed(note + order, what);        // after another kind
  expect_malformed(io + order + order, what);  // a second one for the same io
  expect_malformed(io + note + order, what);   // not right after the io
  expect_malformed(encode_all({ctrtest::sample_end()}) + order, what);
  // The position named is the stray record's.
  expect_malformed(note + order, "at byte " + std::to_string(note.size()));
}

TEST(IoOrderCodec, IoOrderAtTheStartOfTheNextFrameIsAnError) {
  // The io record ends one frame, its io_order starts the next: never attached across frames.
  const std::string first =
      encode_all({ctrtest::sample_start(), ctrtest::sample_chunk(Stream::Stdout, "x")});
  const std::string second =
      event_bytes(kIoOrderKind, io_order_body(1, 1, 1, 1)) + encode_all({ctrtest::sample_end()});
  ctrtest::TempFile file;
  std::string bytes(ctrecord::trace_format::kMagic.begin(), ctrecord::trace_format::kMagic.end());
  ctrecord::detail::append_u32_le(bytes, ctrecord::trace_format::kCurrentVersion);
  ctrecord::detail::append_u32_le(bytes, 0);
  ctrecord::FrameCompressor compressor;
  std::string frame;
  compressor.compress(first, 1, frame);
  bytes += frame;
  const std::uint64_t second_offset = bytes.size();
  compressor.compress(second, 1, frame);
  bytes += frame;
  ctrtest::write_file(file.path(), bytes);

  const auto r = ctrtest::read_trace(file.path());
  ASSERT_EQ(r.events.size(), 2u) << "the first frame's events are still handed out";
  EXPECT_EQ(std::get<IoChunk>(r.events[1]).order, ChunkOrder::Read);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->offset(), second_offset);
  EXPECT_NE(std::string(r.error->what()).find("does not follow an io record"), std::string::npos)
      << r.error->what();
}

TEST(IoOrderCodec, RejectsBadIoOrderBodies) {
  const std::string io = encode_all({ctrtest::sample_chunk(Stream::Stdout, "x")});
  // order 0 (read) is never written: a read-order chunk has no io_order record. The position
  // named is just past the order byte (the archive's convention for a bad value).
  for (int order : {0, 3, 255}) {
    expect_malformed(
        io + event_bytes(kIoOrderKind, io_order_body(static_cast<std::uint8_t>(order), 1, 1, 1)),
        "malformed io_order event at byte " + std::to_string(io.size() + 6) +
            " of the frame's decompressed data: invalid order value " + std::to_string(order) +
            " (1 exact, 2 unsequenced)");
  }
  const std::string body = io_order_body(1, 1, 1, 1);
  expect_malformed(io + event_bytes(kIoOrderKind, body.substr(0, body.size() - 1)),
                   "needs 8 bytes but only 7 are left");
  expect_malformed(io + event_bytes(kIoOrderKind, body + "?"), "1 bytes left over");
  expect_malformed(io + std::string(1, static_cast<char>(kIoOrderKind)) + std::string("\x19\0", 2),
                   "event header needs 5 bytes but only 3 are left");
}

TEST(IoOrderCodec, AChunkSplitByTheWriterKeepsItsOrderAndCountsItsWritesOnce) {
  std::string big(ctrecord::trace_format::kMaxEventBytes + 5, 'e');
  big.back() = '!';
  const IoChunk chunk = ctrtest::exact_chunk(Stream::Stderr, big, 41, 7, 99);
  ctrtest::TempFile file;
  ctrtest::write_trace(file.path(), {chunk, ctrtest::sample_end()});
  const auto r = ctrtest::read_trace(file.path());
  ASSERT_TRUE(r.complete) << (r.error ? r.error->what() : "");
  std::string bytes;
  std::uint64_t writes = 0;
  std::size_t parts = 0;
  for (const auto& event : r.events) {
    const auto* part = std::get_if<IoChunk>(&event);
    if (part == nullptr) continue;
    EXPECT_EQ(part->order, ChunkOrder::Exact);
    EXPECT_EQ(part->seq, 41u);
    EXPECT_EQ(part->tid, 99u);
    EXPECT_EQ(part->writes, parts == 0 ? 7u : 0u);
    writes += part->writes;
    bytes += part->bytes;
    ++parts;
  }
  EXPECT_GT(parts, 1u);
  EXPECT_EQ(writes, 7u);
  EXPECT_EQ(bytes, big);
}

}  // namespace
