// Logging module implementation: level filter, prefix, one write() per line to the output fd.
#include "ctrecord/log.hpp"

#include <array>
#include <mutex>

#include "ctrecord/fd_io.hpp"

namespace ctrecord::log {

namespace {
std::mutex g_name_mutex;
std::string g_program_name = "ctest-record";
std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::atomic<int> g_fd{2};
std::array<std::atomic<unsigned long>, 4> g_counts{};

const char* level_tag(Level level) {
  switch (level) {
    case Level::Error: return "error: ";
    case Level::Warning: return "warning: ";
    case Level::Info: return "";
    case Level::Debug: return "debug: ";
  }
  return "";
}
}  // namespace

void set_program_name(std::string name) {
  std::lock_guard lock(g_name_mutex);
  g_program_name = std::move(name);
}
void set_level(Level level) {
  g_level.store(static_cast<int>(level));
}
Level level() noexcept {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}
void set_output_fd(int fd) noexcept {
  g_fd.store(fd);
}
int output_fd() noexcept {
  return g_fd.load();
}
unsigned long count(Level level) noexcept {
  return g_counts[static_cast<size_t>(level)].load();
}

void write(Level level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  g_counts[static_cast<size_t>(level)].fetch_add(1);
  const int fd = g_fd.load();
  if (fd < 0) return;  // deliberately nowhere (e.g. stderr closed while it is captured)
  std::string line;
  {
    std::lock_guard lock(g_name_mutex);
    line = g_program_name;
  }
  line += ": ";
  line += level_tag(level);
  line += message;
  if (line.empty() || line.back() != '\n') line += '\n';
  // A failing log write has nowhere to be reported; the tool's exit status carries failures.
  (void)write_all(fd, line);
}

}  // namespace ctrecord::log
