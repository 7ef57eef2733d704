// The one logging module: every message of the tools goes through here, to the recorder's own
// stderr (or a saved copy of it when fd 2 is being captured), prefixed with the tool name, one
// write per line so lines never tear. Never writes into a recorded stream.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>

namespace ctrecord::log {

enum class Level : int { Error = 0, Warning = 1, Info = 2, Debug = 3 };

// Process-wide settings; set once at start-up by a CLI main (or the in-process session).
void set_program_name(std::string name);  // prefix, e.g. "ctest-record"
void set_level(Level level);              // messages above it are dropped
Level level() noexcept;
void set_output_fd(int fd) noexcept;  // default 2
int output_fd() noexcept;

// Number of messages written at each level so far (tests and summaries use them).
unsigned long count(Level level) noexcept;

void write(Level level, std::string_view message);

template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Error, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Warning)
    write(Level::Warning, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Info) write(Level::Info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Debug)
    write(Level::Debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ctrecord::log
