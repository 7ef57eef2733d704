// merged_view / merged_views: the interleaving of stdout and stderr compared by --merged, and
// the notes on where each side's order comes from.
#include "ctreplay/merged_view.hpp"

#include <fmt/format.h>

namespace ctreplay {

using ctrecord::Stream;

namespace {

const char* plural(std::uint64_t n) {
  return n == 1 ? "" : "s";
}

const char* is_are(std::uint64_t n) {
  return n == 1 ? "is" : "are";
}

bool has_both_streams(const LoadedTrace& trace) {
  return !trace.streams[static_cast<std::size_t>(Stream::Stdout)].empty() &&
         !trace.streams[static_cast<std::size_t>(Stream::Stderr)].empty();
}

// Both sides exact: what the merged comparison leaves out or cannot vouch for, per side.
void exact_notes(const OrderStats& stats, const char* side, std::vector<std::string>& notes) {
  if (stats.unsequenced_chunks > 0) {
    notes.push_back(fmt::format(
        "--merged: {} unsequenced chunk{} ({} bytes) of the {} {} left out of the merged "
        "comparison (no write announced them, so their place in the write order is unknown); "
        "they are compared in their own streams",
        stats.unsequenced_chunks, plural(stats.unsequenced_chunks), stats.unsequenced_bytes, side,
        is_are(stats.unsequenced_chunks)));
  }
  if (stats.read_chunks > 0) {
    notes.push_back(fmt::format(
        "--merged: {} read-order chunk{} ({} bytes) of the {} {} left out of the merged "
        "comparison; they are compared in their own streams",
        stats.read_chunks, plural(stats.read_chunks), stats.read_bytes, side,
        is_are(stats.read_chunks)));
  }
  if (stats.out_of_sequence > 0) {
    notes.push_back(fmt::format(
        "--merged: {} exact chunk{} of the {} {} after a chunk with a higher sequence number "
        "(a damaged trace or a recorder bug); the merged comparison uses the trace order",
        stats.out_of_sequence, plural(stats.out_of_sequence), side,
        stats.out_of_sequence == 1 ? "comes" : "come"));
  }
}

}  // namespace

std::string merged_view(const LoadedTrace& trace, const Normalizer& normalizer, Side side,
                        bool exact_only) {
  std::string out;
  bool at_line_start = true;
  Stream last = Stream::Stdin;
  for (const auto& piece : trace.output_order) {
    if (exact_only && piece.order != ctrecord::ChunkOrder::Exact) continue;
    const Stream stream = piece.stream;
    const std::string bytes = normalizer.apply(
        trace.streams[static_cast<std::size_t>(stream)].substr(piece.offset, piece.size), side);
    for (char c : bytes) {
      if (at_line_start || stream != last) {
        if (!at_line_start) out += '\n';
        out += stream == Stream::Stdout ? "[stdout] " : "[stderr] ";
        at_line_start = false;
      }
      last = stream;
      if (c == '\n') {
        out += '\n';
        at_line_start = true;
      } else {
        out += c;
      }
    }
  }
  return out;
}

MergedViews merged_views(const LoadedTrace& expected, const LoadedTrace& actual,
                         const Normalizer& normalizer) {
  MergedViews views;
  views.exact = expected.order.exact() && actual.order.exact();
  views.expected = merged_view(expected, normalizer, Side::Recorded, views.exact);
  views.actual = merged_view(actual, normalizer, Side::Current, views.exact);
  if (views.exact) {
    exact_notes(expected.order, "recording", views.notes);
    exact_notes(actual.order, "replay", views.notes);
    return views;
  }
  // A read-order side matters only where it interleaves two streams.
  const bool expected_read = !expected.order.exact() && has_both_streams(expected);
  const bool actual_read = !actual.order.exact() && has_both_streams(actual);
  if (expected_read || actual_read) {
    const char* who = expected_read && actual_read ? "both traces are"
                      : expected_read              ? "the recording is"
                                                   : "the replay is";
    views.notes.push_back(fmt::format(
        "--merged: {} in read order: the interleaving of stdout and stderr is the order the "
        "recorder read the two pipes in, which can differ from run to run when writes come "
        "close together; record with --order=exact for the order they were written in "
        "(docs/exact-order.md)",
        who));
  }
  return views;
}

}  // namespace ctreplay
