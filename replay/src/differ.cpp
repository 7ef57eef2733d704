// Differ: see ctreplay/differ.hpp.
//
// Text: the common prefix and suffix (whole lines) are stripped on the raw bytes first, so
// only the differing middle is split into lines, interned and handed to Myers' linear-space
// algorithm (divide and conquer on the middle snake). Memory is O(middle lines); two large
// streams that differ in one line cost two linear scans. A middle-snake search that needs
// more than a budget of edit steps gives up on that sub-range and reports it as "all of A
// deleted, all of B inserted" (still a correct diff, only not a minimal one), so two large,
// completely different streams cannot take quadratic time. A middle of more than
// kMaxDiffedLines lines (a replayed command flooding its output) is not split at all: it is
// streamed out as one replacement hunk, so memory stays that of the two inputs.
//
// Binary (NUL bytes or ill-formed UTF-8 on either side): first differing byte, lengths and
// a hex dump of both sides around it.
#include "ctreplay/differ.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "report_escape.hpp"

namespace ctreplay {

namespace {

constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kCyan = "\x1b[36m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";

bool looks_binary(std::string_view bytes) {
  return bytes.find('\0') != std::string_view::npos || !detail::is_valid_utf8(bytes);
}

std::uint64_t first_difference(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  const auto mismatch =
      std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
  return static_cast<std::uint64_t>(mismatch.first - a.begin());
}

std::uint64_t common_suffix(std::string_view a, std::string_view b, std::size_t limit) {
  std::size_t n = 0;
  while (n < limit && a[a.size() - 1 - n] == b[b.size() - 1 - n]) ++n;
  return n;
}

// `text` with control characters other than tab written as \e, \r, \b, \a or \xNN.
std::string visible(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 0x20 && byte != 0x7f) || c == '\t') {
      out += c;
      continue;
    }
    switch (c) {
      case '\x1b': out += "\\e"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\a': out += "\\a"; break;
      default: out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

// Diff lines with the output cap applied: every line after the ---/+++ header counts.
class DiffOutput {
 public:
  DiffOutput(const DiffOptions& options, std::string& out) : options_(options), out_(out) {}

  // One line; `text` has no trailing newline.
  void line(std::string_view colour, char tag, std::string_view text) {
    if (shown_ >= options_.max_output_lines) {
      ++cut_;
      return;
    }
    ++shown_;
    if (options_.color && !colour.empty()) out_ += colour;
    if (tag != 0) out_ += tag;
    out_ += text;
    if (options_.color && !colour.empty()) out_ += kReset;
    out_ += '\n';
  }

  // A line of one side, which carries its '\n' unless it is the last line and has none.
  // Control characters are shown, not sent: an escape sequence from a terminal program
  // would otherwise act on the reader's terminal instead of appearing in the diff.
  void side_line(std::string_view colour, char tag, std::string_view text) {
    const bool newline = !text.empty() && text.back() == '\n';
    if (shown_ >= options_.max_output_lines) {  // cut: count it without formatting it
      cut_ += newline ? 1 : 2;
      return;
    }
    line(colour, tag, visible(newline ? text.substr(0, text.size() - 1) : text));
    if (!newline) line({}, 0, "\\ No newline at end of file");
  }

  void finish() {
    if (cut_ > 0) out_ += "... " + std::to_string(cut_) + " more diff lines cut\n";
  }

  std::uint64_t cut() const { return cut_; }

 private:
  const DiffOptions& options_;
  std::string& out_;
  std::size_t shown_ = 0;
  std::uint64_t cut_ = 0;
};

// Above this many lines in the two middles together, the diff is one streamed replacement
// hunk instead of Myers' (whose line tables cost about 40 bytes a line).
constexpr std::uint64_t kMaxDiffedLines = std::uint64_t{1} << 20;

// Calls `visit` with each line of `text`, which keeps its '\n' (the last one may lack it).
template <typename Visit>
void for_each_line(std::string_view text, Visit&& visit) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    visit(text.substr(pos, end - pos));
    pos = end;
  }
}

std::uint64_t line_count(std::string_view text) {
  const auto newlines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// Splits into lines that keep their '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for_each_line(text, [&](std::string_view line) { lines.push_back(line); });
  return lines;
}

