// OrderStats: where the merged order of a trace's stdout and stderr chunks comes from (read
// order, or exact order from ctest-record --order=exact with its unsequenced leftovers), counted
// chunk by chunk for `ctest-trace info` and the `--merged` comparison.
#pragma once

#include <cstdint>
#include <string>

#include "ctrecord/io_chunk.hpp"

namespace ctreplay {

struct OrderStats {
  std::uint64_t read_chunks = 0;  // stdout/stderr chunks without order fields
  std::uint64_t read_bytes = 0;
  std::uint64_t exact_chunks = 0;
  std::uint64_t exact_bytes = 0;
  // Write calls the exact chunks hold: IoChunk::writes summed, a write that goes on from one
  // chunk into the next (same seq) counted once.
  std::uint64_t writes = 0;
  std::uint64_t unsequenced_chunks = 0;
  std::uint64_t unsequenced_bytes = 0;
  // Exact chunks whose seq is lower than that of an exact chunk before them in the trace (the
  // recorder writes them in sequence order: nonzero means a damaged or buggy recording).
  std::uint64_t out_of_sequence = 0;
  std::uint64_t highest_seq = 0;  // bookkeeping for out_of_sequence
  std::uint64_t last_write = 0;   // bookkeeping for writes: seq of the last write counted

  // Counts one chunk (stdin chunks are not part of the merged order and are ignored).
  void add(const ctrecord::IoChunk& chunk);
  // Recorded with --order=exact: some output chunk carries order fields.
  bool exact() const noexcept { return exact_chunks + unsequenced_chunks > 0; }
};

// "exact (1234 chunks in 5678 writes; 3 chunks / 120 bytes unsequenced)" or "read".
std::string describe_order(const OrderStats& stats);

}  // namespace ctreplay
