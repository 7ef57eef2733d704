// JSON encoding of trace events for `ctest-trace events` and `info --json`. Strings taken from
// the trace are written with bytes_value (a JSON string when valid UTF-8, else
// {"base64":...}); an io chunk's payload is "text" or "base64", never both, and its order
// fields ("order", and "seq", "writes", "tid" for an exact chunk) appear only in an exact-order
// trace.
#include "ctharness/trace_json.hpp"

#include <string_view>
#include <type_traits>
#include <variant>

#include "ctharness/base64.hpp"

namespace ctharness {

namespace {

std::string_view name_of(ctrecord::Stream stream) {
  return ctrecord::stream_name(stream);
}

template <typename T>
void write_triple(JsonWriter& json, const T& values) {
  json.begin_object();
  for (int i = 0; i < ctrecord::kStreamCount; ++i) {
    json.key(name_of(static_cast<ctrecord::Stream>(i)))
        .value(static_cast<std::uint64_t>(values[static_cast<std::size_t>(i)]));
  }
  json.end_object();
}

void write_fields(JsonWriter& json, const ctrecord::IoChunk& chunk) {
  json.key("stream").value(name_of(chunk.stream));
  json.key("t_ns").value(chunk.t_ns);
  json.key("producer").value(chunk.producer);
  // Exact-order fields (ctest-record --order=exact) only where the trace has them, so a
  // read-order trace prints what it always did.
  if (chunk.order != ctrecord::ChunkOrder::Read) {
    json.key("order").value(ctrecord::chunk_order_name(chunk.order));
  }
  if (chunk.order == ctrecord::ChunkOrder::Exact) {
    json.key("seq").value(chunk.seq);
    json.key("writes").value(chunk.writes);
    json.key("tid").value(chunk.tid);
  }
  json.key("context").bytes_value(chunk.context);
  json.key("size").value(static_cast<std::uint64_t>(chunk.bytes.size()));
  if (is_valid_utf8(chunk.bytes)) {
    json.key("text").value(chunk.bytes);
  } else {
    json.key("base64").value(base64_encode(chunk.bytes));
  }
}

void write_fields(JsonWriter& json, const ctrecord::StreamClosedEvent& ev) {
  json.key("stream").value(name_of(ev.stream));
  json.key("t_ns").value(ev.t_ns);
  json.key("reason").bytes_value(ev.reason);
}

void write_fields(JsonWriter& json, const ctrecord::NoteEvent& ev) {
  json.key("t_ns").value(ev.t_ns);
  json.key("level").value(note_level_name(ev.level));
  json.key("text").bytes_value(ev.text);
}

void write_fields(JsonWriter& json, const ctrecord::TestEvent& ev) {
  json.key("t_ns").value(ev.t_ns);
  json.key("phase").value(ev.phase == ctrecord::TestPhase::Started ? "started" : "finished");
  json.key("test_id").bytes_value(ev.test_id);
  if (ev.phase == ctrecord::TestPhase::Finished) {
    json.key("outcome").bytes_value(ev.outcome);
    json.key("duration_ns").value(ev.duration_ns);
  }
  json.key("producer").value(ev.producer);
}

void write_fields(JsonWriter& json, const ctrecord::CapturedEvent& ev) {
  json.key("t_ns").value(ev.t_ns);
  json.key("test_id").bytes_value(ev.test_id);
  json.key("section").bytes_value(ev.section);
  json.key("producer").value(ev.producer);
  json.key("size").value(static_cast<std::uint64_t>(ev.bytes.size()));
  if (is_valid_utf8(ev.bytes)) {
    json.key("text").value(ev.bytes);
  } else {
    json.key("base64").value(base64_encode(ev.bytes));
  }
}

void write_fields(JsonWriter& json, const ctrecord::TerminalEvent& ev) {
  json.key("t_ns").value(ev.t_ns);
  json.key("change").value(ev.change == ctrecord::TerminalChange::Opened ? "opened" : "resized");
  write_terminal_fields(json, ev);
}

void write_fields(JsonWriter& json, const ctrecord::StartEvent& ev) {
  write_start_fields(json, ev);
}
void write_fields(JsonWriter& json, const ctrecord::ExitEvent& ev) {
  write_exit_fields(json, ev);
}
void write_fields(JsonWriter& json, const ctrecord::EndEvent& ev) {
  write_end_fields(json, ev);
}

}  // namespace

void write_terminal_fields(JsonWriter& json, const ctrecord::TerminalEvent& terminal) {
  if (terminal.change == ctrecord::TerminalChange::Opened) {
    json.key("mode").bytes_value(terminal.mode);
    json.key("merged").value(terminal.merged);
    json.key("term").bytes_value(terminal.term);
  }
  json.key("rows").value(static_cast<std::uint64_t>(terminal.rows));
  json.key("cols").value(static_cast<std::uint64_t>(terminal.cols));
  json.key("xpixel").value(static_cast<std::uint64_t>(terminal.xpixel));
  json.key("ypixel").value(static_cast<std::uint64_t>(terminal.ypixel));
}

const char* note_level_name(ctrecord::NoteLevel level) noexcept {
  switch (level) {
    case ctrecord::NoteLevel::Info: return "info";
    case ctrecord::NoteLevel::Warning: return "warning";
    case ctrecord::NoteLevel::Error: return "error";
  }
  return "unknown";
}

void write_start_fields(JsonWriter& json, const ctrecord::StartEvent& s) {
  json.key("argv").begin_array();
  for (const auto& arg : s.argv) json.bytes_value(arg);
  json.end_array();
  json.key("executable").bytes_value(s.executable);
  json.key("cwd").bytes_value(s.cwd);
  json.key("env").begin_array();
  for (const auto& var : s.env) {
    json.begin_object();
    json.key("name").bytes_value(var.name);
    json.key("value").bytes_value(var.value);
    json.key("redacted").value(var.redacted);
    json.end_object();
  }
  json.end_array();
  json.key("hostname").bytes_value(s.hostname);
  json.key("uname").bytes_value(s.uname);
  json.key("start_unix_ns").value(s.start_unix_ns);
  json.key("tool_version").bytes_value(s.tool_version);
  json.key("capture_io").value(s.capture_io);
  json.key("policy_source").bytes_value(s.policy_source);
  json.key("isatty").begin_array();
  for (bool tty : s.isatty) json.value(tty);
  json.end_array();
  json.key("stdin_mode").bytes_value(s.stdin_mode);
  json.key("git_commit").bytes_value(s.git_commit);
  json.key("recorder_pid").value(s.recorder_pid);
  json.key("child_pid").value(s.child_pid);
  json.key("capture_mode").bytes_value(s.capture_mode);
}

void write_exit_fields(JsonWriter& json, const ctrecord::ExitEvent& e) {
  json.key("t_ns").value(e.t_ns);
  json.key("exited").value(e.exited);
  json.key("code").value(e.code);
  json.key("signal").value(e.signal);
  json.key("core_dumped").value(e.core_dumped);
  json.key("status").value(e.status);
  json.key("spawn_error").bytes_value(e.spawn_error);
  json.key("duration_ns").value(e.duration_ns);
  json.key("max_rss_kib").value(e.max_rss_kib);
  json.key("user_cpu_us").value(e.user_cpu_us);
  json.key("sys_cpu_us").value(e.sys_cpu_us);
}

void write_end_fields(JsonWriter& json, const ctrecord::EndEvent& e) {
  json.key("t_ns").value(e.t_ns);
  json.key("counters").begin_object();
  json.key("bytes");
  write_triple(json, e.counters.bytes);
  json.key("chunks");
  write_triple(json, e.counters.chunks);
  json.key("dropped_chunks").value(e.counters.dropped_chunks);
  json.key("dropped_bytes").value(e.counters.dropped_bytes);
  json.key("queue_high_water").value(e.counters.queue_high_water);
  json.end_object();
}

void write_event_json(JsonWriter& json, const ctrecord::TraceEvent& event) {
  json.begin_object();
  json.key("kind").value(ctrecord::event_kind_name(ctrecord::event_kind(event)));
  std::visit([&json](const auto& ev) { write_fields(json, ev); }, event);
  json.end_object();
}

}  // namespace ctharness