// Myers' O((N+M)D) algorithm in linear space. Marks deleted lines of A and inserted lines
// of B.
class Myers {
 public:
  Myers(const std::vector<int>& a, const std::vector<int>& b, std::vector<char>& deleted,
        std::vector<char>& inserted)
      : a_(a), b_(b), deleted_(deleted), inserted_(inserted) {
    // Budget of edit steps per middle-snake search: generous for small inputs, and bounded
    // so that a search costs at most about 2e8 comparisons on large ones.
    const std::size_t total = a.size() + b.size() + 1;
    max_steps_ = std::max<std::ptrdiff_t>(256, static_cast<std::ptrdiff_t>(200'000'000 / total));
  }

  void run() {
    compare(0, static_cast<std::ptrdiff_t>(a_.size()), 0, static_cast<std::ptrdiff_t>(b_.size()));
  }

 private:
  struct Split {
    std::ptrdiff_t x;
    std::ptrdiff_t y;
  };

  void compare(std::ptrdiff_t alo, std::ptrdiff_t ahi, std::ptrdiff_t blo, std::ptrdiff_t bhi) {
    while (alo < ahi && blo < bhi &&
           a_[static_cast<std::size_t>(alo)] == b_[static_cast<std::size_t>(blo)]) {
      ++alo;
      ++blo;
    }
    while (alo < ahi && blo < bhi &&
           a_[static_cast<std::size_t>(ahi - 1)] == b_[static_cast<std::size_t>(bhi - 1)]) {
      --ahi;
      --bhi;
    }
    if (alo == ahi || blo == bhi) {
      mark(alo, ahi, blo, bhi);
      return;
    }
    Split split{};
    if (!middle_snake(alo, ahi, blo, bhi, split)) {
      mark(alo, ahi, blo, bhi);  // too expensive: replace the whole range
      return;
    }
    compare(alo, split.x, blo, split.y);
    compare(split.x, ahi, split.y, bhi);
  }

  void mark(std::ptrdiff_t alo, std::ptrdiff_t ahi, std::ptrdiff_t blo, std::ptrdiff_t bhi) {
    for (auto i = alo; i < ahi; ++i) deleted_[static_cast<std::size_t>(i)] = 1;
    for (auto j = blo; j < bhi; ++j) inserted_[static_cast<std::size_t>(j)] = 1;
  }

