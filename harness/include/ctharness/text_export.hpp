// export_text: a recording's output as plain text for `ctest-trace export --format text`
// (docs/cli.md): stdout and stderr without escape sequences (ctreplay::strip_ansi), "\r\n" as
// "\n" for streams that were on a pty.
#pragma once

#include "ctharness/stdout_writer.hpp"
#include "ctrecord/trace_reader.hpp"

namespace ctharness {

// Reads every remaining event of `reader` and writes the stdout and stderr bytes to `out`,
// line by line in the order lines were completed (a line that is still open waits for its
// "\n", so an escape sequence cut across chunks is still recognised; what remains at the end
// is written too).
void export_text(ctrecord::TraceReader& reader, StdoutWriter& out);

}  // namespace ctharness
