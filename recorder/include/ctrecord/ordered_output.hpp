// OrderedOutput: --order=exact between the output relays and the IoEventSink. It owns the
// shared memory (OrderChannel) and the ledger (OrderLedger): the relays hand it their chunks
// (stamped with the context active when they were read) and stream ends; step(), called after
// each batch of reads, consumes the ring and lets the ledger emit what is in order, into the
// sink; a stream's end is recorded once its last byte is out. It also drops a write whose
// bytes have not come a second after it finished while others wait behind it, notes the first
// held-bytes overflow, and at finish() flushes everything, disables the channel and records
// a note with the counts. Single-threaded: the spawn loop's thread.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include "ctrecord/chunk_route.hpp"
#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/order_channel.hpp"
#include "ctrecord/order_ledger.hpp"

namespace ctrecord {

class OrderedOutput : public ChunkRoute {
 public:
  // The write ends of the capture pipes, before the spawn (OrderChannel). Throws
  // EnvironmentError.
  OrderedOutput(int stdout_write, int stderr_write, IoEventSink& sink,
                OrderLedgerLimits limits = {});
  OrderedOutput(const OrderedOutput&) = delete;
  OrderedOutput& operator=(const OrderedOutput&) = delete;

  const OrderChannel& channel() const noexcept { return channel_; }

  void on_chunk(IoChunk chunk) override;
  void on_stream_closed(Stream stream, std::string reason) override;

  // After reading: slots from the ring, chunks in order into the sink, ends that are due.
  void step();
  bool holding() const noexcept { return ledger_.holding(); }  // then step() again soon
  // The end: every byte out (what is not in order as Unsequenced), writers told to stop
  // sequencing, ends and the counts note recorded. Later calls do nothing.
  void finish();
  const OrderLedgerCounts& counts() const noexcept { return ledger_.counts(); }
  std::string summary() const;  // the counts as one line

 private:
  void post_due_ends();

  IoEventSink& sink_;
  OrderChannel channel_;
  OrderLedger ledger_;
  std::array<std::optional<std::string>, 2> ended_;  // reasons of ends not recorded yet
  std::uint64_t stalled_seq_ = 0;
  std::chrono::steady_clock::time_point stalled_since_{};
  bool overflow_noted_ = false;
  bool finished_ = false;
};

}  // namespace ctrecord