  // Finds a point on an optimal path through the middle (x in A, y in B, absolute), not
  // the start or the end of the range. Both ranges are non-empty and differ at both ends.
  bool middle_snake(std::ptrdiff_t alo, std::ptrdiff_t ahi, std::ptrdiff_t blo, std::ptrdiff_t bhi,
                    Split& split) {
    const std::ptrdiff_t n = ahi - alo;
    const std::ptrdiff_t m = bhi - blo;
    const std::ptrdiff_t delta = n - m;
    const bool odd = (delta & 1) != 0;
    const std::ptrdiff_t max_d = std::min((n + m + 1) / 2, max_steps_);
    // Forward: vf[k] = furthest x on diagonal k = x - y. Backward: vb[k] = smallest x on
    // diagonal k reached from (n, m).
    const std::ptrdiff_t offset = max_d + 1;
    const auto size = static_cast<std::size_t>(2 * max_d + 3);
    forward_.assign(size, 0);
    backward_.assign(size, 0);
    const auto vf = [&](std::ptrdiff_t k) -> std::ptrdiff_t& {
      return forward_[static_cast<std::size_t>(k + offset)];
    };
    const auto vb = [&](std::ptrdiff_t k) -> std::ptrdiff_t& {
      return backward_[static_cast<std::size_t>(k - delta + offset)];
    };
    const auto A = [&](std::ptrdiff_t x) { return a_[static_cast<std::size_t>(alo + x)]; };
    const auto B = [&](std::ptrdiff_t y) { return b_[static_cast<std::size_t>(blo + y)]; };
    vf(1) = 0;
    vb(delta + 1) = n + 1;
    for (std::ptrdiff_t d = 0; d <= max_d; ++d) {
      for (std::ptrdiff_t k = -d; k <= d; k += 2) {
        std::ptrdiff_t x =
            (k == -d || (k != d && vf(k - 1) < vf(k + 1))) ? vf(k + 1) : vf(k - 1) + 1;
        std::ptrdiff_t y = x - k;
        while (x < n && y < m && A(x) == B(y)) {
          ++x;
          ++y;
        }
        vf(k) = x;
        if (odd && k >= delta - (d - 1) && k <= delta + (d - 1) && x >= vb(k)) {
          split = {alo + x, blo + y};
          return true;
        }
      }
      for (std::ptrdiff_t c = -d; c <= d; c += 2) {
        const std::ptrdiff_t k = c + delta;
        std::ptrdiff_t x = 0;
        if (c == -d) {
          x = vb(k + 1) - 1;
        } else if (c == d) {
          x = vb(k - 1);
        } else {
          x = std::min(vb(k + 1) - 1, vb(k - 1));
        }
        std::ptrdiff_t y = x - k;
        while (x > 0 && y > 0 && A(x - 1) == B(y - 1)) {
          --x;
          --y;
        }
        vb(k) = x;
        if (!odd && k >= -d && k <= d && x <= vf(k)) {
          split = {alo + x, blo + y};
          return true;
        }
      }
    }
    return false;
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  std::vector<char>& deleted_;
  std::vector<char>& inserted_;
  std::ptrdiff_t max_steps_ = 0;
  std::vector<std::ptrdiff_t> forward_;
  std::vector<std::ptrdiff_t> backward_;
};

void append_file_header(std::string& out, const std::string& stream, const DiffOptions& options) {
  for (const std::string_view side : {"--- recorded/", "+++ replayed/"}) {
    if (options.color) out += kBold;
    out += side;
    out += stream;
    if (options.color) out += kReset;
    out += '\n';
  }
}

std::string hunk_range(std::uint64_t start, std::uint64_t count) {
  // Unified diff: an empty range names the line before it.
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

void text_diff(const std::string& stream, std::string_view a, std::string_view b,
               std::uint64_t first_byte, const DiffOptions& options, StreamComparison& result) {
  const auto context = static_cast<std::size_t>(std::max(0, options.context_lines));
  // Whole-line common prefix.
  const std::size_t prefix_end = [&] {
    const std::size_t nl = a.substr(0, first_byte).rfind('\n');
    return nl == std::string_view::npos ? 0 : nl + 1;
  }();
  const auto prefix_lines = static_cast<std::uint64_t>(
      std::count(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(prefix_end), '\n'));
  // Whole-line common suffix: starts where both sides start a line.
  std::size_t suffix = common_suffix(a, b, std::min(a.size(), b.size()) - first_byte);
  {
    const std::size_t sa = a.size() - suffix;
    const std::size_t sb = b.size() - suffix;
    const bool line_start = (sa == 0 || a[sa - 1] == '\n') && (sb == 0 || b[sb - 1] == '\n');
    if (!line_start) {
      const std::size_t nl = a.find('\n', sa);
      suffix = nl == std::string_view::npos ? 0 : a.size() - (nl + 1);
    }
  }
  const std::string_view middle_a = a.substr(prefix_end, a.size() - suffix - prefix_end);
  const std::string_view middle_b = b.substr(prefix_end, b.size() - suffix - prefix_end);

  // The lines the diff may show: up to `context` lines before the middle, the middle, up to
  // `context` lines after it (these are the same on both sides).
  std::vector<std::string_view> before;
  {
    std::size_t end = prefix_end;
    while (before.size() < context && end > 0) {
      const std::size_t nl = end >= 2 ? a.rfind('\n', end - 2) : std::string_view::npos;
      const std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
      before.push_back(a.substr(start, end - start));
      end = start;
    }
    std::reverse(before.begin(), before.end());
  }
  std::vector<std::string_view> after;
  {
    std::size_t pos = a.size() - suffix;
    while (after.size() < context && pos < a.size()) {
      const std::size_t nl = a.find('\n', pos);
      const std::size_t end = nl == std::string_view::npos ? a.size() : nl + 1;
      after.push_back(a.substr(pos, end - pos));
      pos = end;
    }
  }
  const std::uint64_t base = prefix_lines - before.size();  // line number of the first - 1
  std::string& out = result.diff;
  const std::uint64_t middle_lines_a = line_count(middle_a);
  const std::uint64_t middle_lines_b = line_count(middle_b);
  if (middle_lines_a + middle_lines_b > kMaxDiffedLines) {
    append_file_header(out, stream, options);
    DiffOutput output(options, out);
    const std::uint64_t context_lines = before.size() + after.size();
    output.line(kCyan, 0,
                "@@ -" + hunk_range(base, context_lines + middle_lines_a) + " +" +
                    hunk_range(base, context_lines + middle_lines_b) + " @@");
    for (const auto line : before) output.side_line({}, ' ', line);
    for_each_line(middle_a, [&](std::string_view line) { output.side_line(kRed, '-', line); });
    for_each_line(middle_b, [&](std::string_view line) { output.side_line(kGreen, '+', line); });
    for (const auto line : after) output.side_line({}, ' ', line);
    output.finish();
    result.cut_lines = output.cut();
    return;
  }

  std::vector<std::string_view> lines_a = before;
  std::vector<std::string_view> lines_b = before;
  const std::size_t middle_start = before.size();
  for (auto line : split_lines(middle_a)) lines_a.push_back(line);
  for (auto line : split_lines(middle_b)) lines_b.push_back(line);
  const std::size_t middle_end_a = lines_a.size();
  const std::size_t middle_end_b = lines_b.size();
  lines_a.insert(lines_a.end(), after.begin(), after.end());
  lines_b.insert(lines_b.end(), after.begin(), after.end());

  std::vector<char> deleted(lines_a.size(), 0);
  std::vector<char> inserted(lines_b.size(), 0);
  {
    std::unordered_map<std::string_view, int> ids;
    const auto intern = [&](std::size_t from, std::size_t to,
                            const std::vector<std::string_view>& lines) {
      std::vector<int> line_ids;
      line_ids.reserve(to - from);
      for (std::size_t i = from; i < to; ++i) {
        line_ids.push_back(ids.emplace(lines[i], static_cast<int>(ids.size())).first->second);
      }
      return line_ids;
    };
    const std::vector<int> ids_a = intern(middle_start, middle_end_a, lines_a);
    const std::vector<int> ids_b = intern(middle_start, middle_end_b, lines_b);
    std::vector<char> del(ids_a.size(), 0);
    std::vector<char> ins(ids_b.size(), 0);
    Myers(ids_a, ids_b, del, ins).run();
    std::copy(del.begin(), del.end(), deleted.begin() + static_cast<std::ptrdiff_t>(middle_start));
    std::copy(ins.begin(), ins.end(), inserted.begin() + static_cast<std::ptrdiff_t>(middle_start));
  }

  // Change blocks [a0, a1) x [b0, b1), in order.
  struct Block {
    std::size_t a0, a1, b0, b1;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0, j = 0; i < lines_a.size() || j < lines_b.size();) {
    if (i < lines_a.size() && j < lines_b.size() && !deleted[i] && !inserted[j]) {
      ++i;
      ++j;
      continue;
    }
    Block block{i, i, j, j};
    while (i < lines_a.size() && deleted[i]) ++i;
    while (j < lines_b.size() && inserted[j]) ++j;
    block.a1 = i;
    block.b1 = j;
    blocks.push_back(block);
  }

  append_file_header(out, stream, options);
  DiffOutput output(options, out);
  for (std::size_t first = 0; first < blocks.size();) {
    std::size_t last = first;
    while (last + 1 < blocks.size() && blocks[last + 1].a0 - blocks[last].a1 <= 2 * context) ++last;
    const std::size_t lead = std::min(context, blocks[first].a0);
    const std::size_t ha0 = blocks[first].a0 - lead;
    const std::size_t hb0 = blocks[first].b0 - lead;
    const std::size_t ha1 = std::min(lines_a.size(), blocks[last].a1 + context);
    const std::size_t hb1 = blocks[last].b1 + (ha1 - blocks[last].a1);
    output.line(kCyan, 0,
                "@@ -" + hunk_range(base + ha0, ha1 - ha0) + " +" +
                    hunk_range(base + hb0, hb1 - hb0) + " @@");
    std::size_t i = ha0;
    std::size_t j = hb0;
    for (std::size_t k = first; k <= last; ++k) {
      for (; i < blocks[k].a0; ++i, ++j) output.side_line({}, ' ', lines_a[i]);
      for (; i < blocks[k].a1; ++i) output.side_line(kRed, '-', lines_a[i]);
      for (; j < blocks[k].b1; ++j) output.side_line(kGreen, '+', lines_b[j]);
    }
    for (; i < ha1; ++i, ++j) output.side_line({}, ' ', lines_a[i]);
    first = last + 1;
  }
  output.finish();
  result.cut_lines = output.cut();
}

// One hex dump row: "00000040  41 42 ... 4f  |AB..O|".
std::string hex_row(std::string_view bytes, std::uint64_t row_offset) {
  static constexpr char kHex[] = "0123456789abcdef";
  char offset[32];
  std::snprintf(offset, sizeof offset, "%08llx  ", static_cast<unsigned long long>(row_offset));
  std::string row = offset;
  const std::string_view data = bytes.substr(row_offset, 16);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i < data.size()) {
      const auto byte = static_cast<unsigned char>(data[i]);
      row += kHex[byte >> 4];
      row += kHex[byte & 0xf];
      row += ' ';
    } else {
      row += "   ";
    }
    if (i == 7) row += ' ';
  }
  row += " |";
  for (const char ch : data) row += (ch >= 0x20 && ch < 0x7f) ? ch : '.';
  row += '|';
  return row;
}

