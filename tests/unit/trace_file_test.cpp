// Tests of TraceFileWriter + TraceReader through real files: round trips, large data, and a
// reader that never trusts its input (empty, short, foreign, newer, truncated at every byte,
// corrupted at every byte, absurd frame sizes, missing end record, data after the end).
#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "ctrecord/event_codec.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_format.hpp"
#include "ctrecord/trace_reader.hpp"
#include "little_endian.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::Stream;
using ctrecord::TraceEvent;
using ctrecord::TraceFormatError;
namespace tf = ctrecord::trace_format;

std::string header_bytes(std::uint32_t version = tf::kCurrentVersion, std::uint32_t flags = 0) {
  std::string h(tf::kMagic.begin(), tf::kMagic.end());
  ctrecord::detail::append_u32_le(h, version);
  ctrecord::detail::append_u32_le(h, flags);
  return h;
}

std::string zstd_frame(const std::string& payload, bool checksum = true) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::string out(ZSTD_compressBound(payload.size()), '\0');
  const std::size_t n =
      ZSTD_compress2(cctx, out.data(), out.size(), payload.data(), payload.size());
  ZSTD_freeCCtx(cctx);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string encoded(const std::vector<TraceEvent>& events) {
  std::string out;
  for (const auto& ev : events) ctrecord::encode_event(ev, out);
  return out;
}

// Expects opening `bytes` as a trace to throw TraceFormatError mentioning `needle`.
void expect_header_error(const std::string& bytes, const std::string& needle) {
  ctrtest::TempFile file;
  ctrtest::write_file(file.path(), bytes);
  try {
    ctrecord::TraceReader reader(file.path());
    FAIL() << "opened without error; expected '" << needle << "'";
  } catch (const TraceFormatError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

ctrtest::ReadResult read_bytes(const std::string& bytes) {
  ctrtest::TempFile file;
  ctrtest::write_file(file.path(), bytes);
  return ctrtest::read_trace(file.path());
}

TEST(TraceFile, RoundTripsEveryKind) {
  ctrtest::TempFile file;
  const auto events = ctrtest::every_kind();
  ctrtest::write_trace(file.path(), events);
  const auto r = ctrtest::read_trace(file.path());
  EXPECT_EQ(r.events, events);
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.error) << r.error->what();
  EXPECT_EQ(r.frames, 1u);
}

TEST(TraceFile, HeaderAndFramesAreWhatTheFormatSays) {
  ctrtest::TempFile file;
  ctrecord::TraceFileWriter writer(ctrtest::open_for_writing(file.path()), file.path());
  EXPECT_EQ(writer.bytes_written(), tf::kHeaderSize);
  writer.flush_frame();  // nothing pending: no frame
  EXPECT_EQ(writer.frames_written(), 0u);
  for (const auto& ev : ctrtest::every_kind()) writer.append(ev);
  EXPECT_EQ(writer.pending_events(), ctrtest::every_kind().size());
  EXPECT_EQ(writer.pending_bytes(), encoded(ctrtest::every_kind()).size());
  writer.close();
  EXPECT_EQ(writer.frames_written(), 1u);
  const std::string bytes = ctrtest::read_file(file.path());
  EXPECT_EQ(bytes.size(), writer.bytes_written());
  EXPECT_EQ(bytes.substr(0, 16), header_bytes());
  // The rest is one standalone zstd frame holding the concatenated event encodings.
  const std::string frame = bytes.substr(16);
  EXPECT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()),
            encoded(ctrtest::every_kind()).size());
  std::string payload(encoded(ctrtest::every_kind()).size(), '\0');
  EXPECT_EQ(ZSTD_decompress(payload.data(), payload.size(), frame.data(), frame.size()),
            payload.size());
  EXPECT_EQ(payload, encoded(ctrtest::every_kind()));
}

TEST(TraceFile, TenThousandEventsAcrossManyFrames) {
  ctrtest::TempFile file;
  std::vector<TraceEvent> events;
  events.push_back(ctrtest::sample_start());
  for (int i = 0; i < 10000; ++i) {
    events.push_back(ctrtest::sample_chunk(static_cast<Stream>(i % 3),
                                           "line " + std::to_string(i) + "\n", 1000u + i));
  }
  events.push_back(ctrtest::sample_end());
  ctrtest::write_trace(file.path(), events, 97);
  const auto r = ctrtest::read_trace(file.path());
  EXPECT_EQ(r.events.size(), events.size());
  EXPECT_EQ(r.events, events);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.frames, (events.size() + 96) / 97);
}

