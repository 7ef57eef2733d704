// OrderedOutput: relays -> ledger -> sink for --order=exact, with the ends and the notes.
#include "ctrecord/ordered_output.hpp"

#include <fmt/format.h>

#include "ctrecord/log.hpp"

namespace ctrecord {

namespace {

// A finished write whose bytes are not in its stream's buffer this long after the ledger first
// waited for them, while other output waits behind it, is taken to be lost. The recorder reads
// the pipes continuously, so real bytes arrive within milliseconds.
constexpr std::chrono::seconds kStallLimit{1};

std::size_t end_index(Stream stream) noexcept {
  return stream == Stream::Stderr ? 1 : 0;
}

}  // namespace

OrderedOutput::OrderedOutput(int stdout_write, int stderr_write, IoEventSink& sink,
                             OrderLedgerLimits limits)
    : sink_(sink),
      channel_(stdout_write, stderr_write),
      ledger_([this](IoChunk chunk) { sink_.on_ordered_chunk(std::move(chunk)); }, limits) {}

void OrderedOutput::on_chunk(IoChunk chunk) {
  chunk.context = sink_.context();  // the context of its read, whenever it is emitted
  ledger_.add_chunk(std::move(chunk));
}

void OrderedOutput::on_stream_closed(Stream stream, std::string reason) {
  if (stream != Stream::Stdout && stream != Stream::Stderr) return;
  ledger_.end_stream(stream);
  ended_[end_index(stream)] = std::move(reason);
}

void OrderedOutput::step() {
  if (finished_) return;
  channel_.poll_slots(ledger_);  // after the reads: every byte read has its slot there now
  ledger_.emit();
  const std::uint64_t stalled = ledger_.holding() ? ledger_.stalled_seq() : 0;
  const auto now = std::chrono::steady_clock::now();
  if (stalled == 0 || stalled != stalled_seq_) {
    stalled_seq_ = stalled;
    stalled_since_ = now;
  } else if (now - stalled_since_ >= kStallLimit) {
    log::debug("exact order: write {} finished but its bytes never came; dropped", stalled);
    ledger_.drop_stalled();
    ledger_.emit();
    stalled_seq_ = 0;
  }
  if (!overflow_noted_ && ledger_.counts().overflows > 0) {
    overflow_noted_ = true;
    sink_.note(NoteLevel::Warning,
               fmt::format("exact order: more than {} MiB of output waited for write {} to "
                           "finish or be read; {} bytes were recorded as unsequenced, in the "
                           "order read (the end note counts every such release)",
                           ledger_.limits().max_held_bytes >> 20,
                           ledger_.counts().last_overflow_seq, ledger_.counts().overflow_bytes));
  }
  post_due_ends();
}

void OrderedOutput::finish() {
  if (finished_) return;
  // Everything announced, as far as the ledger takes it (the streams have ended: each round
  // frees the slots it took).
  for (std::uint64_t before = ~std::uint64_t{0}; before != channel_.consumed();) {
    before = channel_.consumed();
    channel_.poll_slots(ledger_);
    ledger_.emit();
    if (ledger_.caught_up()) break;
  }
  ledger_.flush();
  channel_.disable();
  finished_ = true;
  post_due_ends();
  const OrderLedgerCounts& c = ledger_.counts();
  sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Info, summary()});
  if (c.unsequenced_bytes > 0) {
    log::info(
        "exact order: {} bytes of output were not sequenced (written without the shim: "
        "static binaries, raw syscalls, a cleared LD_PRELOAD); the trace flags them",
        c.unsequenced_bytes);
  }
}

std::string OrderedOutput::summary() const {
  const OrderLedgerCounts& c = ledger_.counts();
  return fmt::format(
      "order: exact: {} sequenced writes in {} exact chunks ({} bytes); {} unsequenced chunks "
      "({} bytes); {} writes released unsequenced, {} failed writes, {} writes without bytes "
      "({} given up after waiting); {} held-bytes overflows ({} bytes); {} malformed slots",
      c.sequenced_writes, c.exact_chunks, c.exact_bytes, c.unsequenced_chunks, c.unsequenced_bytes,
      c.released_writes, c.failed_writes, c.dropped_writes, c.stalled_writes, c.overflows,
      c.overflow_bytes, channel_.invalid_slots());
}

void OrderedOutput::post_due_ends() {
  for (const Stream stream : {Stream::Stdout, Stream::Stderr}) {
    auto& reason = ended_[end_index(stream)];
    if (!reason || !ledger_.stream_done(stream)) continue;
    sink_.on_stream_closed(stream, std::move(*reason));
    reason.reset();
  }
}

}  // namespace ctrecord
