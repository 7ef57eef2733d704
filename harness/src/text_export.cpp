// export_text: stdout/stderr of a trace as plain text (see text_export.hpp).
#include "ctharness/text_export.hpp"

#include <array>
#include <string>
#include <string_view>

#include "ctreplay/terminal_text.hpp"

namespace ctharness {

namespace {

// Lines of one stream longer than this are written out without waiting for their "\n".
constexpr std::size_t kMaxHeldBytes = 1u << 20;

void write_plain(std::string_view bytes, bool on_pty, StdoutWriter& out) {
  std::string text = ctreplay::strip_ansi(bytes);
  if (on_pty) {
    std::string lf;
    lf.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
      lf += text[i];
    }
    text.swap(lf);
  }
  out.write(text);
}

}  // namespace

void export_text(ctrecord::TraceReader& reader, StdoutWriter& out) {
  std::array<std::string, ctrecord::kStreamCount> held;  // per stream: its open line
  std::array<bool, ctrecord::kStreamCount> on_pty{};
  while (auto event = reader.next()) {
    if (const auto* t = std::get_if<ctrecord::TerminalEvent>(&*event)) {
      if (t->change == ctrecord::TerminalChange::Opened) {
        on_pty[static_cast<std::size_t>(ctrecord::Stream::Stdout)] = true;
        on_pty[static_cast<std::size_t>(ctrecord::Stream::Stderr)] = t->merged || t->mode == "pty";
      }
      continue;
    }
    const auto* chunk = std::get_if<ctrecord::IoChunk>(&*event);
    if (chunk == nullptr || chunk->stream == ctrecord::Stream::Stdin) continue;
    const auto index = static_cast<std::size_t>(chunk->stream);
    std::string& line = held[index];
    line += chunk->bytes;
    const std::size_t end = line.size() > kMaxHeldBytes ? line.size() : line.rfind('\n') + 1;
    if (end == 0) continue;  // rfind gave npos: no complete line yet
    write_plain(std::string_view(line).substr(0, end), on_pty[index], out);
    line.erase(0, end);
    out.maybe_flush();
  }
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (!held[i].empty()) write_plain(held[i], on_pty[i], out);
  }
}

}  // namespace ctharness
