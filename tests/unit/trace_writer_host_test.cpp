// TraceWriterHost: many threads posting, everything in the file (read back through the real
// reader), per-thread order kept, End event last with final counters, write failures kept.
#include "ctrecord/trace_writer_host.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <thread>

#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_reader.hpp"
#include "trace_test_util.hpp"

using namespace ctrecord;

namespace {
std::vector<TraceEvent> read_all(const std::string& path, bool* complete = nullptr) {
  TraceReader reader(path);
  std::vector<TraceEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  if (complete) *complete = reader.complete();
  return events;
}
}  // namespace

TEST(TraceWriterHost, ManyThreadsEveryEventInTheFileInPerThreadOrder) {
  ctrtest::TempFile file;
  constexpr int kThreads = 8, kEach = 2000;
  {
    TraceWriterHostOptions options;
    options.queue_max_events = 16;  // small: producers really block on each other
    options.frame_bytes = 4096;     // many frames
    TraceWriterHost host(
        std::make_unique<TraceFileWriter>(ctrtest::open_for_writing(file.path()), file.path()),
        options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          IoChunk chunk;
          chunk.stream = Stream::Stdout;
          chunk.producer = static_cast<std::uint64_t>(t);
          chunk.bytes = std::to_string(i);
          ASSERT_TRUE(host.post(std::move(chunk)));
        }
      });
    }
    for (auto& t : threads) t.join();
    auto error = host.finish([](const TraceWriterStats& stats) {
      EndEvent end;
      end.counters.queue_high_water = stats.queue_high_water;
      return end;
    });
    EXPECT_FALSE(error) << *error;
    EXPECT_GT(host.stats().frames, 10u);
    EXPECT_LE(host.stats().queue_high_water, 16u);
  }
  bool complete = false;
  const auto events = read_all(file.path(), &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kThreads * kEach + 1));
  std::map<std::uint64_t, int> next;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const auto& chunk = std::get<IoChunk>(events[i]);
    ASSERT_EQ(chunk.bytes, std::to_string(next[chunk.producer]++)) << "producer " << chunk.producer;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[static_cast<std::uint64_t>(t)], kEach);
  const auto& end = std::get<EndEvent>(events.back());
  EXPECT_GT(end.counters.queue_high_water, 0u);
}

TEST(TraceWriterHost, FlushesFramesOnTimeSoAKilledRecorderLosesLittle) {
  ctrtest::TempFile file;
  TraceWriterHostOptions options;
  options.frame_interval = std::chrono::milliseconds(20);
  TraceWriterHost host(
      std::make_unique<TraceFileWriter>(ctrtest::open_for_writing(file.path()), file.path()),
      options);
  host.post(NoteEvent{1, NoteLevel::Info, "before the pause"});
  // Without finish(), the event must reach the file within the frame interval.
  std::vector<TraceEvent> events;
  for (int attempt = 0; attempt < 200 && events.empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    events = read_all(file.path());
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<NoteEvent>(events[0]).text, "before the pause");
  host.finish([](const TraceWriterStats&) { return EndEvent{}; });
}

TEST(TraceWriterHost, WriteFailureIsReportedAndLaterEventsAreDroppedNotBlocked) {
  // A pipe takes the header, then its reader goes away: every frame write fails with EPIPE.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]);
  auto old_sigpipe = ::signal(SIGPIPE, SIG_IGN);
  TraceWriterHostOptions options;
  options.queue_max_events = 4;
  options.frame_bytes = 1024;
  TraceWriterHost host(std::make_unique<TraceFileWriter>(UniqueFd(fds[1]), "pipe:[test]"), options);
  read_end.reset();
  for (int i = 0; i < 1000; ++i)
    host.post(IoChunk{Stream::Stdout, 0, std::string(512, 'x'), 0, {}});
  const auto error = host.finish([](const TraceWriterStats&) { return EndEvent{}; });
  ::signal(SIGPIPE, old_sigpipe);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("pipe:[test]"), std::string::npos) << *error;
  EXPECT_NE(error->find("Broken pipe"), std::string::npos) << *error;
  EXPECT_GT(host.stats().dropped_events, 0u);
}
