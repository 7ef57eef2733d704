// Reads a whole trace into a TraceSummary for `ctest-trace info`.
#include "ctharness/trace_summary.hpp"

#include <fmt/format.h>

#include <type_traits>
#include <variant>

#include "ctharness/text_format.hpp"
#include "ctharness/trace_json.hpp"

namespace ctharness {

TraceSummary summarize_trace(ctrecord::TraceReader& reader) {
  TraceSummary s;
  s.path = reader.path();
  s.format_version = reader.format_version();
  ctreplay::TestRecordBuilder tests(/*keep_output=*/false, /*keep_captured=*/false);
  while (auto event = reader.next()) {
    ++s.events;
    tests.add(*event);
    std::visit(
        [&s](auto&& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, ctrecord::StartEvent>) {
            if (!s.start) s.start = std::move(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::IoChunk>) {
            auto& totals = s.streams[static_cast<std::size_t>(ev.stream)];
            totals.bytes += ev.bytes.size();
            ++totals.chunks;
            s.order.add(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::NoteEvent>) {
            if (auto cut = ctrecord::parse_cut_note(ev.text)) s.cuts.push_back(*cut);
            s.notes.push_back(std::move(ev));
          } else if constexpr (std::is_same_v<T, ctrecord::ExitEvent>) {
            s.exit = std::move(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::EndEvent>) {
            s.end = std::move(ev);
          } else if constexpr (std::is_same_v<T, ctrecord::TerminalEvent>) {
            if (ev.change == ctrecord::TerminalChange::Resized) {
              ++s.resizes;
            } else if (!s.terminal) {
              s.terminal = std::move(ev);
            }
          }
        },
        std::move(*event));
  }
  s.tests = tests.finish();
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

void write_tests_json(JsonWriter& json, const std::vector<ctreplay::TestRecord>& tests) {
  json.key("test_counts").begin_object();
  for (const auto& [outcome, count] : ctreplay::count_outcomes(tests)) {
    if (is_valid_utf8(outcome)) json.key(outcome).value(count);
  }
  json.end_object();
  json.key("tests").begin_array();
  for (const auto& test : tests) {
    json.begin_object();
    json.key("id").bytes_value(test.id);
    json.key("outcome").bytes_value(test.outcome);
    json.key("finished").value(test.finished);
    json.key("duration_ns").value(test.duration_ns);
    json.key("started_ns").value(test.started_ns);
    json.key("runs").value(static_cast<std::uint64_t>(test.runs));
    json.key("output_bytes").begin_object();
    for (ctrecord::Stream stream : {ctrecord::Stream::Stdout, ctrecord::Stream::Stderr}) {
      json.key(ctrecord::stream_name(stream))
          .value(test.output_size[static_cast<std::size_t>(stream)]);
    }
    json.end_object();
    json.key("captured_bytes").value(test.captured_size());
    json.key("captured").begin_array();
    for (const auto& section : test.captured) {
      json.begin_object();
      json.key("section").bytes_value(section.section);
      json.key("bytes").value(section.size);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
}

std::vector<std::pair<std::string, std::string>> tests_text(
    const std::vector<ctreplay::TestRecord>& tests) {
  std::vector<std::pair<std::string, std::string>> lines;
  if (tests.empty()) return lines;
  std::string counts;
  for (const auto& [outcome, count] : ctreplay::count_outcomes(tests)) {
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, printable(outcome));
  }
  lines.emplace_back("tests", fmt::format("{} ({})", tests.size(), counts));
  std::size_t width = 0;
  for (const auto& test : tests) width = std::max(width, printable(test.outcome).size());
  for (const auto& test : tests) {
    using ctrecord::Stream;
    std::string sizes = fmt::format("stdout {} B, stderr {} B",
                                    test.output_size[static_cast<std::size_t>(Stream::Stdout)],
                                    test.output_size[static_cast<std::size_t>(Stream::Stderr)]);
    if (!test.captured.empty()) sizes += fmt::format(", captured {} B", test.captured_size());
    if (test.runs > 1) sizes += fmt::format(", {} runs", test.runs);
    lines.emplace_back("test",
                       fmt::format("{:<{}}  {:>9}  {}  ({})", printable(test.outcome), width,
                                   format_duration(test.duration_ns), printable(test.id), sizes));
  }
  return lines;
}

void write_streams_json(JsonWriter& json, const TraceSummary& summary) {
  json.key("streams").begin_object();
  for (int i = 0; i < ctrecord::kStreamCount; ++i) {
    const auto& totals = summary.streams[static_cast<std::size_t>(i)];
    json.key(ctrecord::stream_name(static_cast<ctrecord::Stream>(i))).begin_object();
    json.key("bytes").value(totals.bytes);
    json.key("chunks").value(totals.chunks);
    json.end_object();
  }
  json.end_object();
}

void write_end_json(JsonWriter& json, const TraceSummary& summary) {
  json.key("end");
  if (summary.end) {
    json.begin_object();
    write_end_fields(json, *summary.end);
    json.end_object();
  } else {
    json.null();
  }
}

void write_order_json(JsonWriter& json, const TraceSummary& summary) {
  const auto& o = summary.order;
  json.key("order").begin_object();
  json.key("mode").value(o.exact() ? "exact" : "read");
  json.key("exact_chunks").value(o.exact_chunks);
  json.key("exact_bytes").value(o.exact_bytes);
  json.key("writes").value(o.writes);
  json.key("unsequenced_chunks").value(o.unsequenced_chunks);
  json.key("unsequenced_bytes").value(o.unsequenced_bytes);
  json.key("read_chunks").value(o.read_chunks);
  json.key("read_bytes").value(o.read_bytes);
  json.key("out_of_sequence").value(o.out_of_sequence);
  json.end_object();
}

std::optional<std::string> order_text(const TraceSummary& summary) {
  if (summary.order.exact()) return ctreplay::describe_order(summary.order);
  const auto chunks = [&summary](ctrecord::Stream stream) {
    return summary.streams[static_cast<std::size_t>(stream)].chunks;
  };
  if (chunks(ctrecord::Stream::Stdout) == 0 || chunks(ctrecord::Stream::Stderr) == 0) {
    return std::nullopt;
  }
  return "read (stdout and stderr interleaved in the order the recorder read them, not "
         "necessarily the order they were written)";
}

void write_terminal_json(JsonWriter& json, const TraceSummary& summary) {
  json.key("terminal");
  if (!summary.terminal) {
    json.null();
    return;
  }
  json.begin_object();
  write_terminal_fields(json, *summary.terminal);
  json.key("resizes").value(summary.resizes);
  json.end_object();
}

void write_notes_json(JsonWriter& json, const TraceSummary& summary) {
  json.key("notes").begin_array();
  for (const auto& note : summary.notes) {
    json.begin_object();
    json.key("level").value(note_level_name(note.level));
    json.key("text").bytes_value(note.text);
    json.end_object();
  }
  json.end_array();
  json.key("cuts").begin_array();
  for (const auto& cut : summary.cuts) {
    json.begin_object();
    json.key("stream").value(std::string(ctrecord::stream_name(cut.stream)));
    json.key("from").value(cut.from);
    json.key("to").value(cut.to);
    json.key("bytes").value(cut.bytes());
    json.key("limit").value(cut.limit);
    json.end_object();
  }
  json.end_array();
}

}  // namespace ctharness
