// OrderStats: counting stdout/stderr chunks by where their merged order comes from.
#include "ctreplay/order_stats.hpp"

#include <fmt/format.h>

namespace ctreplay {

void OrderStats::add(const ctrecord::IoChunk& chunk) {
  if (chunk.stream == ctrecord::Stream::Stdin) return;
  switch (chunk.order) {
    case ctrecord::ChunkOrder::Read:
      ++read_chunks;
      read_bytes += chunk.bytes.size();
      break;
    case ctrecord::ChunkOrder::Exact:
      ++exact_chunks;
      exact_bytes += chunk.bytes.size();
      if (chunk.writes > 0) {
        const bool continued = chunk.seq != 0 && chunk.seq == last_write;
        writes += chunk.writes - (continued ? 1 : 0);
        last_write = chunk.seq + chunk.writes - 1;
      }
      if (chunk.seq < highest_seq) ++out_of_sequence;
      if (chunk.seq > highest_seq) highest_seq = chunk.seq;
      break;
    case ctrecord::ChunkOrder::Unsequenced:
      ++unsequenced_chunks;
      unsequenced_bytes += chunk.bytes.size();
      break;
  }
}

std::string describe_order(const OrderStats& stats) {
  if (!stats.exact()) return "read";
  std::string text =
      fmt::format("exact ({} chunk{} in {} write{}; ", stats.exact_chunks,
                  stats.exact_chunks == 1 ? "" : "s", stats.writes, stats.writes == 1 ? "" : "s");
  if (stats.unsequenced_chunks == 0) {
    text += "none unsequenced";
  } else {
    text += fmt::format("{} chunk{} / {} byte{} unsequenced", stats.unsequenced_chunks,
                        stats.unsequenced_chunks == 1 ? "" : "s", stats.unsequenced_bytes,
                        stats.unsequenced_bytes == 1 ? "" : "s");
  }
  if (stats.read_chunks > 0) {
    text += fmt::format("; {} chunk{} / {} byte{} in read order", stats.read_chunks,
                        stats.read_chunks == 1 ? "" : "s", stats.read_bytes,
                        stats.read_bytes == 1 ? "" : "s");
  }
  if (stats.out_of_sequence > 0) {
    text += fmt::format("; {} chunk{} OUT OF SEQUENCE", stats.out_of_sequence,
                        stats.out_of_sequence == 1 ? "" : "s");
  }
  return text + ")";
}

}  // namespace ctreplay
