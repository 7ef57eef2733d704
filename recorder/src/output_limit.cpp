// OutputLimiter: head kept as it comes, a bounded tail ring, the cut in between noted.
#include "ctrecord/output_limit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace ctrecord {

namespace {
constexpr std::string_view kPrefix = "output cut by --max-trace-size ";
// Chunks in the tail are merged while they come from the same writer and context, so a
// command writing a byte at a time does not hold a ring of millions of chunks.
constexpr std::size_t kMergeBytes = 64 * 1024;

// Reads a decimal number at the front of `text` and removes it; false if there is none.
bool take_number(std::string_view& text, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

bool take_word(std::string_view& text, std::string_view word) {
  if (!text.starts_with(word)) return false;
  text.remove_prefix(word.size());
  return true;
}
}  // namespace

std::string cut_note_text(const OutputCut& cut) {
  return fmt::format("{}{}: {} bytes of {} cut between offsets {} and {}", kPrefix, cut.limit,
                     cut.bytes(), stream_name(cut.stream), cut.from, cut.to);
}

std::optional<OutputCut> parse_cut_note(std::string_view text) {
  OutputCut cut;
  std::uint64_t bytes = 0;
  if (!take_word(text, kPrefix) || !take_number(text, cut.limit) || !take_word(text, ": ") ||
      !take_number(text, bytes) || !take_word(text, " bytes of ")) {
    return std::nullopt;
  }
  const auto space = text.find(' ');
  const auto stream = parse_stream(text.substr(0, space));
  if (!stream || *stream == Stream::Stdin || space == std::string_view::npos) return std::nullopt;
  cut.stream = *stream;
  text.remove_prefix(space);
  if (!take_word(text, " cut between offsets ") || !take_number(text, cut.from) ||
      !take_word(text, " and ") || !take_number(text, cut.to) || !text.empty() ||
      cut.to < cut.from || cut.to - cut.from != bytes) {
    return std::nullopt;
  }
  return cut;
}

OutputLimiter::OutputLimiter(std::uint64_t limit)
    : limit_(limit),
      head_left_(limit / 2),
      tail_cap_(std::min<std::uint64_t>(limit - limit / 2, kMaxTailBytes)) {}

std::uint64_t OutputLimiter::cost(const Held& held) noexcept {
  return held.chunk.bytes.size() + held.chunk.context.size() + sizeof(Held);
}

std::optional<IoChunk> OutputLimiter::admit(IoChunk chunk) {
  if (chunk.stream == Stream::Stdin || chunk.bytes.empty()) return chunk;
  auto& offset = offsets_[static_cast<std::size_t>(chunk.stream)];
  const std::uint64_t size = chunk.bytes.size();
  if (size <= head_left_) {
    head_left_ -= size;
    offset += size;
    return chunk;
  }
  std::optional<IoChunk> now;
  if (head_left_ > 0) {  // the chunk that fills the head is split
    now = chunk;
    now->bytes.resize(static_cast<std::size_t>(head_left_));
    chunk.bytes.erase(0, static_cast<std::size_t>(head_left_));
    offset += head_left_;
    head_left_ = 0;
  }
  const std::uint64_t at = offset;
  offset += chunk.bytes.size();
  Held* back = tail_.empty() ? nullptr : &tail_.back();
  if (back && back->chunk.stream == chunk.stream && back->chunk.producer == chunk.producer &&
      back->chunk.context == chunk.context && back->offset + back->chunk.bytes.size() == at &&
      back->chunk.bytes.size() + chunk.bytes.size() <= kMergeBytes) {
    back->chunk.bytes += chunk.bytes;
    tail_cost_ += chunk.bytes.size();
  } else {
    tail_.push_back({std::move(chunk), at});
    tail_cost_ += cost(tail_.back());
  }
  cut_front();
  return now;
}

void OutputLimiter::cut_front() {
  while (tail_cost_ > tail_cap_ && !tail_.empty()) {
    Held& front = tail_.front();
    const std::uint64_t excess = tail_cost_ - tail_cap_;
    if (excess >= front.chunk.bytes.size()) {  // the whole chunk goes (with its overhead)
      record_cut(front.chunk.stream, front.offset, front.offset + front.chunk.bytes.size());
      tail_cost_ -= cost(front);
      tail_.pop_front();
    } else {
      record_cut(front.chunk.stream, front.offset, front.offset + excess);
      front.chunk.bytes.erase(0, static_cast<std::size_t>(excess));
      front.offset += excess;
      tail_cost_ -= excess;
    }
  }
}

void OutputLimiter::record_cut(Stream stream, std::uint64_t from, std::uint64_t to) {
  for (auto& cut : cuts_) {
    if (cut.stream == stream) {  // cuts of one stream are one range: head and tail are whole
      cut.to = to;
      return;
    }
  }
  cuts_.push_back({limit_, stream, from, to});
}

std::vector<TraceEvent> OutputLimiter::finish(std::uint64_t now_ns) {
  std::vector<TraceEvent> events;
  const std::uint64_t t_ns = tail_.empty() ? now_ns : tail_.front().chunk.t_ns;
  for (const auto& cut : cuts_)
    events.emplace_back(NoteEvent{t_ns, NoteLevel::Warning, cut_note_text(cut)});
  for (auto& held : tail_) events.emplace_back(std::move(held.chunk));
  tail_.clear();
  tail_cost_ = 0;
  return events;
}

}  // namespace ctrecord