TEST(TraceFile, HugeSingleChunk) {
  ctrtest::TempFile file;
  std::string big(8u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  const std::vector<TraceEvent> events = {ctrtest::sample_chunk(Stream::Stdout, big),
                                          ctrtest::sample_end()};
  ctrtest::write_trace(file.path(), events);
  const auto r = ctrtest::read_trace(file.path());
  EXPECT_EQ(r.events, events);
  EXPECT_TRUE(r.complete);
}

TEST(TraceFile, ChunksBeyondTheEventLimitAreSplitLosslessly) {
  ctrtest::TempFile file;
  std::string big(tf::kMaxEventBytes + 12345, 'z');
  big[0] = 'a';
  big.back() = 'b';
  {
    ctrecord::TraceFileWriter writer(ctrtest::open_for_writing(file.path()), file.path());
    writer.append(ctrtest::sample_chunk(Stream::Stderr, big));
    // Many big events without a flush: frames still stay within kMaxFrameBytes.
    for (int i = 0; i < 9; ++i) writer.append(ctrtest::sample_chunk(Stream::Stdout, big));
    writer.append(ctrtest::sample_end());
    writer.close();
    EXPECT_GT(writer.frames_written(), 2u);
  }
  const auto r = ctrtest::read_trace(file.path());
  ASSERT_TRUE(r.complete) << (r.error ? r.error->what() : "");
  std::string stderr_bytes;
  std::string stdout_bytes;
  for (const auto& ev : r.events) {
    if (const auto* c = std::get_if<ctrecord::IoChunk>(&ev)) {
      EXPECT_LE(c->bytes.size(), 8u << 20);
      (c->stream == Stream::Stderr ? stderr_bytes : stdout_bytes) += c->bytes;
    }
  }
  EXPECT_EQ(stderr_bytes, big);
  EXPECT_EQ(stdout_bytes.size(), 9 * big.size());
}

TEST(TraceReader, EmptyFile) {
  expect_header_error("", "not a ctrace file");
}

TEST(TraceReader, ShortHeader) {
  expect_header_error(header_bytes().substr(0, 11), "truncated header");
  expect_header_error(header_bytes().substr(0, 3), "truncated header");
}

TEST(TraceReader, WrongMagic) {
  expect_header_error("PK\x03\x04 this is a zip file, not a trace", "not a ctrace file");
  std::string h = header_bytes();
  h[4] = '\n';  // CR LF converted to LF by a text-mode transfer
  expect_header_error(h, "not a ctrace file");
}

TEST(TraceReader, NewerVersion) {
  expect_header_error(header_bytes(tf::kCurrentVersion + 1),
                      "written by a newer ctest-record (format v2); this build reads up to v1");
}

TEST(TraceReader, OlderAndFlags) {
  expect_header_error(header_bytes(0), "too old");
  expect_header_error(header_bytes(1, 1), "unknown header flags");
}

TEST(TraceReader, MissingFileIsEnvironmentError) {
  EXPECT_THROW(ctrecord::TraceReader("/nonexistent/dir/x.ctrace"), ctrecord::EnvironmentError);
}

TEST(TraceReader, HeaderOnlyIsIncomplete) {
  const auto r = read_bytes(header_bytes());
  EXPECT_TRUE(r.events.empty());
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->offset(), 16u);
  EXPECT_NE(std::string(r.error->what()).find("no end record"), std::string::npos);
}

TEST(TraceReader, TraceWithoutEndIsIncomplete) {
  ctrtest::TempFile file;
  auto events = ctrtest::every_kind();
  events.pop_back();
  ctrtest::write_trace(file.path(), events, 2);
  const auto r = ctrtest::read_trace(file.path());
  EXPECT_EQ(r.events, events);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->offset(), ctrtest::read_file(file.path()).size());
}

