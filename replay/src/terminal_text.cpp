// Terminal text: the escape-sequence scanner shared by strip_ansi and
// collapse_carriage_returns, and the one-line "terminal" that renders '\r' rewrites.
#include "ctreplay/terminal_text.hpp"

#include <cstddef>
#include <vector>

namespace ctreplay {
namespace {

constexpr char kEsc = '\x1b';
constexpr char kBel = '\x07';

bool in_range(char c, unsigned lo, unsigned hi) {
  const auto u = static_cast<unsigned char>(c);
  return u >= lo && u <= hi;
}

// An ESC-terminated string (OSC, DCS, SOS, PM, APC) starting at `pos` (just after its
// introducer). Ends after BEL (OSC only) or ST; at any other ESC, just before that ESC.
std::size_t string_end(std::string_view bytes, std::size_t pos, bool bel_ends) {
  for (; pos < bytes.size(); ++pos) {
    if (bel_ends && bytes[pos] == kBel) return pos + 1;
    if (bytes[pos] == kEsc) {
      if (pos + 1 < bytes.size() && bytes[pos + 1] == '\\') return pos + 2;
      if (pos + 1 == bytes.size()) return bytes.size();  // cut off in the middle of ST
      return pos;
    }
  }
  return bytes.size();
}

// The end of the escape sequence starting at bytes[at] == ESC. A malformed sequence ends
// before the offending byte, which the caller then handles as ordinary input.
std::size_t scan_escape(std::string_view bytes, std::size_t at) {
  std::size_t pos = at + 1;
  if (pos == bytes.size()) return pos;
  const char intro = bytes[pos];
  if (intro == '[') {  // CSI
    ++pos;
    while (pos < bytes.size() && in_range(bytes[pos], 0x30, 0x3f)) ++pos;
    while (pos < bytes.size() && in_range(bytes[pos], 0x20, 0x2f)) ++pos;
    if (pos < bytes.size() && in_range(bytes[pos], 0x40, 0x7e)) ++pos;
    return pos;
  }
  if (intro == ']') return string_end(bytes, pos + 1, true);
  if (intro == 'P' || intro == 'X' || intro == '^' || intro == '_') {
    return string_end(bytes, pos + 1, false);
  }
  if (in_range(intro, 0x20, 0x2f)) {  // nF: charset designations and friends
    while (pos < bytes.size() && in_range(bytes[pos], 0x20, 0x2f)) ++pos;
    if (pos < bytes.size() && in_range(bytes[pos], 0x30, 0x7e)) ++pos;
    return pos;
  }
  if (in_range(intro, 0x30, 0x7e)) return pos + 1;  // Fp, Fe, Fs: two bytes
  return pos;                                       // ESC + control or >= 0x7f: only the ESC goes
}

// One column of a rendered line: the escape sequences printed before it, then its bytes.
struct Cell {
  std::string escapes;
  std::string glyph;
};

bool is_continuation(char c) {
  return in_range(c, 0x80, 0xbf);
}
bool is_utf8_lead(char c) {
  return in_range(c, 0xc2, 0xf4);
}

// Erase in line (ESC [ Ps K): -1 when the sequence is something else.
int erase_in_line(std::string_view sequence) {
  if (sequence.size() < 3 || sequence[1] != '[' || sequence.back() != 'K') return -1;
  const std::string_view param = sequence.substr(2, sequence.size() - 3);
  if (param.empty() || param == "0") return 0;
  if (param == "1") return 1;
  if (param == "2") return 2;
  return -1;
}

// Renders one line (without its terminator) that contains at least one bare '\r'.
void render_line(std::string_view line, std::string& out) {
  std::vector<Cell> cells;
  std::size_t cursor = 0;
  std::string pending;  // escape sequences waiting for the next character
  std::size_t pos = 0;
  while (pos < line.size()) {
    const char c = line[pos];
    if (c == '\r') {
      cursor = 0;
      pending.clear();
      ++pos;
      continue;
    }
    if (c == kEsc) {
      const std::size_t end = scan_escape(line, pos);
      const std::string_view sequence = line.substr(pos, end - pos);
      pos = end;
      const int erase = erase_in_line(sequence);
      if (erase == 0) {
        cells.resize(cursor);
      } else if (erase == 1) {
        for (std::size_t i = 0; i < cells.size() && i <= cursor; ++i) cells[i] = {"", " "};
      } else if (erase == 2) {
        cells.resize(cursor);
        for (auto& cell : cells) cell = {"", " "};
      } else {
        pending.append(sequence);
      }
      continue;
    }
    std::size_t end = pos + 1;
    if (is_utf8_lead(c)) {
      while (end < line.size() && end - pos < 4 && is_continuation(line[end])) ++end;
    }
    Cell cell{std::move(pending), std::string(line.substr(pos, end - pos))};
    pending.clear();
    if (cursor < cells.size()) {
      cells[cursor] = std::move(cell);
    } else {
      cells.push_back(std::move(cell));
    }
    ++cursor;
    pos = end;
  }
  for (const auto& cell : cells) {
    out += cell.escapes;
    out += cell.glyph;
  }
  out += pending;
}

}  // namespace

std::string strip_ansi(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto esc = bytes.find(kEsc, pos);
    if (esc == std::string_view::npos) {
      out.append(bytes.substr(pos));
      break;
    }
    out.append(bytes.substr(pos, esc - pos));
    pos = scan_escape(bytes, esc);
  }
  return out;
}

std::string collapse_carriage_returns(std::string_view bytes) {
  if (bytes.find('\r') == std::string_view::npos) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto newline = bytes.find('\n', pos);
    const std::size_t line_end = newline == std::string_view::npos ? bytes.size() : newline + 1;
    std::string_view line = bytes.substr(pos, line_end - pos);
    pos = line_end;
    std::string_view terminator;
    if (!line.empty() && line.back() == '\n') {
      const bool crlf = line.size() >= 2 && line[line.size() - 2] == '\r';
      terminator = line.substr(line.size() - (crlf ? 2 : 1));
      line.remove_suffix(terminator.size());
    }
    if (line.find('\r') == std::string_view::npos) {
      out.append(line);
    } else {
      render_line(line, out);
    }
    out.append(terminator);
  }
  return out;
}

}  // namespace ctreplay
