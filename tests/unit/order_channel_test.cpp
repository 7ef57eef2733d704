// OrderChannel: the shared memory of --order=exact (header, memfd, robust mutex) and the ring
// consumer, driven by a protocol writer (order_test_writer.hpp) instead of the preload shim.
#include "ctrecord/order_channel.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "ctrecord/pipes.hpp"
#include "ctrecord/spawn.hpp"
#include "order_test_writer.hpp"

namespace {

using ctrecord::ChunkOrder;
using ctrecord::IoChunk;
using ctrecord::OrderChannel;
using ctrecord::OrderLedger;
using ctrecord::Stream;
namespace order = ctrecord::order;

struct Capture {
  ctrecord::Pipe out = ctrecord::make_pipe();
  ctrecord::Pipe err = ctrecord::make_pipe();
  OrderChannel channel{out.write.get(), err.write.get()};
  std::vector<IoChunk> chunks;
  OrderLedger ledger{[this](IoChunk c) { chunks.push_back(std::move(c)); }};

  // What one read of each pipe gives, into the ledger; then the ring; then emit.
  void read_then_poll() {
    for (auto* p : {&out, &err}) {
      char buf[4096];
      ctrecord::set_nonblocking(p->read.get());
      const ssize_t n = ::read(p->read.get(), buf, sizeof buf);
      if (n <= 0) continue;
      IoChunk c;
      c.stream = p == &out ? Stream::Stdout : Stream::Stderr;
      c.bytes.assign(buf, static_cast<std::size_t>(n));
      ledger.add_chunk(std::move(c));
    }
    channel.poll_slots(ledger);
    ledger.emit();
  }
};

std::string readlink_of(const std::string& path) {
  char target[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n < 0 ? "" : std::string(target, static_cast<std::size_t>(n));
}

TEST(OrderChannel, MemfdIsCloseOnExecSealedAndNamedInTheEnvironmentValue) {
  Capture c;
  const int fd = c.channel.child_fd();
  ASSERT_GE(fd, 3);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  const int seals = ::fcntl(fd, F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_EQ(seals & F_SEAL_WRITE, 0);  // writers write into it
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), sizeof(order::SharedState));
  EXPECT_EQ(c.channel.env_value(), "1:" + std::to_string(::getpid()) + ":" + std::to_string(fd) +
                                       ":" + std::to_string(st.st_ino));
  EXPECT_EQ(
      readlink_of("/proc/self/fd/" + std::to_string(fd)).rfind("/memfd:ctest-record-order", 0), 0u);
  EXPECT_NE(::ftruncate(fd, 0), 0);  // a command cannot shrink it under the recorder
}

TEST(OrderChannel, HeaderNamesTheRecorderAndTheCapturePipes) {
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  const order::SharedState& s = writer.state();
  EXPECT_EQ(s.magic, order::kMagic);
  EXPECT_EQ(s.version, order::kVersion);
  EXPECT_EQ(s.recorder_pid, ::getpid());
  EXPECT_EQ(s.ring_slots, order::kRingSlots);
  struct stat out {
  }, err{};
  ASSERT_EQ(::fstat(c.out.write.get(), &out), 0);
  ASSERT_EQ(::fstat(c.err.write.get(), &err), 0);
  EXPECT_EQ(s.stdout_dev, out.st_dev);
  EXPECT_EQ(s.stdout_ino, out.st_ino);
  EXPECT_EQ(s.stderr_dev, err.st_dev);
  EXPECT_EQ(s.stderr_ino, err.st_ino);
  EXPECT_NE(s.stdout_ino, s.stderr_ino);
  EXPECT_EQ(s.disabled.load(), 0u);
  EXPECT_EQ(s.head.load(), 0u);
  EXPECT_EQ(s.tail.load(), 0u);
}

TEST(OrderChannel, AWriterKilledHoldingTheLockDoesNotWedgeTheOthers) {
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // (the mapping is shared with the parent)
    writer.lock();
    writer.publish(1, "never written");
    ::_exit(0);  // dies holding the lock, its slot Pending
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  // The next writer gets the lock (EOWNERDEAD, made consistent) and marks the slot Abandoned.
  ASSERT_EQ(writer.write(c.out.write.get(), 1, "next\n"), 5);
  EXPECT_EQ(writer.state().ring[0].state.load(), order::kAbandoned);
  c.read_then_poll();
  ASSERT_EQ(c.chunks.size(), 1u);
  EXPECT_EQ(c.chunks[0].bytes, "next\n");
  EXPECT_EQ(c.chunks[0].seq, 2u);
  EXPECT_EQ(c.ledger.counts().dropped_writes, 1u);
}

TEST(OrderChannel, FinishedSlotsAreConsumedInOrderAndThePendingLastOneIsOnlyShown) {
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  ASSERT_EQ(writer.write(c.out.write.get(), 1, "one\n"), 4);
  ASSERT_EQ(writer.write(c.err.write.get(), 2, "two\n"), 4);
  writer.lock();
  auto& third = writer.publish(1, "three, still writing\n");
  ASSERT_EQ(::write(c.out.write.get(), "three, ", 7), 7);
  c.read_then_poll();
  EXPECT_EQ(c.channel.consumed(), 2u);
  EXPECT_EQ(writer.state().tail.load(), 2u);
  EXPECT_TRUE(c.ledger.holding());  // "three, " waits for its write to be Done
  ASSERT_EQ(c.chunks.size(), 2u);   // "three, " waits: its head is not whole yet
  EXPECT_EQ(c.chunks[0].bytes, "one\n");
  EXPECT_EQ(c.chunks[0].order, ChunkOrder::Exact);
  EXPECT_EQ(c.chunks[0].seq, 1u);
  EXPECT_EQ(c.chunks[0].producer, static_cast<std::uint64_t>(::getpid()));
  EXPECT_EQ(c.chunks[0].tid, static_cast<std::uint64_t>(::gettid()));
  EXPECT_EQ(c.chunks[1].bytes, "two\n");
  EXPECT_EQ(c.chunks[1].stream, Stream::Stderr);
  EXPECT_EQ(c.chunks[1].seq, 2u);
  ASSERT_EQ(::write(c.out.write.get(), "still writing\n", 14), 14);
  ctrtest::OrderTestWriter::finish(third, 21);
  writer.unlock();
  c.read_then_poll();
  EXPECT_EQ(c.channel.consumed(), 3u);
  ASSERT_EQ(c.chunks.size(), 3u);
  EXPECT_EQ(c.chunks[2].bytes, "three, still writing\n");
  EXPECT_EQ(c.chunks[2].seq, 3u);
  EXPECT_TRUE(c.ledger.caught_up());
}

TEST(OrderChannel, SlotsWhoseHeadAndSizeComeOnlyWhenDoneAreAccepted) {
  // libctrecord_order.so copies the head from what the call wrote, after it returned, and
  // knows a writev's size only then.
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  writer.lock();
  auto& slot = writer.publish(1, "");
  ASSERT_EQ(::write(c.out.write.get(), "abcdef", 6), 6);
  c.read_then_poll();
  EXPECT_EQ(c.channel.invalid_slots(), 0u);
  EXPECT_TRUE(c.chunks.empty());
  slot.requested = 10;  // asked for 10, wrote 6
  slot.head_len = 6;
  std::memcpy(slot.head, "abcdef", 6);
  ctrtest::OrderTestWriter::finish(slot, 6);
  writer.unlock();
  c.read_then_poll();
  EXPECT_EQ(c.channel.invalid_slots(), 0u);
  ASSERT_EQ(c.chunks.size(), 1u);
  EXPECT_EQ(c.chunks[0].bytes, "abcdef");
  EXPECT_EQ(c.chunks[0].order, ChunkOrder::Exact);
}

TEST(OrderChannel, MalformedSlotsAreSkippedAndAHeadFarAheadIsBounded) {
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  writer.lock();
  auto& bad_stream = writer.publish(1, "x");
  bad_stream.stream = 7;
  ctrtest::OrderTestWriter::finish(bad_stream, 1);
  auto& bad_seq = writer.publish(1, "y");
  bad_seq.seq = 99;
  ctrtest::OrderTestWriter::finish(bad_seq, 1);
  auto& bad_head = writer.publish(1, "z");
  bad_head.head_len = 200;
  ctrtest::OrderTestWriter::finish(bad_head, 1);
  auto& too_much = writer.publish(1, "ok");
  ctrtest::OrderTestWriter::finish(too_much, 1 << 20);  // more than it asked for: taken as 2
  writer.unlock();
  ASSERT_EQ(::write(c.out.write.get(), "xyzok", 5), 5);
  c.read_then_poll();
  EXPECT_EQ(c.channel.invalid_slots(), 3u);
  EXPECT_EQ(c.channel.consumed(), 4u);
  ASSERT_EQ(c.chunks.size(), 2u);
  EXPECT_EQ(c.chunks[0].bytes, "xyz");
  EXPECT_EQ(c.chunks[0].order, ChunkOrder::Unsequenced);
  EXPECT_EQ(c.chunks[1].bytes, "ok");
  EXPECT_EQ(c.chunks[1].order, ChunkOrder::Exact);
  // A head a command pushed far ahead: at most a ring's worth is looked at per poll.
  writer.state().head.store(1'000'000);
  c.channel.poll_slots(c.ledger);
  EXPECT_EQ(c.channel.consumed(), 4u + order::kRingSlots);
  EXPECT_EQ(c.channel.invalid_slots(), 3u + order::kRingSlots);
}

TEST(OrderChannel, StopsWhereTheLedgerHasNoRoomAndSaysItIsBehind) {
  ctrecord::Pipe out = ctrecord::make_pipe(), err = ctrecord::make_pipe();
  OrderChannel channel(out.write.get(), err.write.get());
  ctrecord::OrderLedgerLimits limits;
  limits.max_slots = 2;
  OrderLedger ledger([](IoChunk) {}, limits);
  ctrtest::OrderTestWriter writer(channel.child_fd());
  for (int i = 0; i < 5; ++i) writer.write(out.write.get(), 1, "w");
  channel.poll_slots(ledger);
  EXPECT_EQ(channel.consumed(), 2u);
  EXPECT_FALSE(ledger.caught_up());
  EXPECT_EQ(writer.state().tail.load(), 2u);
}

TEST(OrderChannel, WritersWaitForRingSpaceUntilTheRecorderConsumes) {
  Capture c;
  ctrtest::OrderTestWriter writer(c.channel.child_fd());
  ctrecord::set_nonblocking(c.out.read.get());
  const std::size_t total = order::kRingSlots + 100;
  std::thread producer([&] {
    for (std::size_t i = 0; i < total; ++i) writer.write(c.out.write.get(), 1, "w");
  });
  std::size_t seen = 0;
  while (c.channel.consumed() < total) {
    c.read_then_poll();
    seen = c.chunks.size();
  }
  producer.join();
  c.read_then_poll();
  std::string all;
  for (const auto& chunk : c.chunks) {
    EXPECT_EQ(chunk.order, ChunkOrder::Exact);
    all += chunk.bytes;
  }
  EXPECT_EQ(all, std::string(total, 'w'));
  EXPECT_GE(c.chunks.size(), seen);
  EXPECT_EQ(c.ledger.counts().sequenced_writes, total);
}

TEST(OrderChannel, DisableAndDestructionTellWritersToStop) {
  ctrecord::Pipe out = ctrecord::make_pipe(), err = ctrecord::make_pipe();
  auto channel = std::make_unique<OrderChannel>(out.write.get(), err.write.get());
  ctrtest::OrderTestWriter writer(channel->child_fd());
  channel->disable();
  EXPECT_EQ(writer.state().disabled.load(), 1u);
  writer.state().disabled.store(0);
  channel.reset();  // the writer's own mapping outlives it
  EXPECT_EQ(writer.state().disabled.load(), 1u);
}

TEST(OrderChannel, TheCommandInheritsTheMemfdOnlyThroughTheSpawn) {
  Capture c;
  const int fd = c.channel.child_fd();
  const auto run = [&](bool inherit) {
    ctrecord::ChildSpec spec;
    spec.executable = "/bin/sh";
    spec.argv = {"sh", "-c", "[ -e /proc/self/fd/" + std::to_string(fd) + " ]"};
    sigemptyset(&spec.sigmask);
    if (inherit) spec.inherit_fds.push_back(fd);
    const pid_t pid = ctrecord::spawn_child(spec);
    EXPECT_GT(pid, 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run(true), 0);
  EXPECT_EQ(run(false), 1);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);  // ours stays close-on-exec
}

}  // namespace