TEST(TraceReader, TruncationAtEveryByteOffset) {
  ctrtest::TempFile file;
  const auto events = ctrtest::every_kind();
  std::vector<std::uint64_t> frame_ends;  // file size after each frame
  {
    ctrecord::TraceFileWriter writer(ctrtest::open_for_writing(file.path()), file.path());
    for (std::size_t i = 0; i < events.size(); ++i) {
      writer.append(events[i]);
      if (i % 2 == 1) {
        writer.flush_frame();
        frame_ends.push_back(writer.bytes_written());
      }
    }
    writer.close();
  }
  const std::string whole = ctrtest::read_file(file.path());
  ASSERT_EQ(frame_ends.size(), events.size() / 2);
  ASSERT_EQ(frame_ends.back(), whole.size());
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string prefix = whole.substr(0, cut);
    if (cut < tf::kHeaderSize) {
      expect_header_error(prefix, cut == 0 ? "empty" : "truncated header");
      continue;
    }
    const auto r = read_bytes(prefix);
    std::size_t whole_frames = 0;
    std::uint64_t last_boundary = tf::kHeaderSize;
    for (auto end : frame_ends) {
      if (end <= cut) ++whole_frames, last_boundary = end;
    }
    EXPECT_FALSE(r.complete);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->offset(), last_boundary) << r.error->what();
    const std::string what = r.error->what();
    if (cut == last_boundary) {
      EXPECT_NE(what.find("no end record"), std::string::npos) << what;
    } else {
      EXPECT_NE(what.find("truncated frame"), std::string::npos) << what;
    }
    ASSERT_EQ(r.events.size(), 2 * whole_frames);
    for (std::size_t i = 0; i < r.events.size(); ++i) EXPECT_EQ(r.events[i], events[i]);
  }
}

TEST(TraceReader, FlippedByteAnywhereIsDetected) {
  ctrtest::TempFile file;
  const auto events = ctrtest::every_kind();
  ctrtest::write_trace(file.path(), events, 3);
  const std::string whole = ctrtest::read_file(file.path());
  for (std::size_t at = 0; at < whole.size(); ++at) {
    SCOPED_TRACE("flip at " + std::to_string(at));
    std::string bad = whole;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    if (at < tf::kHeaderSize) {
      EXPECT_THROW(read_bytes(bad), TraceFormatError);
      continue;
    }
    const auto r = read_bytes(bad);
    EXPECT_TRUE(r.error);
    EXPECT_FALSE(r.complete);
    for (std::size_t i = 0; i < r.events.size(); ++i) EXPECT_EQ(r.events[i], events[i]);
  }
}

TEST(TraceReader, AbsurdDeclaredContentSizeIsRejectedBeforeAllocating) {
  // zstd frame header: magic, descriptor (8-byte content size, single segment, checksum),
  // content size 2^40, then garbage.
  std::string frame = "\x28\xb5\x2f\xfd";
  frame += '\xe4';
  for (int i = 0; i < 8; ++i) frame += static_cast<char>(((1ULL << 40) >> (8 * i)) & 0xff);
  frame += std::string(64, '\x01');
  const auto r =
      read_bytes(header_bytes() + zstd_frame(encoded({ctrtest::sample_start()})) + frame);
  ASSERT_EQ(r.events.size(), 1u);
  ASSERT_TRUE(r.error);
  EXPECT_NE(std::string(r.error->what()).find("declared content size 1099511627776 exceeds"),
            std::string::npos)
      << r.error->what();
}

TEST(TraceReader, LargeDeclaredSizeInShortFileIsTruncated) {
  // A header declaring exactly the limit over a few bytes of data: truncated, no big buffer
  // needed (the output grows with the data actually decompressed).
  std::string frame = zstd_frame(std::string(tf::kMaxFrameBytes, 'a'));
  const auto r = read_bytes(header_bytes() + frame.substr(0, 40));
  ASSERT_TRUE(r.error);
  EXPECT_NE(std::string(r.error->what()).find("truncated frame"), std::string::npos)
      << r.error->what();
}

