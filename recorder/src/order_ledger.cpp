// OrderLedger: announced writes + bytes as read -> chunks in sequence order (order_ledger.hpp).
#include "ctrecord/order_ledger.hpp"

#include <algorithm>

namespace ctrecord {

namespace {

constexpr Stream kStreams[2] = {Stream::Stdout, Stream::Stderr};

// Bytes a slot can still be credited with in all: what it wrote once Done, what it asked for
// while Pending.
std::uint64_t total_of(const OrderSlot& slot) noexcept {
  if (slot.state == OrderSlot::State::Pending) return slot.requested;
  if (slot.state == OrderSlot::State::Abandoned || slot.result <= 0) return 0;
  return std::min(static_cast<std::uint64_t>(slot.result), slot.requested);
}

// Whether `have` starts with `expect` as far as both go.
bool starts_like(std::string_view have, std::string_view expect) noexcept {
  const std::size_t n = std::min(have.size(), expect.size());
  return have.substr(0, n) == expect.substr(0, n);
}

// The first position from `from` where `have` holds `expect`, or, near the end, a prefix of
// it that the next bytes could complete; have.size() when there is none.
std::size_t find_head(std::string_view have, std::string_view expect, std::size_t from) noexcept {
  if (expect.empty()) return from;
  for (std::size_t p = from; p < have.size(); ++p) {
    p = have.find(expect.front(), p);
    if (p == std::string_view::npos) break;
    if (starts_like(have.substr(p), expect)) return p;
  }
  return have.size();
}

// The first position where `have` holds all of `expect` (npos when nowhere).
std::size_t find_whole(std::string_view have, std::string_view expect) noexcept {
  if (expect.empty()) return std::string_view::npos;
  return have.find(expect);
}

bool mergeable(const IoChunk& a, const IoChunk& b) noexcept {
  if (a.stream != b.stream || a.order != b.order || a.producer != b.producer ||
      a.context != b.context) {
    return false;
  }
  if (a.order != ChunkOrder::Exact) return true;
  const std::uint64_t next = a.seq + a.writes;
  return a.tid == b.tid && (b.seq == next || b.seq + 1 == next);
}

}  // namespace

OrderLedger::OrderLedger(Emit emit, OrderLedgerLimits limits)
    : emit_(std::move(emit)), limits_(limits) {
  limits_.max_chunk_bytes = std::max<std::size_t>(limits_.max_chunk_bytes, 1);
}

void OrderLedger::add_slot(const OrderSlot& slot) {
  if (slot.stream != Stream::Stdout && slot.stream != Stream::Stderr) return;
  auto& queue = slots_[index(slot.stream)];
  if (slot.seq < next_seq_) {
    // The last slot, given while Pending and now again: it may have finished (a writer may
    // fill in its size and head only then).
    if (!queue.empty() && queue.back().slot.seq == slot.seq &&
        queue.back().slot.state == OrderSlot::State::Pending) {
      queue.back().slot = slot;
    }
    return;
  }
  next_seq_ = slot.seq + 1;
  const bool done = slot.state == OrderSlot::State::Done;
  if (done && (slot.requested == 0 || slot.result <= 0)) {
    ++counts_.failed_writes;  // wrote nothing: nothing to find
    return;
  }
  if (slot.state == OrderSlot::State::Abandoned) {
    ++counts_.dropped_writes;  // its bytes, if any, are found to be unsequenced
    return;
  }
  queue.push_back({slot, 0});
}

std::size_t OrderLedger::slot_room() const noexcept {
  const std::size_t outstanding = slots_[0].size() + slots_[1].size();
  return outstanding >= limits_.max_slots ? 0 : limits_.max_slots - outstanding;
}

void OrderLedger::add_chunk(IoChunk chunk) {
  if ((chunk.stream != Stream::Stdout && chunk.stream != Stream::Stderr) || chunk.bytes.empty()) {
    return;
  }
  Buffer& b = buffers_[index(chunk.stream)];
  if (b.start > 0 && b.start >= b.data.size() / 2) {  // amortised: each byte moves at most once
    b.data.erase(0, b.start);
    b.origin += b.start;
    b.start = 0;
  }
  b.data.append(chunk.bytes);
  b.pieces.push_back(
      {b.origin + b.data.size(), chunk.t_ns, chunk.producer, std::move(chunk.context)});
}

void OrderLedger::end_stream(Stream stream) {
  if (stream == Stream::Stdout || stream == Stream::Stderr) buffers_[index(stream)].ended = true;
}

bool OrderLedger::holding() const noexcept {
  return held_bytes() > 0;
}

std::size_t OrderLedger::held_bytes() const noexcept {
  return buffers_[0].size() + buffers_[1].size();
}

bool OrderLedger::stream_done(Stream stream) const noexcept {
  if (stream != Stream::Stdout && stream != Stream::Stderr) return false;
  const Buffer& b = buffers_[index(stream)];
  return b.ended && b.size() == 0;
}

int OrderLedger::lowest() const noexcept {
  if (slots_[0].empty()) return slots_[1].empty() ? -1 : 1;
  if (slots_[1].empty()) return 0;
  return slots_[0].front().slot.seq < slots_[1].front().slot.seq ? 0 : 1;
}

std::uint64_t OrderLedger::stalled_seq() const noexcept {
  const int i = lowest();
  if (i < 0) return 0;
  const Entry& e = slots_[static_cast<std::size_t>(i)].front();
  if (e.slot.state != OrderSlot::State::Done) return 0;
  return buffers_[static_cast<std::size_t>(i)].size() == 0 ? e.slot.seq : 0;
}

void OrderLedger::drop_stalled() {
  if (stalled_seq() == 0) return;
  ++counts_.stalled_writes;
  finish_front(static_cast<std::size_t>(lowest()));
}

void OrderLedger::emit() {
  run();
  if (held_bytes() > limits_.max_held_bytes || (slot_room() == 0 && holding())) {
    release_held();
    run();
  }
  send_pending();
}

void OrderLedger::flush() {
  end_stream(Stream::Stdout);
  end_stream(Stream::Stderr);
  run();
  for (std::size_t i = 0; i < 2; ++i) {
    counts_.dropped_writes += slots_[i].size();
    slots_[i].clear();
    take(i, buffers_[i].size(), ChunkOrder::Unsequenced, nullptr);
  }
  send_pending();
}

void OrderLedger::run() {
  for (;;) {
    // Bytes of a stream without an outstanding slot have none to wait for.
    for (std::size_t i = 0; i < 2; ++i) {
      if (caught_up_ && slots_[i].empty() && buffers_[i].size() > 0) {
        take(i, buffers_[i].size(), ChunkOrder::Unsequenced, nullptr);
      }
    }
    const int i = lowest();
    if (i < 0 || step_front(static_cast<std::size_t>(i), ChunkOrder::Exact) == Step::Wait) return;
  }
}

OrderLedger::Step OrderLedger::step_front(std::size_t i, ChunkOrder order) {
  Buffer& b = buffers_[i];
  Entry& e = slots_[i].front();
  // A Pending write is credited as its bytes come only when its head is known; a writer that
  // fills in the head (and a writev's size) once the call returned is waited for.
  if (e.slot.state == OrderSlot::State::Pending && e.slot.head_len == 0) {
    if (b.size() == 0) {
      if (!b.ended) return Step::Wait;
      finish_front(i);
      return Step::Progress;
    }
    if (order == ChunkOrder::Exact) return Step::Wait;
    // Releasing held bytes: what its stream holds is taken to be its (a write larger than the
    // limit is still going on), credited unchecked, out of order.
    const std::uint64_t room =
        e.slot.requested > 0 ? e.slot.requested - std::min(e.credited, e.slot.requested) : b.size();
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(b.size(), room));
    if (n == 0) return Step::Wait;
    take(i, n, ChunkOrder::Unsequenced, &e);
    e.credited += n;
    e.released = true;
    return Step::Progress;
  }
  const std::uint64_t total = total_of(e.slot);
  if (e.credited >= total) {  // complete, failed or abandoned
    finish_front(i);
    return Step::Progress;
  }
  const std::uint64_t limit = total - e.credited;
  const std::string_view head = e.slot.head_bytes();
  std::string_view expect = head.substr(std::min<std::uint64_t>(e.credited, head.size()));
  expect = expect.substr(0, std::min<std::uint64_t>(expect.size(), limit));
  const std::string_view have = b.view();
  if (have.empty()) {
    if (b.ended) {  // its bytes will never come
      finish_front(i);
      return Step::Progress;
    }
    return Step::Wait;
  }
  if (starts_like(have, expect)) {
    // The first bytes of a write are credited once its head can be compared whole.
    if (have.size() < expect.size() && !b.ended) return Step::Wait;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(have.size(), limit));
    if (e.released) order = ChunkOrder::Unsequenced;
    take(i, n, order, &e);
    e.credited += n;
    e.exact = e.exact || order == ChunkOrder::Exact;
    e.released = e.released || order == ChunkOrder::Unsequenced;
    if (e.credited >= total) finish_front(i);
    return Step::Progress;
  }
  // Not its bytes at the front: what comes before them was written without a slot. Once the
  // slot is Done, a later slot of the stream started after it ended: its head found first
  // means this write's bytes are not in the stream (lost, or already taken as unsequenced).
  std::size_t cut = find_head(have, expect, 1);
  bool lost = false;
  if (e.slot.state == OrderSlot::State::Done) {
    for (std::size_t k = 1; k < slots_[i].size(); ++k) {
      const OrderSlot& later = slots_[i][k].slot;
      const std::uint64_t later_total = total_of(later);
      if (later_total == 0) continue;
      const std::string_view later_head =
          later.head_bytes().substr(0, std::min<std::uint64_t>(later.head_len, later_total));
      const std::size_t at = find_whole(have.substr(0, cut + later_head.size()), later_head);
      if (at != std::string_view::npos && at < cut) {
        cut = at;
        lost = true;
      }
      break;
    }
  }
  take(i, cut, ChunkOrder::Unsequenced, nullptr);
  if (lost) finish_front(i);
  return Step::Progress;
}

