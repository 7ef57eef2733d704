// Human-readable renderings for the CLIs' text output: shell-quoted commands, control-safe
// strings, UTC timestamps, durations, byte sizes, exit status descriptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/trace_events.hpp"

namespace ctharness {

// A word as a POSIX shell would need it: as is when safe, 'single-quoted', or $'...' with
// \xNN escapes when it holds control characters or invalid UTF-8.
std::string shell_quote(std::string_view word);
std::string shell_join(const std::vector<std::string>& argv);

// `text` safe for a terminal: control characters and invalid UTF-8 bytes as \xNN.
std::string printable(std::string_view text);

// "2024-05-01T12:34:56.789Z"
std::string format_utc_time(std::int64_t unix_ns);
// "1.234 s", "2 min 3.456 s"
std::string format_duration(std::uint64_t ns);
// "SIGKILL" for 9, "signal 77" for unknown numbers.
std::string signal_name(int signal);
// "status 0 (exit code 0)", "status 137 (killed by signal 9, SIGKILL)", ...
std::string describe_exit(const ctrecord::ExitEvent& exit);

}  // namespace ctharness
