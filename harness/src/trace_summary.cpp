// Reads a whole trace into a TraceSummary for `ctest-trace info`.
#include "ctharness/trace_summary.hpp"

#include <type_traits>
#include <variant>

namespace ctharness {

TraceSummary summarize_trace(ctrecord::TraceReader& reader) {
  TraceSummary s;
  s.path = reader.path();
  s.format_version = reader.format_version();
  while (auto event = reader.next()) {
    ++s.events;
    std::visit(
        [&s](auto&& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, ctrecord::StartEvent>) {
            if (!s.start) s.start = std::move(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::IoChunk>) {
            auto& totals = s.streams[static_cast<std::size_t>(ev.stream)];
            totals.bytes += ev.bytes.size();
            ++totals.chunks;
          } else if constexpr (std::is_same_v<T, ctrecord::NoteEvent>) {
            s.notes.push_back(std::move(ev));
          } else if constexpr (std::is_same_v<T, ctrecord::ExitEvent>) {
            s.exit = std::move(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::EndEvent>) {
            s.end = std::move(ev);
          }
        },
        std::move(*event));
  }
  s.complete = reader.complete();
  if (reader.error()) {
    s.error = reader.error()->what();
    s.error_offset = reader.error()->offset();
  } else if (!s.complete) {
    s.error = "the trace is incomplete";
  }
  s.frames = reader.frames_read();
  s.file_size = reader.file_size();
  return s;
}

}  // namespace ctharness