void OrderLedger::release_held() {
  const std::size_t before = held_bytes();
  const int blocking = lowest();
  const std::uint64_t blocking_seq =
      blocking < 0 ? 0 : slots_[static_cast<std::size_t>(blocking)].front().slot.seq;
  for (std::size_t i = 0; i < 2; ++i) {
    // Credited to their own slots (so later writes stay attributed), but out of order.
    while (!slots_[i].empty() && step_front(i, ChunkOrder::Unsequenced) == Step::Progress) {
    }
    if (caught_up_ && slots_[i].empty()) {
      take(i, buffers_[i].size(), ChunkOrder::Unsequenced, nullptr);
    }
  }
  const std::size_t released = before - held_bytes();
  if (released == 0) return;
  ++counts_.overflows;
  counts_.overflow_bytes += released;
  counts_.last_overflow_seq = blocking_seq;
}

void OrderLedger::take(std::size_t i, std::size_t n, ChunkOrder order, const Entry* entry) {
  Buffer& b = buffers_[i];
  n = std::min(n, b.size());
  while (n > 0) {
    const Piece& piece = b.pieces.front();
    const std::uint64_t at = b.origin + b.start;
    const std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(n, piece.end - at));
    IoChunk meta;
    meta.stream = kStreams[i];
    meta.t_ns = piece.t_ns;
    meta.context = piece.context;
    meta.order = order;
    meta.producer = entry ? entry->slot.pid : piece.producer;
    if (order == ChunkOrder::Exact && entry) {
      meta.seq = entry->slot.seq;
      meta.writes = 1;
      meta.tid = entry->slot.tid;
    }
    append(std::move(meta), std::string_view(b.data).substr(b.start, m));
    b.start += m;
    n -= m;
    if (b.origin + b.start == piece.end) b.pieces.pop_front();
  }
  if (b.size() == 0) {
    b.origin += b.data.size();
    b.data.clear();
    b.start = 0;
  }
}

