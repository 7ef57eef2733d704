// Text renderings for human-readable CLI output (see text_format.hpp).
#include "ctharness/text_format.hpp"

#include <fmt/format.h>

#include <csignal>
#include <ctime>
#include <utility>

#include "ctharness/json_writer.hpp"

namespace ctharness {

namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool is_shell_safe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_@%+=:,./-").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string shell_quote(std::string_view word) {
  if (word.empty()) return "''";
  bool safe = true;
  bool needs_escapes = !is_valid_utf8(word);
  for (const char ch : word) {
    const auto c = static_cast<unsigned char>(ch);
    safe = safe && is_shell_safe(c);
    needs_escapes = needs_escapes || is_control(c);
  }
  if (safe) return std::string(word);
  if (!needs_escapes) {
    std::string out = "'";
    for (const char ch : word) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
  }
  const bool utf8 = is_valid_utf8(word);
  std::string out = "$'";
  for (const char ch : word) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\'' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (is_control(c) || (!utf8 && c >= 0x80)) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

std::string printable(std::string_view text) {
  const bool utf8 = is_valid_utf8(text);
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_control(c) || (!utf8 && c >= 0x80)) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string format_utc_time(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / 1000000000;
  std::int64_t ns = unix_ns % 1000000000;
  if (ns < 0) ns += 1000000000, --secs;
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return fmt::format("{} ns since the epoch", unix_ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns / 1000000);
}

std::string format_duration(std::uint64_t ns) {
  const std::uint64_t ms = ns / 1000000;
  if (ms < 60000) return fmt::format("{}.{:03} s", ms / 1000, ms % 1000);
  const std::uint64_t minutes = ms / 60000;
  const std::uint64_t rest = ms % 60000;
  if (minutes < 60) return fmt::format("{} min {}.{:03} s", minutes, rest / 1000, rest % 1000);
  return fmt::format("{} h {} min {}.{:03} s", minutes / 60, minutes % 60, rest / 1000,
                     rest % 1000);
}

std::string signal_name(int signal) {
  static const std::pair<int, const char*> kNames[] = {
      {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"},     {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},   {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},   {SIGCHLD, "SIGCHLD"},
      {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},   {SIGTTIN, "SIGTTIN"},
      {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},   {SIGXFSZ, "SIGXFSZ"},
      {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGSYS, "SIGSYS"},
  };
  for (const auto& [number, name] : kNames) {
    if (number == signal) return name;
  }
  return fmt::format("signal {}", signal);
}

std::string describe_exit(const ctrecord::ExitEvent& exit) {
  if (!exit.spawn_error.empty()) {
    return fmt::format("status {} (could not start: {})", exit.status, printable(exit.spawn_error));
  }
  if (exit.exited) return fmt::format("status {} (exit code {})", exit.status, exit.code);
  return fmt::format("status {} (killed by signal {}, {}{})", exit.status, exit.signal,
                     signal_name(exit.signal), exit.core_dumped ? ", core dumped" : "");
}

}  // namespace ctharness
