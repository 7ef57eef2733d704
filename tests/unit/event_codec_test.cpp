// Tests of the event codec (encode_event/decode_events) and its bounded archive: round trips
// of every event kind and of awkward byte payloads, and hand-crafted malformed bodies.
#include "ctrecord/event_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/trace_format.hpp"
#include "event_bytes_util.hpp"
#include "little_endian.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::TraceEvent;

using ctrtest::decode_all;
using ctrtest::encode_all;
using ctrtest::event_bytes;
using ctrtest::u64_le;

// Expects decode_events to throw a TraceFormatError mentioning `needle`, at `offset`.
void expect_malformed(const std::string& frame, const std::string& needle,
                      std::uint64_t offset = 4096) {
  try {
    decode_all(frame, offset);
    FAIL() << "no error; expected one mentioning '" << needle << "'";
  } catch (const ctrecord::TraceFormatError& e) {
    EXPECT_EQ(e.offset(), offset);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(EventCodec, RoundTripsEveryKindWithAllFieldsSet) {
  const auto events = ctrtest::every_kind();
  EXPECT_EQ(decode_all(encode_all(events)), events);
}

TEST(EventCodec, RoundTripsAll256ByteValuesNulAndEmptyPayloads) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::vector<TraceEvent> events = {
      ctrtest::sample_chunk(ctrecord::Stream::Stdout, all),
      ctrtest::sample_chunk(ctrecord::Stream::Stdout, std::string(1000, '\0')),
      ctrtest::sample_chunk(ctrecord::Stream::Stdin, ""),
      ctrtest::sample_chunk(ctrecord::Stream::Stderr, std::string("\0", 1)),
  };
  EXPECT_EQ(decode_all(encode_all(events)), events);
}

TEST(EventCodec, LayoutIsKindLengthBodyLittleEndian) {
  std::string out;
  ctrecord::encode_event(ctrecord::NoteEvent{0x0102, ctrecord::NoteLevel::Error, "hi"}, out);
  // body: t_ns u64 | level u8 | text: u64 length + bytes
  const std::string body = u64_le(0x0102) + std::string(1, '\x02') + u64_le(2) + "hi";
  EXPECT_EQ(out, event_bytes(4, body));
}

TEST(EventCodec, TestAndCapturedLayout) {
  std::string out;
  ctrecord::encode_event(
      ctrecord::TestEvent{7, ctrecord::TestPhase::Finished, "t", "passed", 9, 11}, out);
  // t_ns u64 | phase u8 | test_id | outcome | duration_ns u64 | producer u64
  EXPECT_EQ(out, event_bytes(7, u64_le(7) + std::string(1, '\x01') + u64_le(1) + "t" + u64_le(6) +
                                    "passed" + u64_le(9) + u64_le(11)));
  out.clear();
  ctrecord::encode_event(ctrecord::CapturedEvent{5, "t", "log", "x", 3}, out);
  // t_ns u64 | test_id | section | bytes | producer u64
  EXPECT_EQ(out, event_bytes(8, u64_le(5) + u64_le(1) + "t" + u64_le(3) + "log" + u64_le(1) + "x" +
                                    u64_le(3)));
}

TEST(EventCodec, TerminalLayout) {
  std::string out;
  ctrecord::encode_event(
      ctrecord::TerminalEvent{3, ctrecord::TerminalChange::Resized, "pty", true, 24, 80, 1, 2, "x"},
      out);
  // t_ns u64 | change u8 | mode | merged bool | rows, cols, xpixel, ypixel u16 | term
  EXPECT_EQ(out, event_bytes(9, u64_le(3) + std::string(1, '\x01') + u64_le(3) + "pty" +
                                    std::string(1, '\x01') +
                                    std::string("\x18\0\x50\0\x01\0\x02\0", 8) + u64_le(1) + "x"));
}

TEST(EventCodec, SkipsUnknownKinds) {
  const std::string frame = event_bytes(200, "whatever a newer writer put here") +
                            encode_all({ctrtest::sample_end()}) + event_bytes(0, "");
  const auto events = decode_all(frame);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], TraceEvent(ctrtest::sample_end()));
}

TEST(EventCodec, RejectsShortEventHeader) {
  expect_malformed(std::string("\x02\x01", 2), "5 bytes");
}

TEST(EventCodec, RejectsBodyLongerThanFrame) {
  std::string frame = encode_all({ctrtest::sample_end()});
  frame.pop_back();
  expect_malformed(frame, "bytes left in the frame");
}

