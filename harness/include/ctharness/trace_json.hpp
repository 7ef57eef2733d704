// JSON forms of trace events, shared by `ctest-trace events` (one object per line, with
// "kind") and `ctest-trace info --json` (the start/exit/end fields without "kind"). The key
// names are a contract other tools and tests depend on (docs/cli.md).
#pragma once

#include "ctharness/json_writer.hpp"
#include "ctrecord/trace_events.hpp"

namespace ctharness {

// Writes the event as one JSON object {"kind":...,...}.
void write_event_json(JsonWriter& json, const ctrecord::TraceEvent& event);

// Write only the fields (key/value pairs) into an object the caller opened.
void write_start_fields(JsonWriter& json, const ctrecord::StartEvent& start);
void write_exit_fields(JsonWriter& json, const ctrecord::ExitEvent& exit);
void write_end_fields(JsonWriter& json, const ctrecord::EndEvent& end);
// mode, merged and term (an `opened` event only), then rows, cols, xpixel, ypixel.
void write_terminal_fields(JsonWriter& json, const ctrecord::TerminalEvent& terminal);

const char* note_level_name(ctrecord::NoteLevel level) noexcept;  // "info", "warning", "error"

}  // namespace ctharness
