// load_trace: a whole recording into memory, through the never-trusting TraceReader.
#include "ctreplay/loaded_trace.hpp"

#include <algorithm>

#include "ctrecord/errors.hpp"
#include "ctrecord/redaction_note.hpp"
#include "ctrecord/trace_reader.hpp"

namespace ctreplay {

using ctrecord::Stream;

namespace {

std::string too_large(const std::string& path) {
  return "cannot use " + path + " for a comparison: it holds more than " +
         std::to_string(kMaxLoadedStreamBytes >> 20) +
         " MiB of recorded stream bytes, the most ctest-replay and ctest-trace diff load " +
         "(record with --max-trace-size to keep traces smaller)";
}

[[noreturn]] void throw_incomplete(const std::string& path, const ctrecord::TraceReader& reader) {
  const std::string why = reader.error() ? reader.error()->what() : "no end record";
  throw ctrecord::EnvironmentError("cannot use " + path + " for a comparison: the trace is " +
                                   "incomplete or damaged (" + why + ")");
}

// The streaming pass: complete, and within the load limit? Holds one event at a time.
void check_loadable(const std::string& path) {
  ctrecord::TraceReader reader(path);
  std::uint64_t stream_bytes = 0;
  while (auto event = reader.next()) {
    if (const auto* chunk = std::get_if<ctrecord::IoChunk>(&*event)) {
      stream_bytes += chunk->bytes.size();
      if (stream_bytes > kMaxLoadedStreamBytes) throw ctrecord::EnvironmentError(too_large(path));
    }
  }
  if (!reader.complete()) throw_incomplete(path, reader);
}

}  // namespace

LoadedTrace load_trace(const std::string& path) {
  check_loadable(path);
  LoadedTrace trace;
  trace.path = path;
  ctrecord::TraceReader reader(path);
  bool have_start = false;
  std::uint64_t output_so_far = 0;
  std::uint64_t stream_bytes = 0;  // checked again: the file may have changed since
  TestRecordBuilder tests(/*keep_output=*/false, /*keep_captured=*/true);
  while (auto event = reader.next()) {
    tests.add(*event);
    if (auto* start = std::get_if<ctrecord::StartEvent>(&*event)) {
      trace.start = std::move(*start);
      have_start = true;
    } else if (auto* chunk = std::get_if<ctrecord::IoChunk>(&*event)) {
      const auto index = static_cast<std::size_t>(chunk->stream);
      stream_bytes += chunk->bytes.size();
      if (stream_bytes > kMaxLoadedStreamBytes) throw ctrecord::EnvironmentError(too_large(path));
      if (chunk->stream == Stream::Stdin) {
        trace.stdin_chunks.push_back({chunk->bytes, chunk->t_ns, output_so_far});
      } else {
        output_so_far += chunk->bytes.size();
        trace.output_order.push_back(
            {chunk->stream, trace.streams[index].size(), chunk->bytes.size(), chunk->order});
        trace.order.add(*chunk);
      }
      trace.streams[index] += chunk->bytes;
      trace.spans[index].push_back({trace.streams[index].size(), chunk->t_ns});
    } else if (auto* exit = std::get_if<ctrecord::ExitEvent>(&*event)) {
      trace.exit = *exit;
    } else if (const auto* note = std::get_if<ctrecord::NoteEvent>(&*event)) {
      if (auto patterns = ctrecord::parse_redaction_start_note(note->text)) {
        if (!trace.redact_patterns) trace.redact_patterns = std::move(*patterns);
      }
      if (auto cut = ctrecord::parse_cut_note(note->text)) trace.cuts.push_back(*cut);
    } else if (const auto* end = std::get_if<ctrecord::EndEvent>(&*event)) {
      trace.produced_output = end->counters.bytes[1] + end->counters.bytes[2];
    } else if (auto* terminal = std::get_if<ctrecord::TerminalEvent>(&*event)) {
      if (terminal->change == ctrecord::TerminalChange::Opened) {
        if (!trace.terminal) trace.terminal = std::move(*terminal);
      } else {
        trace.resizes.push_back(
            {output_so_far, {terminal->rows, terminal->cols, terminal->xpixel, terminal->ypixel}});
      }
    }
  }
  if (!reader.complete()) throw_incomplete(path, reader);
  if (!have_start || trace.start.argv.empty()) {
    throw ctrecord::EnvironmentError(path + " has no recorded command (no start event)");
  }
  trace.tests = tests.finish();
  return trace;
}

std::uint64_t LoadedTrace::time_of_line(Stream stream, std::uint64_t line) const {
  const auto index = static_cast<std::size_t>(stream);
  const std::string& bytes = streams[index];
  std::uint64_t offset = 0;
  for (std::uint64_t l = 1; l < line && offset < bytes.size(); ++l) {
    const auto nl = bytes.find('\n', offset);
    if (nl == std::string::npos) break;
    offset = nl + 1;
  }
  for (const auto& span : spans[index]) {
    if (offset < span.end_offset) return span.t_ns;
  }
  return spans[index].empty() ? 0 : spans[index].back().t_ns;
}

std::string LoadedTrace::test_output(const TestRecord& test, Stream stream) const {
  return ctreplay::test_output(test, stream, streams[static_cast<std::size_t>(stream)]);
}

std::string LoadedTrace::env_value(const std::string& name, bool* found) const {
  for (const auto& var : start.env) {
    if (var.name == name && !var.redacted) {
      if (found) *found = true;
      return var.value;
    }
  }
  if (found) *found = false;
  return {};
}

}  // namespace ctreplay
