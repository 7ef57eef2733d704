// OrderedOutput: --order=exact from the relays to the trace. Writer threads announce their
// writes through the protocol (order_test_writer.hpp), real OutputRelays read the pipes, and the
// trace read back must hold stdout and stderr in the order they were written.
#include "ctrecord/ordered_output.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/pipes.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/relay_set.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_writer_host.hpp"
#include "order_test_writer.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::IoChunk;
using ctrecord::Stream;

struct Recording {
  ctrtest::TempFile file;
  ctrecord::RecordingClock clock;
  std::unique_ptr<ctrecord::TraceWriterHost> host =
      std::make_unique<ctrecord::TraceWriterHost>(std::make_unique<ctrecord::TraceFileWriter>(
          ctrtest::open_for_writing(file.path()), file.path()));
  ctrecord::IoEventSink sink{*host, clock};

  std::vector<ctrecord::TraceEvent> finish() {
    host->finish([](const ctrecord::TraceWriterStats&) { return ctrecord::EndEvent{}; });
    return ctrtest::read_trace(file.path()).events;
  }
};

// Reads both pipes until both are at EOF, stepping the ordered output after each batch, as the
// spawn loop does.
void relay_until_eof(ctrecord::RelaySet& relays, ctrecord::OrderedOutput& ordered) {
  std::vector<pollfd> fds;
  while (relays.outputs_open()) {
    fds.clear();
    relays.add_pollfds(fds);
    ::poll(fds.data(), fds.size(), ordered.holding() ? 2 : 100);
    relays.dispatch(fds);
    ordered.step();
  }
  ordered.finish();
}

TEST(OrderedOutput, ThreadsWritingBothStreamsAreRecordedInTheirWriteOrder) {
  Recording rec;
  ctrecord::Pipe out = ctrecord::make_pipe(), err = ctrecord::make_pipe();
  ctrecord::OrderedOutput ordered(out.write.get(), err.write.get(), rec.sink);
  for (auto* p : {&out, &err}) ctrecord::set_nonblocking(p->read.get());
  ctrecord::RelaySet relays;
  relays.add_output(ctrecord::OutputRelay(Stream::Stdout, std::move(out.read), -1, rec.sink, 1));
  relays.add_output(ctrecord::OutputRelay(Stream::Stderr, std::move(err.read), -1, rec.sink, 1));
  relays.route_outputs(&ordered);

  constexpr int kThreads = 4, kWrites = 500;
  ctrtest::OrderTestWriter writer(ordered.channel().child_fd());
  std::uint64_t counter = 0;  // taken under the protocol's lock: the true write order
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const bool to_err = (i + t) % 3 == 0;
        writer.lock();
        const std::string line = std::to_string(counter++) + " t" + std::to_string(t) + "\n";
        auto& slot = writer.publish(to_err ? 2 : 1, line);
        const ssize_t n = ::write((to_err ? err : out).write.get(), line.data(), line.size());
        ctrtest::OrderTestWriter::finish(slot, n);
        writer.unlock();
        if (i % 50 == 0) {  // and some lines without an announcement, on a stream of their own
          const std::string raw = "raw t" + std::to_string(t) + "\n";
          EXPECT_EQ(::write(err.write.get(), raw.data(), raw.size()),
                    static_cast<ssize_t>(raw.size()));
        }
      }
    });
  }
  std::thread closer([&] {
    for (auto& thread : threads) thread.join();
    out.write.reset();
    err.write.reset();
  });
  relay_until_eof(relays, ordered);
  closer.join();
  const auto events = rec.finish();

  std::string merged;  // sequenced lines, in trace order
  std::string raw;
  bool closed[3] = {false, false, false};
  for (const auto& event : events) {
    if (const auto* chunk = std::get_if<IoChunk>(&event)) {
      EXPECT_FALSE(closed[static_cast<int>(chunk->stream)]) << "bytes after the stream's end";
      std::size_t pos = 0;
      while (pos < chunk->bytes.size()) {
        const std::size_t end = chunk->bytes.find('\n', pos);
        ASSERT_NE(end, std::string::npos) << "a line cut: " << chunk->bytes;
        const std::string line = chunk->bytes.substr(pos, end + 1 - pos);
        (line.rfind("raw", 0) == 0 ? raw : merged) += line;
        pos = end + 1;
      }
    } else if (const auto* end = std::get_if<ctrecord::StreamClosedEvent>(&event)) {
      closed[static_cast<int>(end->stream)] = true;
      EXPECT_EQ(end->reason, "eof");
    }
  }
  EXPECT_TRUE(closed[1]);
  EXPECT_TRUE(closed[2]);
  std::string expected;
  std::uint64_t n = 0;
  for (std::size_t pos = 0; pos < merged.size(); ++n) {
    const std::size_t space = merged.find(' ', pos);
    ASSERT_EQ(merged.substr(pos, space - pos), std::to_string(n)) << "write " << n;
    pos = merged.find('\n', pos) + 1;
  }
  EXPECT_EQ(n, static_cast<std::uint64_t>(kThreads * kWrites));
  EXPECT_EQ(raw.size(), static_cast<std::size_t>(kThreads * (kWrites / 50) * 7));
  const auto& counts = ordered.counts();
  EXPECT_EQ(counts.sequenced_writes, static_cast<std::uint64_t>(kThreads * kWrites));
  EXPECT_EQ(counts.unsequenced_bytes, raw.size());
  EXPECT_EQ(counts.overflows, 0u);
  EXPECT_NE(ordered.summary().find(std::to_string(kThreads * kWrites) + " sequenced writes"),
            std::string::npos)
      << ordered.summary();
}