TEST(TraceReader, FrameWithoutContentSizeOrChecksumIsRejected) {
  ZSTD_CStream* stream = ZSTD_createCStream();
  ZSTD_CCtx_setParameter(stream, ZSTD_c_checksumFlag, 1);
  const std::string payload = encoded({ctrtest::sample_end()});
  std::string out(ZSTD_compressBound(payload.size()) + 64, '\0');
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ZSTD_inBuffer ib{payload.data(), payload.size(), 0};
  ZSTD_compressStream2(stream, &ob, &ib, ZSTD_e_continue);  // size unknown when streaming
  ZSTD_compressStream2(stream, &ob, &ib, ZSTD_e_end);
  ZSTD_freeCStream(stream);
  out.resize(ob.pos);
  auto r = read_bytes(header_bytes() + out);
  ASSERT_TRUE(r.error);
  EXPECT_NE(std::string(r.error->what()).find("no content size"), std::string::npos);
  r = read_bytes(header_bytes() + zstd_frame(payload, false));
  ASSERT_TRUE(r.error);
  EXPECT_NE(std::string(r.error->what()).find("no checksum"), std::string::npos);
}

TEST(TraceReader, AbsurdInnerLengthInsideValidFrame) {
  std::string body = std::string(1, '\x01') + std::string(8, '\0');
  for (int i = 0; i < 8; ++i) body += static_cast<char>(((1ULL << 60) >> (8 * i)) & 0xff);
  std::string ev(1, '\x02');
  ctrecord::detail::append_u32_le(ev, static_cast<std::uint32_t>(body.size()));
  const std::string first = zstd_frame(encoded({ctrtest::sample_start()}));
  const auto r = read_bytes(header_bytes() + first + zstd_frame(ev + body));
  ASSERT_EQ(r.events.size(), 1u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->offset(), 16 + first.size());
  EXPECT_NE(std::string(r.error->what()).find("length 1152921504606846976"), std::string::npos)
      << r.error->what();
}

TEST(TraceReader, DataAfterEndRecordIsAnError) {
  const std::string good =
      header_bytes() + zstd_frame(encoded({ctrtest::sample_start(), ctrtest::sample_end()}));
  auto r = read_bytes(good + "x");
  EXPECT_EQ(r.events.size(), 2u);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->offset(), good.size());
  EXPECT_NE(std::string(r.error->what()).find("after the end record"), std::string::npos);

  r = read_bytes(header_bytes() +
                 zstd_frame(encoded({ctrtest::sample_end(), ctrtest::sample_exit()})));
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error);
  EXPECT_NE(std::string(r.error->what()).find("after the end record"), std::string::npos);
}

TEST(TraceReader, UnknownKindsAreSkipped) {
  std::string payload(1, '\x63');
  ctrecord::detail::append_u32_le(payload, 3);
  payload += "new";
  payload += encoded({ctrtest::sample_end()});
  const auto r = read_bytes(header_bytes() + zstd_frame(payload));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.complete);
}

TEST(TraceFileWriter, WriteFailureThrowsAndCountsLostEvents) {
  ctrecord::UniqueFd fd(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  {
    // The header write fails on /dev/full. That is not fatal at construction (the recording
    // must go on); the first frame retries the header and reports the error.
    ctrecord::TraceFileWriter full(std::move(fd), "/dev/full");
    full.append(ctrtest::sample_end());
    try {
      full.flush_frame();
      FAIL() << "no error";
    } catch (const ctrecord::EnvironmentError& e) {
      EXPECT_EQ(e.error_number(), ENOSPC);
      EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
    }
    EXPECT_EQ(full.events_lost(), 1u);
    EXPECT_THROW(full.close(), ctrecord::EnvironmentError);
  }

  // A writer whose descriptor starts failing later: write end of a pipe with the reader gone.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ctrecord::UniqueFd read_end(fds[0]);
  ctrecord::TraceFileWriter writer(ctrecord::UniqueFd(fds[1]), "pipe");
  read_end.reset();
  signal(SIGPIPE, SIG_IGN);
  for (const auto& ev : ctrtest::every_kind()) writer.append(ev);
  try {
    writer.flush_frame();
    FAIL() << "no error";
  } catch (const ctrecord::EnvironmentError& e) {
    EXPECT_EQ(e.error_number(), EPIPE);
    EXPECT_NE(std::string(e.what()).find("write pipe"), std::string::npos) << e.what();
  }
  const auto all = ctrtest::every_kind().size();
  EXPECT_EQ(writer.events_lost(), all);
  EXPECT_EQ(writer.pending_events(), 0u);
  writer.append(ctrtest::sample_end());
  EXPECT_THROW(writer.close(), ctrecord::EnvironmentError);
  EXPECT_EQ(writer.events_lost(), all + 1);
}

}  // namespace