void binary_diff(const std::string& stream, std::string_view a, std::string_view b,
                 std::uint64_t first_byte, const DiffOptions& options, StreamComparison& result) {
  constexpr std::uint64_t kRowsAround = 2;
  std::string& out = result.diff;
  char head[160];
  std::snprintf(head, sizeof head,
                "binary %s differs at byte %llu (0x%llx): recorded %zu bytes, replayed %zu bytes\n",
                stream.c_str(), static_cast<unsigned long long>(first_byte),
                static_cast<unsigned long long>(first_byte), a.size(), b.size());
  out += head;
  append_file_header(out, stream, options);
  const std::uint64_t row = first_byte / 16;
  const std::uint64_t first_row = row >= kRowsAround ? row - kRowsAround : 0;
  const auto paint = [&](std::string_view colour, char tag, const std::string& text) {
    if (options.color) out += colour;
    out += tag;
    out += text;
    if (options.color) out += kReset;
    out += '\n';
  };
  for (std::uint64_t r = first_row; r <= row + kRowsAround; ++r) {
    const std::uint64_t offset = r * 16;
    const bool in_a = offset < a.size();
    const bool in_b = offset < b.size();
    if (!in_a && !in_b) break;
    const std::string_view row_a = in_a ? a.substr(offset, 16) : std::string_view{};
    const std::string_view row_b = in_b ? b.substr(offset, 16) : std::string_view{};
    if (in_a && in_b && row_a == row_b) {
      paint({}, ' ', hex_row(a, offset));
      continue;
    }
    if (in_a) paint(kRed, '-', hex_row(a, offset));
    if (in_b) paint(kGreen, '+', hex_row(b, offset));
  }
}

}  // namespace

StreamComparison compare_stream(const std::string& stream, std::string_view expected,
                                std::string_view actual, const DiffOptions& options) {
  StreamComparison result;
  result.stream = stream;
  if (expected == actual) return result;
  result.same = false;
  const std::uint64_t first_byte = first_difference(expected, actual);
  const auto line =
      1 + static_cast<std::uint64_t>(std::count(
              expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(first_byte), '\n'));
  result.first = Divergence{first_byte, line};
  result.binary = looks_binary(expected) || looks_binary(actual);
  if (result.binary) {
    binary_diff(stream, expected, actual, first_byte, options, result);
  } else {
    text_diff(stream, expected, actual, first_byte, options, result);
  }
  return result;
}

}  // namespace ctreplay
