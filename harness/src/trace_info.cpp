// `ctest-trace info [--json] TRACE`: what was recorded, how it ended, the order of its output
// and whether the trace is complete, as aligned "key: value" lines for humans or as one JSON
// object.
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "ctharness/json_writer.hpp"
#include "ctharness/stdout_writer.hpp"
#include "ctharness/text_format.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctharness/trace_json.hpp"
#include "ctharness/trace_summary.hpp"
#include "ctrecord/log.hpp"

namespace po = boost::program_options;

namespace ctharness {

namespace {

std::string info_json(const TraceSummary& s) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("path").bytes_value(s.path);
  json.key("format_version").value(static_cast<std::uint64_t>(s.format_version));
  json.key("complete").value(s.complete);
  if (s.error) {
    json.key("error").bytes_value(*s.error);
  } else {
    json.key("error").null();
  }
  if (s.error_offset) {
    json.key("error_offset").value(*s.error_offset);
  } else {
    json.key("error_offset").null();
  }
  json.key("frames").value(s.frames);
  json.key("file_size").value(s.file_size);
  json.key("events").value(s.events);
  json.key("start");
  if (s.start) {
    json.begin_object();
    write_start_fields(json, *s.start);
    json.end_object();
  } else {
    json.null();
  }
  json.key("exit");
  if (s.exit) {
    json.begin_object();
    write_exit_fields(json, *s.exit);
    json.end_object();
  } else {
    json.null();
  }
  write_end_json(json, s);
  write_terminal_json(json, s);
  write_streams_json(json, s);
  write_order_json(json, s);
  if (!s.tests.empty()) write_tests_json(json, s.tests);
  write_notes_json(json, s);
  json.end_object();
  out += '\n';
  return out;
}

// "pty (stdout and stderr merged), 80x24 (640x480 px), TERM xterm-256color, 2 resizes"
std::string terminal_text(const ctrecord::TerminalEvent& t, std::uint64_t resizes) {
  std::string text = printable(t.mode);
  text += t.merged ? " (stdout and stderr merged)" : " (stderr a pipe)";
  text += fmt::format(", {}x{}", t.cols, t.rows);
  if (t.xpixel != 0 || t.ypixel != 0) text += fmt::format(" ({}x{} px)", t.xpixel, t.ypixel);
  text += t.term.empty() ? ", TERM unset" : ", TERM " + printable(t.term);
  text += fmt::format(", {} resize{}", resizes, resizes == 1 ? "" : "s");
  return text;
}

std::string info_text(const TraceSummary& s) {
  std::vector<std::pair<std::string, std::string>> lines;
  auto add = [&lines](std::string key, std::string value) {
    lines.emplace_back(std::move(key), std::move(value));
  };
  add("trace", fmt::format("{} ({} bytes, {} frames, {} events)", printable(s.path), s.file_size,
                           s.frames, s.events));
  add("format", fmt::format("v{}", s.format_version));
  add("status", (s.complete ? std::string("complete")
                            : "incomplete: " + printable(s.error.value_or("unknown reason"))) +
                    (s.cuts.empty() ? "" : "; output CUT by --max-trace-size (see cut)"));
  if (s.start) {
    const auto& st = *s.start;
    add("command", shell_join(st.argv));
    add("executable", st.executable.empty() ? "(not found)" : printable(st.executable));
    add("cwd", printable(st.cwd));
    add("host", fmt::format("{} ({})", printable(st.hostname), printable(st.uname)));
    add("started", format_utc_time(st.start_unix_ns));
  } else {
    add("command", "(no start record)");
  }
  if (s.exit) {
    add("duration", format_duration(s.exit->duration_ns));
    add("exit", describe_exit(*s.exit));
    add("resources", fmt::format("max RSS {} KiB, user {:.3f} s, sys {:.3f} s", s.exit->max_rss_kib,
                                 static_cast<double>(s.exit->user_cpu_us) / 1e6,
                                 static_cast<double>(s.exit->sys_cpu_us) / 1e6));
  } else {
    add("exit", "(not recorded)");
  }
  if (s.start) {
    const auto& st = *s.start;
    add("capture",
        fmt::format("{} (from {})", st.capture_io ? "on" : "off", printable(st.policy_source)));
    add("stdin mode", printable(st.stdin_mode));
  }
  if (s.terminal) add("terminal", terminal_text(*s.terminal, s.resizes));
  for (int i = 0; i < ctrecord::kStreamCount; ++i) {
    const auto& totals = s.streams[static_cast<std::size_t>(i)];
    add(std::string(ctrecord::stream_name(static_cast<ctrecord::Stream>(i))),
        fmt::format("{} bytes in {} chunks", totals.bytes, totals.chunks));
  }
  if (auto order = order_text(s)) add("order", std::move(*order));
  for (const auto& cut : s.cuts) {
    add("cut",
        fmt::format("{} bytes of {} not recorded, between offsets {} and {} "
                    "(--max-trace-size {})",
                    cut.bytes(), ctrecord::stream_name(cut.stream), cut.from, cut.to, cut.limit));
  }
  if (s.end) {
    add("dropped", fmt::format("{} chunks, {} bytes (queue high-water mark {} events)",
                               s.end->counters.dropped_chunks, s.end->counters.dropped_bytes,
                               s.end->counters.queue_high_water));
  } else {
    add("dropped", "unknown (no end record)");
  }
  if (s.start) {
    const auto& st = *s.start;
    add("recorder",
        fmt::format("ctest-record {}, pid {}, child pid {}, {} capture", printable(st.tool_version),
                    st.recorder_pid, st.child_pid, printable(st.capture_mode)));
    if (!st.git_commit.empty()) add("git commit", printable(st.git_commit));
  }
  for (auto& line : tests_text(s.tests)) lines.push_back(std::move(line));
  for (const auto& note : s.notes) {
    add("note", fmt::format("[{}] {}", note_level_name(note.level), printable(note.text)));
  }

  std::size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  std::string out;
  for (const auto& [key, value] : lines) {
    out += fmt::format("{:<{}} {}\n", key + ":", width + 1, value);
  }
  return out;
}

}  // namespace

int run_trace_info(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace info [--json] TRACE";
  po::options_description options("options");
  options.add_options()("json", "print one JSON object instead of text");
  const auto cmd = parse_trace_command_line(args, options, usage);
  StdoutWriter out;
  if (cmd.help) return print_trace_command_help(out, options, usage);
  auto reader = open_trace(cmd.trace_path);
  const TraceSummary summary = summarize_trace(*reader);
  out.write(cmd.options.count("json") ? info_json(summary) : info_text(summary));
  out.flush();
  return report_trace_end(*reader);
}

}  // namespace ctharness