TEST(OrderedOutput, ChunksKeepTheContextOfTheirReadAndEndsWaitForTheLastByte) {
  Recording rec;
  ctrecord::Pipe out = ctrecord::make_pipe(), err = ctrecord::make_pipe();
  ctrecord::OrderedOutput ordered(out.write.get(), err.write.get(), rec.sink);
  ctrtest::OrderTestWriter writer(ordered.channel().child_fd());
  ASSERT_EQ(writer.write(out.write.get(), 1, "first\n"), 6);
  ASSERT_EQ(writer.write(err.write.get(), 2, "second\n"), 7);
  // stderr is read (and ends) first, in test_a; stdout is read in test_b.
  rec.sink.set_context("test_a");
  IoChunk e;
  e.stream = Stream::Stderr;
  e.bytes = "second\n";
  ordered.on_chunk(e);
  ordered.on_stream_closed(Stream::Stderr, "eof");
  ordered.step();
  rec.sink.set_context("test_b");
  IoChunk o;
  o.stream = Stream::Stdout;
  o.bytes = "first\n";
  ordered.on_chunk(o);
  ordered.step();
  ordered.on_stream_closed(Stream::Stdout, "eof");
  ordered.finish();
  const auto events = rec.finish();
  std::vector<std::string> seen;
  for (const auto& event : events) {
    if (const auto* chunk = std::get_if<IoChunk>(&event)) {
      seen.push_back(chunk->bytes + "@" + chunk->context);
    } else if (const auto* end = std::get_if<ctrecord::StreamClosedEvent>(&event)) {
      seen.push_back(std::string("end ") + std::string(ctrecord::stream_name(end->stream)));
    } else if (const auto* note = std::get_if<ctrecord::NoteEvent>(&event)) {
      seen.push_back(note->text.substr(0, 13));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"first\n@test_b", "second\n@test_a", "end stderr",
                                            "end stdout", "order: exact:"}));
}

TEST(OrderedOutput, MaskingKeepsTheMergedOrder) {
  Recording rec;
  auto rules = std::make_shared<ctrecord::MaskRules>();
  rules->secrets = {"SECRET99"};
  rec.sink.enable_masking(rules);
  ctrecord::Pipe out = ctrecord::make_pipe(), err = ctrecord::make_pipe();
  ctrecord::OrderedOutput ordered(out.write.get(), err.write.get(), rec.sink);
  ctrtest::OrderTestWriter writer(ordered.channel().child_fd());
  for (const auto& [stream, text] : std::vector<std::pair<int, std::string>>{
           {1, "key SECRET99 SEC"}, {2, "between\n"}, {1, "RET99\n"}, {1, "SECRET99\n"}}) {
    ASSERT_EQ(writer.write((stream == 1 ? out : err).write.get(), static_cast<std::uint8_t>(stream),
                           text),
              static_cast<ssize_t>(text.size()));
  }
  for (auto* p : {&out, &err}) ctrecord::set_nonblocking(p->read.get());
  ctrecord::RelaySet relays;
  relays.add_output(ctrecord::OutputRelay(Stream::Stdout, std::move(out.read), -1, rec.sink, 1));
  relays.add_output(ctrecord::OutputRelay(Stream::Stderr, std::move(err.read), -1, rec.sink, 1));
  relays.route_outputs(&ordered);
  out.write.reset();
  err.write.reset();
  relay_until_eof(relays, ordered);
  rec.sink.flush_masked();
  std::string merged;
  for (const auto& event : rec.finish()) {
    if (const auto* chunk = std::get_if<IoChunk>(&event)) merged += chunk->bytes;
  }
  // The secret split by the other stream's write is not masked: the order wins.
  EXPECT_EQ(merged, "key *** SECbetween\nRET99\n***\n");
}

}  // namespace
