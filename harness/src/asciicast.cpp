// AsciicastEncoder: trace events to asciicast v2 lines (see asciicast.hpp and docs/cli.md).
#include "ctharness/asciicast.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "ctharness/json_writer.hpp"
#include "ctharness/text_format.hpp"

namespace ctharness {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::uint16_t kDefaultCols = 80;
constexpr std::uint16_t kDefaultRows = 24;

// "1.234567": seconds with microseconds, exact (no floating point on the way).
std::string seconds(std::uint64_t t_ns) {
  return fmt::format("{}.{:06}", t_ns / 1'000'000'000u, t_ns % 1'000'000'000u / 1000u);
}

void append_line(std::string& out, std::uint64_t t_ns, std::string_view code,
                 std::string_view utf8) {
  out += '[';
  out += seconds(t_ns);
  out += ", \"";
  out += code;
  out += "\", ";
  append_json_string(out, utf8);
  out += "]\n";
}

const ctrecord::EnvVar* find_env(const ctrecord::StartEvent& start, std::string_view name) {
  for (const auto& var : start.env) {
    if (var.name == name && !var.redacted && is_valid_utf8(var.value)) return &var;
  }
  return nullptr;
}

}  // namespace

AsciicastEncoder::AsciicastEncoder(std::optional<ctrecord::StartEvent> start,
                                   std::optional<ctrecord::TerminalEvent> opened)
    : start_(std::move(start)), opened_(std::move(opened)) {}

void AsciicastEncoder::header(std::string& out) const {
  const bool sized = opened_ && opened_->cols != 0 && opened_->rows != 0;
  JsonWriter json(out);
  json.begin_object();
  json.key("version").value(std::int64_t{2});
  json.key("width").value(std::int64_t{sized ? opened_->cols : kDefaultCols});
  json.key("height").value(std::int64_t{sized ? opened_->rows : kDefaultRows});
  if (start_) {
    json.key("timestamp").value(start_->start_unix_ns / 1'000'000'000);
    if (!start_->argv.empty()) {
      const std::string command = shell_join(start_->argv);  // always valid UTF-8
      json.key("command").value(command);
      json.key("title").value(command);
    }
  }
  json.key("env").begin_object();
  if (opened_ && !opened_->term.empty() && is_valid_utf8(opened_->term)) {
    json.key("TERM").value(opened_->term);
  } else if (const auto* term = start_ ? find_env(*start_, "TERM") : nullptr) {
    json.key("TERM").value(term->value);
  }
  if (const auto* shell = start_ ? find_env(*start_, "SHELL") : nullptr) {
    json.key("SHELL").value(shell->value);
  }
  json.end_object();
  json.end_object();
  out += '\n';
}

void AsciicastEncoder::event(const ctrecord::TraceEvent& event, std::string& out) {
  if (const auto* io = std::get_if<ctrecord::IoChunk>(&event)) {
    chunk(io->stream, io->t_ns, io->bytes, false, out);
  } else if (const auto* terminal = std::get_if<ctrecord::TerminalEvent>(&event)) {
    if (terminal->change == ctrecord::TerminalChange::Resized) {
      append_line(out, terminal->t_ns, "r", fmt::format("{}x{}", terminal->cols, terminal->rows));
    }
  }
}

void AsciicastEncoder::finish(std::string& out) {
  for (int i = 0; i < ctrecord::kStreamCount; ++i) {
    const auto stream = static_cast<ctrecord::Stream>(i);
    const auto& state = streams_[static_cast<std::size_t>(i)];
    if (!state.held.empty()) chunk(stream, state.last_t_ns, "", true, out);
  }
}

void AsciicastEncoder::chunk(ctrecord::Stream stream, std::uint64_t t_ns, std::string_view bytes,
                             bool last, std::string& out) {
  auto& state = streams_[static_cast<std::size_t>(stream)];
  state.last_t_ns = t_ns;
  const bool on_pty =
      opened_ && (stream != ctrecord::Stream::Stderr || opened_->merged || opened_->mode == "pty");
  const bool add_cr = stream != ctrecord::Stream::Stdin && !on_pty;
  std::string input = std::exchange(state.held, {});
  input += bytes;
  std::string data;
  data.reserve(input.size() + 16);
  std::size_t pos = 0;
  while (pos < input.size()) {
    const char c = input[pos];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (c == '\n' && add_cr && !state.last_was_cr) data += '\r';
      state.last_was_cr = c == '\r';
      data += c;
      ++pos;
      continue;
    }
    state.last_was_cr = false;
    const Utf8Prefix prefix = utf8_prefix(input, pos);
    if (prefix.complete) {
      data.append(input, pos, prefix.length);
    } else if (!last && pos + prefix.length == input.size()) {
      state.held = input.substr(pos);  // the next chunk may finish it
    } else {
      data += kReplacement;
    }
    pos += prefix.length == 0 ? 1 : prefix.length;
  }
  if (!data.empty()) append_line(out, t_ns, stream == ctrecord::Stream::Stdin ? "i" : "o", data);
}

void export_asciicast(ctrecord::TraceReader& reader, StdoutWriter& out) {
  // The header needs the start event and, in a pty recording, the terminal event after it.
  std::optional<ctrecord::StartEvent> start;
  std::optional<ctrecord::TerminalEvent> opened;
  std::vector<ctrecord::TraceEvent> early;  // read ahead for the header, encoded after it
  if (auto first = reader.next()) {
    if (auto* s = std::get_if<ctrecord::StartEvent>(&*first)) {
      start = std::move(*s);
      if (auto second = reader.next()) early.push_back(std::move(*second));
    } else {
      early.push_back(std::move(*first));
    }
  }
  if (!early.empty()) {
    const auto* t = std::get_if<ctrecord::TerminalEvent>(&early.front());
    if (t != nullptr && t->change == ctrecord::TerminalChange::Opened) opened = *t;
  }
  AsciicastEncoder encoder(std::move(start), std::move(opened));
  encoder.header(out.buffer());
  for (const auto& event : early) encoder.event(event, out.buffer());
  while (auto event = reader.next()) {
    encoder.event(*event, out.buffer());
    out.maybe_flush();
  }
  encoder.finish(out.buffer());
}

}  // namespace ctharness
