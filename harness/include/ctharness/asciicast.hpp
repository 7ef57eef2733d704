// AsciicastEncoder: turns a trace's events into asciicast v2 lines (asciinema's format: a JSON
// header line, then one [seconds, code, data] array per event), for `ctest-trace export
// --format asciicast` (docs/cli.md). It only makes bytes; where they go is the caller's.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "ctharness/stdout_writer.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_reader.hpp"

namespace ctharness {

class AsciicastEncoder {
 public:
  // `start` and `opened` (the terminal event that follows it in a pty recording) give the
  // header; either may be missing (damaged trace, pipe recording: 80x24).
  AsciicastEncoder(std::optional<ctrecord::StartEvent> start,
                   std::optional<ctrecord::TerminalEvent> opened);

  // Appends the header line: {"version":2,"width","height","timestamp","command","title",
  // "env":{"TERM","SHELL"}} (fields that were not recorded are left out).
  void header(std::string& out) const;

  // Appends the lines for one event: stdout/stderr chunks as "o", stdin as "i", resizes as
  // "r" ("COLSxROWS"); other events add nothing. Data are valid UTF-8: a sequence cut at the
  // end of a chunk waits for the next chunk of the same stream, invalid bytes become U+FFFD.
  // Streams that were pipes (all of a pipe recording, stderr of "pty-stdout") have each bare
  // "\n" written as "\r\n", as a terminal would have shown them.
  void event(const ctrecord::TraceEvent& event, std::string& out);

  // Appends what is still held back (an unfinished sequence at the end: U+FFFD).
  void finish(std::string& out);

 private:
  struct StreamState {
    std::string held;  // start of a UTF-8 sequence cut at the end of the last chunk
    bool last_was_cr = false;
    std::uint64_t last_t_ns = 0;
  };

  void chunk(ctrecord::Stream stream, std::uint64_t t_ns, std::string_view bytes, bool last,
             std::string& out);

  std::optional<ctrecord::StartEvent> start_;
  std::optional<ctrecord::TerminalEvent> opened_;
  std::array<StreamState, ctrecord::kStreamCount> streams_{};
};

// Reads every remaining event of `reader` and writes the recording as asciicast v2 to `out`
// (header from the start event and the terminal event right after it); flushes as it goes.
void export_asciicast(ctrecord::TraceReader& reader, StdoutWriter& out);

}  // namespace ctharness
