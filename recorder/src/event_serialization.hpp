// cereal serialize functions for the event structs of trace_events.hpp (format v1). The field
// order here IS the on-disk body layout documented in docs/trace-format.md: changing, adding
// or reordering a field of an existing event is a format version bump.
//
// Only the two private archives of bounded_archive.hpp are supported. Enums are stored as u8 and
// range-checked on load; vectors as a u64 count followed by the elements, the count checked
// against the bytes left (times the smallest possible element encoding) before allocating;
// fixed-size arrays element by element.
#pragma once

#include <cereal/types/string.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bounded_archive.hpp"
#include "ctrecord/trace_events.hpp"

namespace ctrecord::detail {

// An enum stored as one byte, valid values 0..max.
template <typename E>
struct EnumField {
  E& value;
  std::uint8_t max;

  void save(LeOutputArchive& ar) const { ar(static_cast<std::uint8_t>(value)); }
  void load(BoundedInputArchive& ar) {
    std::uint8_t raw = 0;
    ar(raw);
    if (raw > max) ar.fail("invalid enum value " + std::to_string(raw));
    value = static_cast<E>(raw);
  }
};

// A vector stored as [u64 count][elements]; every element encodes to >= min_bytes_each bytes,
// which bounds the count by the bytes left before the vector is resized.
template <typename T>
struct VectorField {
  std::vector<T>& value;
  std::size_t min_bytes_each;

  void save(LeOutputArchive& ar) const {
    ar(static_cast<std::uint64_t>(value.size()));
    for (const T& element : value) ar(element);
  }
  void load(BoundedInputArchive& ar) {
    std::uint64_t count = 0;
    ar(count);
    ar.check_count(count, min_bytes_each, "element count");
    value.clear();
    value.resize(static_cast<std::size_t>(count));
    for (T& element : value) ar(element);
  }
};

inline constexpr std::size_t kMinStringBytes = 8;             // u64 length
inline constexpr std::size_t kMinEnvVarBytes = 8 + 8 + 1;     // name, value, redacted
inline constexpr std::uint8_t kMaxStream = kStreamCount - 1;  // Stream::Stderr
inline constexpr std::uint8_t kMaxNoteLevel = 2;              // NoteLevel::Error
inline constexpr std::uint8_t kMaxTestPhase = 1;              // TestPhase::Finished
inline constexpr std::uint8_t kMaxTerminalChange = 1;         // TerminalChange::Resized

// The body of an io_order record (EventKind::IoOrder): the exact-order fields of the IoChunk
// whose io record comes right before it. `order` is never Read on disk (a read-order chunk has
// no io_order record), so only 1 (exact) and 2 (unsequenced) decode.
struct IoOrderRecord {
  ChunkOrder order = ChunkOrder::Exact;
  std::uint64_t seq = 0;
  std::uint64_t writes = 0;
  std::uint64_t tid = 0;
};

// IoOrderRecord::order: one byte, 1 or 2.
struct OrderField {
  ChunkOrder& value;

  void save(LeOutputArchive& ar) const { ar(static_cast<std::uint8_t>(value)); }
  void load(BoundedInputArchive& ar) {
    std::uint8_t raw = 0;
    ar(raw);
    if (raw != static_cast<std::uint8_t>(ChunkOrder::Exact) &&
        raw != static_cast<std::uint8_t>(ChunkOrder::Unsequenced)) {
      ar.fail("invalid order value " + std::to_string(raw) + " (1 exact, 2 unsequenced)");
    }
    value = static_cast<ChunkOrder>(raw);
  }
};

template <typename Archive>
void serialize(Archive& ar, EnvVar& var) {
  ar(var.name, var.value, var.redacted);
}

template <typename Archive>
void serialize(Archive& ar, StartEvent& ev) {
  ar(VectorField<std::string>{ev.argv, kMinStringBytes}, ev.executable, ev.cwd,
     VectorField<EnvVar>{ev.env, kMinEnvVarBytes}, ev.hostname, ev.uname, ev.start_unix_ns,
     ev.tool_version, ev.capture_io, ev.policy_source, ev.isatty[0], ev.isatty[1], ev.isatty[2],
     ev.stdin_mode, ev.git_commit, ev.recorder_pid, ev.child_pid, ev.capture_mode);
}

template <typename Archive>
void serialize(Archive& ar, IoChunk& chunk) {
  ar(EnumField<Stream>{chunk.stream, kMaxStream}, chunk.t_ns, chunk.bytes, chunk.producer,
     chunk.context);
}

template <typename Archive>
void serialize(Archive& ar, IoOrderRecord& record) {
  ar(OrderField{record.order}, record.seq, record.writes, record.tid);
}

template <typename Archive>
void serialize(Archive& ar, StreamClosedEvent& ev) {
  ar(EnumField<Stream>{ev.stream, kMaxStream}, ev.t_ns, ev.reason);
}

template <typename Archive>
void serialize(Archive& ar, NoteEvent& ev) {
  ar(ev.t_ns, EnumField<NoteLevel>{ev.level, kMaxNoteLevel}, ev.text);
}

template <typename Archive>
void serialize(Archive& ar, ExitEvent& ev) {
  ar(ev.t_ns, ev.exited, ev.code, ev.signal, ev.core_dumped, ev.status, ev.spawn_error,
     ev.duration_ns, ev.max_rss_kib, ev.user_cpu_us, ev.sys_cpu_us);
}

template <typename Archive>
void serialize(Archive& ar, Counters& c) {
  ar(c.bytes[0], c.bytes[1], c.bytes[2], c.chunks[0], c.chunks[1], c.chunks[2], c.dropped_chunks,
     c.dropped_bytes, c.queue_high_water);
}

template <typename Archive>
void serialize(Archive& ar, EndEvent& ev) {
  ar(ev.t_ns, ev.counters);
}

template <typename Archive>
void serialize(Archive& ar, TestEvent& ev) {
  ar(ev.t_ns, EnumField<TestPhase>{ev.phase, kMaxTestPhase}, ev.test_id, ev.outcome, ev.duration_ns,
     ev.producer);
}

template <typename Archive>
void serialize(Archive& ar, CapturedEvent& ev) {
  ar(ev.t_ns, ev.test_id, ev.section, ev.bytes, ev.producer);
}

template <typename Archive>
void serialize(Archive& ar, TerminalEvent& ev) {
  ar(ev.t_ns, EnumField<TerminalChange>{ev.change, kMaxTerminalChange}, ev.mode, ev.merged, ev.rows,
     ev.cols, ev.xpixel, ev.ypixel, ev.term);
}

}  // namespace ctrecord::detail
