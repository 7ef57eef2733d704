// OrderLedger: the heart of `ctest-record --order=exact` on the recorder's side. It cuts the
// bytes read from the stdout and stderr pipes into the writes the preloaded shim announced
// (slots, order_protocol.hpp) and hands them on as IoChunks in sequence order: an Exact chunk
// holds consecutive writes of one thread (seq, writes, pid, tid); bytes no announcement covers
// become Unsequenced chunks, kept intact. Pure logic: no syscalls, no clock, no threads.
//
// How it works, in short. Each stream has a buffer of bytes read but not yet emitted. Take
// the lowest-seq slot E not yet finished (stream S):
//  - Abandoned, or Done with a result <= 0 (EAGAIN, EPIPE, ...): dropped, nothing to credit.
//  - S's buffer starts with E's head bytes (those not yet credited): up to what E wrote
//    (result; `requested` while E is still Pending) is credited to E and emitted as Exact.
//    The first bytes of a write are credited only once its whole head can be compared (or S
//    has ended). A Pending slot without head bytes (a writer that fills them in once the call
//    returned) is waited for until it is Done.
//  - S's buffer does not start with them: the bytes before the first place where it does
//    (all of them when there is none) came from a writer without a slot: Unsequenced, at once.
// Bytes of a stream without any outstanding slot are Unsequenced at once (a slot is published
// before its write, so it is seen before its bytes once the ring is consumed after the read).
// Bytes of a stream waiting behind a lower seq of the other stream are held: they are emitted
// once the other stream's bytes arrive. Beyond `max_held_bytes` held (or `max_slots`
// outstanding slots) the held bytes are released as Unsequenced (still credited to their
// slots, so later writes stay attributed; the rest of a write released in part follows as
// Unsequenced too, so the Exact bytes of a write are always its first ones) and `overflows`
// counts it. flush() ends it all.
//
// A write emitted in several pieces (read in parts, or longer than max_chunk_bytes) appears in
// each of its chunks: a chunk's `seq` is the first write it holds bytes of, `writes` how many
// sequence numbers from there to the last one, so a continuation chunk repeats the seq of the
// write it continues. Chunk times are the read time of the chunk's last byte, never less than
// the previous chunk's; contexts and producers of unsequenced bytes are those of their read.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "ctrecord/io_chunk.hpp"
#include "ctrecord/order_protocol.hpp"

namespace ctrecord {

// One announced write, as copied out of the shared ring.
struct OrderSlot {
  enum class State : std::uint8_t { Pending, Done, Abandoned };
  std::uint64_t seq = 0;  // from 1, increasing (gaps allowed: invalid slots are skipped)
  Stream stream = Stream::Stdout;
  State state = State::Pending;
  std::uint64_t pid = 0;
  std::uint64_t tid = 0;
  std::uint64_t requested = 0;  // bytes asked for
  std::int64_t result = 0;      // Done: bytes written (>= 0) or -errno
  std::array<char, order::kHeadBytes> head{};
  // At most min(requested, kHeadBytes); fewer (down to none) when the writer copied only
  // the bytes the call wrote, or has not copied them yet (Pending).
  std::uint8_t head_len = 0;

  std::string_view head_bytes() const noexcept { return {head.data(), head_len}; }
};

struct OrderLedgerLimits {
  std::size_t max_held_bytes = std::size_t{16} << 20;  // both streams together
  std::size_t max_slots = 65536;                       // outstanding slots (~5 MiB)
  std::size_t max_chunk_bytes = std::size_t{256} << 10;
};

struct OrderLedgerCounts {
  std::uint64_t sequenced_writes = 0;  // slots credited with bytes emitted as Exact
  std::uint64_t released_writes = 0;   // slots whose bytes were released as Unsequenced only
  std::uint64_t failed_writes = 0;     // slots of writes that wrote nothing (result <= 0)
  std::uint64_t dropped_writes = 0;    // slots dropped without bytes: abandoned, never found
  std::uint64_t stalled_writes = 0;    // of those, dropped by drop_stalled()
  std::uint64_t exact_chunks = 0;
  std::uint64_t exact_bytes = 0;
  std::uint64_t unsequenced_chunks = 0;
  std::uint64_t unsequenced_bytes = 0;
  std::uint64_t overflows = 0;          // times held bytes were released as Unsequenced
  std::uint64_t overflow_bytes = 0;     // bytes released so
  std::uint64_t last_overflow_seq = 0;  // the slot everything waited for at the last overflow
};

class OrderLedger {
 public:
  using Emit = std::function<void(IoChunk)>;