void OrderLedger::append(IoChunk meta, std::string_view bytes) {
  while (!bytes.empty()) {
    if (!have_pending_chunk_ || !mergeable(pending_chunk_, meta) ||
        pending_chunk_.bytes.size() >= limits_.max_chunk_bytes) {
      send_pending();
      pending_chunk_ = meta;
      have_pending_chunk_ = true;
    } else if (meta.order == ChunkOrder::Exact &&
               meta.seq == pending_chunk_.seq + pending_chunk_.writes) {
      ++pending_chunk_.writes;
    }
    const std::size_t room = limits_.max_chunk_bytes - pending_chunk_.bytes.size();
    const std::size_t part = std::min(room, bytes.size());
    pending_chunk_.bytes.append(bytes.substr(0, part));
    pending_chunk_.t_ns = std::max(pending_chunk_.t_ns, meta.t_ns);
    bytes.remove_prefix(part);
  }
}

void OrderLedger::send_pending() {
  if (!have_pending_chunk_) return;
  have_pending_chunk_ = false;
  IoChunk chunk = std::move(pending_chunk_);
  pending_chunk_ = IoChunk{};
  chunk.t_ns = std::max(chunk.t_ns, last_t_ns_);
  last_t_ns_ = chunk.t_ns;
  if (chunk.order == ChunkOrder::Exact) {
    ++counts_.exact_chunks;
    counts_.exact_bytes += chunk.bytes.size();
  } else {
    ++counts_.unsequenced_chunks;
    counts_.unsequenced_bytes += chunk.bytes.size();
  }
  emit_(std::move(chunk));
}

void OrderLedger::finish_front(std::size_t i) {
  const Entry& e = slots_[i].front();
  if (e.exact) {
    ++counts_.sequenced_writes;
  } else if (e.credited > 0) {
    ++counts_.released_writes;
  } else if (total_of(e.slot) == 0 && e.slot.state == OrderSlot::State::Done) {
    ++counts_.failed_writes;
  } else {
    ++counts_.dropped_writes;
  }
  slots_[i].pop_front();
}

}  // namespace ctrecord
