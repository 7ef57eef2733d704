// IoEventSink with --order=exact chunks (on_ordered_chunk): masking must not move bytes across
// the merged order of stdout and stderr, and contexts stamped at read time are kept.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_writer_host.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::ChunkOrder;
using ctrecord::IoChunk;
using ctrecord::Stream;

constexpr char kSecret[] = "SECRET99";

struct Recording {
  ctrtest::TempFile file;
  ctrecord::RecordingClock clock;
  ctrecord::TraceWriterHost host{std::make_unique<ctrecord::TraceFileWriter>(
      ctrtest::open_for_writing(file.path()), file.path())};
  ctrecord::IoEventSink sink{host, clock};

  explicit Recording(bool masking = true) {
    if (!masking) return;
    auto rules = std::make_shared<ctrecord::MaskRules>();
    rules->secrets = {kSecret};
    sink.enable_masking(rules);
  }
  // "out 'bytes'@context" per chunk in trace order.
  std::vector<std::string> chunks() {
    host.finish([](const ctrecord::TraceWriterStats&) { return ctrecord::EndEvent{}; });
    std::vector<std::string> out;
    for (const auto& event : ctrtest::read_trace(file.path()).events) {
      if (const auto* c = std::get_if<IoChunk>(&event)) {
        out.push_back((c->stream == Stream::Stdout ? "out '" : "err '") + c->bytes + "'" +
                      (c->context.empty() ? "" : "@" + c->context));
      }
    }
    return out;
  }
};

IoChunk exact(Stream stream, std::uint64_t seq, const std::string& bytes, std::uint64_t tid = 5,
              std::uint64_t writes = 1) {
  IoChunk c;
  c.stream = stream;
  c.bytes = bytes;
  c.order = ChunkOrder::Exact;
  c.seq = seq;
  c.writes = writes;
  c.producer = 100;
  c.tid = tid;
  return c;
}

using Shown = std::vector<std::string>;

TEST(IoEventSinkOrder, AHeldMaskingTailGoesOutBeforeTheOtherStreamsNextWrite) {
  Recording rec;
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 1, "abc SEC"));  // "SEC" may be a secret
  rec.sink.on_ordered_chunk(exact(Stream::Stderr, 2, "err\n"));
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 3, "RET99 x\n"));
  EXPECT_EQ(rec.chunks(), (Shown{"out 'abc '", "out 'SEC'", "err 'err\n'", "out 'RET99 x\n'"}));
}

TEST(IoEventSinkOrder, ASecretSplitBetweenTwoWritesOfOneThreadIsStillMasked) {
  Recording rec;
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 1, "token " + std::string(kSecret, 3)));
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 2, std::string(kSecret + 3) + "\n"));
  // And within one write read in two pieces.
  rec.sink.on_ordered_chunk(exact(Stream::Stderr, 3, "again SECR"));
  rec.sink.on_ordered_chunk(exact(Stream::Stderr, 3, "ET99!\n"));
  EXPECT_EQ(rec.chunks(), (Shown{"out 'token '", "out '***\n'", "err 'again '", "err '***!\n'"}));
}

TEST(IoEventSinkOrder, AnotherThreadsWriteOnTheSameStreamIsNotMergedWithTheTail) {
  Recording rec;
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 1, "x SEC", 5));
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 2, "RET99\n", 6));
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 3, "y SEC", 6));
  rec.sink.on_ordered_chunk(exact(Stream::Stdout, 5, "RET99\n", 6));  // not the next write
  EXPECT_EQ(rec.chunks(), (Shown{"out 'x '", "out 'SEC'", "out 'RET99\n'", "out 'y '", "out 'SEC'",
                                 "out 'RET99\n'"}));
}

TEST(IoEventSinkOrder, UnsequencedBytesOfOneStreamStillMaskAcrossReads) {
  Recording rec;
  IoChunk a = exact(Stream::Stdout, 0, "static SECR", 0, 0);
  a.order = ChunkOrder::Unsequenced;
  IoChunk b = a;
  b.bytes = "ET99\n";
  rec.sink.on_ordered_chunk(a);
  rec.sink.on_ordered_chunk(b);
  EXPECT_EQ(rec.chunks(), (Shown{"out 'static '", "out '***\n'"}));
}

TEST(IoEventSinkOrder, ContextsStampedAtReadTimeAreKeptEvenWhenEmpty) {
  for (const bool masking : {false, true}) {
    Recording rec(masking);
    rec.sink.set_context("test_now");
    IoChunk none = exact(Stream::Stdout, 1, "read before any test\n");
    IoChunk earlier = exact(Stream::Stderr, 2, "read in test_then\n");
    earlier.context = "test_then";
    rec.sink.on_ordered_chunk(none);
    rec.sink.on_ordered_chunk(earlier);
    rec.sink.on_chunk(exact(Stream::Stdout, 3, "read order: stamped now\n"));
    EXPECT_EQ(rec.chunks(),
              (Shown{"out 'read before any test\n'", "err 'read in test_then\n'@test_then",
                     "out 'read order: stamped now\n'@test_now"}))
        << "masking " << masking;
  }
}

TEST(IoEventSinkOrder, AHeldTailIsNotMergedAcrossAContextChange) {
  Recording rec;
  IoChunk first = exact(Stream::Stdout, 1, "a SEC");
  first.context = "t1";
  IoChunk second = exact(Stream::Stdout, 2, "RET99\n");
  second.context = "t2";
  rec.sink.on_ordered_chunk(first);
  rec.sink.on_ordered_chunk(second);
  EXPECT_EQ(rec.chunks(), (Shown{"out 'a '@t1", "out 'SEC'@t1", "out 'RET99\n'@t2"}));
}

}  // namespace