TEST(EventCodec, RejectsBodyLongerThanMaxEventBytes) {
  std::string frame(1, '\x02');
  ctrecord::detail::append_u32_le(
      frame, static_cast<std::uint32_t>(ctrecord::trace_format::kMaxEventBytes + 1));
  expect_malformed(frame, "exceeds the limit");
}

TEST(EventCodec, RejectsTrailingBytesInBody) {
  std::string encoded = encode_all({ctrtest::sample_end()});
  const std::string body = encoded.substr(5) + "extra";
  expect_malformed(event_bytes(6, body), "5 bytes left over");
}

TEST(EventCodec, RejectsTruncatedBody) {
  const std::string encoded = encode_all({ctrtest::sample_end()});
  const std::string body = encoded.substr(5, encoded.size() - 5 - 3);
  expect_malformed(event_bytes(6, body), "needs 8 bytes");
}

TEST(EventCodec, RejectsAbsurdStringLengthBeforeAllocating) {
  // io body: stream u8 | t_ns u64 | bytes: length 2^60 and nothing else
  const std::string body = std::string(1, '\x01') + u64_le(5) + u64_le(1ULL << 60) + "abc";
  expect_malformed(event_bytes(2, body), "length 1152921504606846976 exceeds the 3 bytes left");
}

TEST(EventCodec, RejectsMaximalStringLength) {
  const std::string body = std::string(1, '\x01') + u64_le(5) + u64_le(~0ULL);
  expect_malformed(event_bytes(2, body), "exceeds the 0 bytes left");
}

TEST(EventCodec, RejectsAbsurdVectorCountBeforeAllocating) {
  // start body: argv count 2^60 followed by 100 bytes: 2^60 strings cannot fit in 100 bytes,
  // and neither can 13 (each needs at least its 8-byte length).
  expect_malformed(event_bytes(1, u64_le(1ULL << 60) + std::string(100, 'x')),
                   "element count 1152921504606846976");
  expect_malformed(event_bytes(1, u64_le(13) + std::string(100, 'x')), "element count 13");
}

TEST(EventCodec, RejectsAbsurdEnvCount) {
  // A valid start body up to env: argv [] | executable "" | cwd "" | env count huge.
  const std::string body = u64_le(0) + u64_le(0) + u64_le(0) + u64_le(1ULL << 40);
  expect_malformed(event_bytes(1, body), "element count 1099511627776");
}

TEST(EventCodec, RejectsInvalidEnumAndBool) {
  const std::string io_body =
      std::string(1, '\x03') + u64_le(0) + u64_le(0) + u64_le(0) + u64_le(0);
  expect_malformed(event_bytes(2, io_body), "invalid enum value 3");
  std::string exit_encoded = encode_all({ctrtest::sample_exit()});
  exit_encoded[5 + 8] = 2;  // `exited` follows t_ns
  expect_malformed(exit_encoded, "invalid bool value 2");
}

TEST(EventCodec, ErrorNamesEventPositionInFrame) {
  const std::string good = encode_all({ctrtest::sample_end()});
  const std::string frame = good + event_bytes(2, std::string(3, '\0'));
  // The broken io event starts at byte good.size(), its body 5 bytes later; the stream byte
  // reads fine and the t_ns read right after it fails.
  expect_malformed(frame, "malformed io event at byte " + std::to_string(good.size() + 6));
}

TEST(EventCodec, RefusesToEncodeOversizedEvent) {
  ctrecord::NoteEvent note{0, ctrecord::NoteLevel::Info,
                           std::string(ctrecord::trace_format::kMaxEventBytes, 'n')};
  std::string out = "keep";
  EXPECT_THROW(ctrecord::encode_event(note, out), ctrecord::InternalError);
  EXPECT_EQ(out, "keep");
}

}  // namespace

namespace {

// Random damage to a valid payload (bytes overwritten, cut short): decoding either succeeds
// or throws TraceFormatError; never anything else, never a crash (run under ASan/UBSan too).
TEST(EventCodec, SurvivesRandomDamage) {
  const std::string good = encode_all(ctrtest::every_kind());
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next_random = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int errors = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(next_random() % 4);
    for (int i = 0; i < flips; ++i) {
      bad[next_random() % bad.size()] = static_cast<char>(next_random());
    }
    if (round % 3 == 0) bad.resize(next_random() % bad.size());
    try {
      decode_all(bad);
    } catch (const ctrecord::TraceFormatError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