  explicit OrderLedger(Emit emit, OrderLedgerLimits limits = {});

  // A slot, in seq order. The last one may be Pending and be given again (Pending or
  // finished) with the same seq; slots at or below a seq already given otherwise are ignored.
  void add_slot(const OrderSlot& slot);
  // How many more slots may be added now (the consumer stops taking slots from the ring at 0).
  std::size_t slot_room() const noexcept;
  // Whether every slot published before the last read has been added (false while the
  // consumer stopped early for slot_room()). Until it is, bytes of a stream without an
  // outstanding slot wait instead of becoming Unsequenced.
  void set_caught_up(bool caught_up) noexcept { caught_up_ = caught_up; }
  bool caught_up() const noexcept { return caught_up_; }

  // Bytes read from stdout or stderr (stream, bytes, t_ns, producer and context as read).
  void add_chunk(IoChunk chunk);
  // No more bytes will come for `stream` (EOF or closed): its slots waiting for bytes drop.
  void end_stream(Stream stream);

  // Emits everything that is in order now (call after add_chunk()s and then add_slot()s).
  void emit();
  // The end: emits what is in order, then every remaining byte as Unsequenced; outstanding
  // slots are dropped.
  void flush();

  bool holding() const noexcept;  // bytes wait in a buffer
  // The seq of the lowest outstanding slot when it is Done but none of the bytes it still
  // needs are in its stream's buffer (0 when there is no such slot). Its bytes are normally
  // read moments later; when they never come (a program that changed its buffer while the
  // shim copied the head, a reader that took them), the caller drops it after a while.
  std::uint64_t stalled_seq() const noexcept;
  void drop_stalled();  // drops the slot stalled_seq() names (nothing when 0); then emit()
  std::size_t held_bytes() const noexcept;
  // `stream` ended and every byte of it has been emitted.
  bool stream_done(Stream stream) const noexcept;
  const OrderLedgerCounts& counts() const noexcept { return counts_; }
  const OrderLedgerLimits& limits() const noexcept { return limits_; }

 private:
  struct Piece {  // one read: where it ends in the stream, and what it was read with
    std::uint64_t end = 0;
    std::uint64_t t_ns = 0;
    std::uint64_t producer = 0;
    std::string context;
  };
  struct Buffer {
    std::string data;  // data[start, size) is not emitted yet
    std::size_t start = 0;
    std::uint64_t origin = 0;  // stream offset of data[0]
    std::deque<Piece> pieces;  // covering data[start, size), in order
    bool ended = false;
    std::size_t size() const noexcept { return data.size() - start; }
    std::string_view view() const noexcept { return std::string_view(data).substr(start); }
  };
  struct Entry {
    OrderSlot slot;
    std::uint64_t credited = 0;
    bool exact = false;     // some of its bytes went out as Exact
    bool released = false;  // some went out as Unsequenced: so does the rest
  };
  enum class Step { Progress, Wait };

  static std::size_t index(Stream stream) noexcept { return stream == Stream::Stderr ? 1 : 0; }
  int lowest() const noexcept;  // the stream whose front slot has the lowest seq (-1: none)
  void run();                   // steps the lowest slot until it has to wait
  // One step on the front slot of stream `i`, emitting as `order` (Exact, or Unsequenced when
  // releasing held bytes).
  Step step_front(std::size_t i, ChunkOrder order);
  void release_held();
  // Takes `n` bytes from the front of stream i's buffer into the output.
  void take(std::size_t i, std::size_t n, ChunkOrder order, const Entry* entry);
  // Adds bytes with `meta`'s fields to the chunk being merged (or sends it and starts anew).
  void append(IoChunk meta, std::string_view bytes);
  void send_pending();
  void finish_front(std::size_t i);  // pops stream i's front slot, counting what it became

  Emit emit_;
  OrderLedgerLimits limits_;
  std::array<Buffer, 2> buffers_;
  std::array<std::deque<Entry>, 2> slots_;
  std::uint64_t next_seq_ = 1;  // slots below this were given already
  bool caught_up_ = true;
  bool have_pending_chunk_ = false;
  IoChunk pending_chunk_;  // the chunk being merged, sent at the end of each emit()
  std::uint64_t last_t_ns_ = 0;
  OrderLedgerCounts counts_;
};

}  // namespace ctrecord
