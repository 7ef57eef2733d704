// `ctest-trace play [--speed X] [--max-wait S] TRACE`: the recorded output again with its
// timing, like scriptreplay(1): stdout chunks to stdout and stderr chunks to stderr, in
// recorded order, each after the pause before it (divided by --speed, capped by --max-wait).
// Streamed from the reader; every chunk is written as soon as its time comes.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ctharness/stdout_writer.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctrecord/errors.hpp"

namespace po = boost::program_options;

namespace ctharness {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kLongestPause = 1e7;  // seconds (about 116 days)

double positive_seconds(const po::variables_map& options, const char* name, bool zero_ok) {
  const double value = options[name].as<double>();
  if (!std::isfinite(value) || value < 0 || (!zero_ok && value == 0)) {
    throw ctrecord::UsageError(std::string("--") + name + ": expected a " +
                               (zero_ok ? "number >= 0" : "number > 0") + ", got " +
                               fmt::format("{}", value));
  }
  return value;
}

}  // namespace

int run_trace_play(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace play [--speed X] [--max-wait S] TRACE";
  po::options_description options("options");
  options.add_options()("speed", po::value<double>()->default_value(1.0, "1"),
                        "play X times faster (pauses divided by X; X > 0)")(
      "max-wait", po::value<double>(), "cap every pause at S seconds (0: no pauses)");
  const auto cmd = parse_trace_command_line(args, options, usage);
  StdoutWriter out;
  if (cmd.help) return print_trace_command_help(out, options, usage);
  const double speed = positive_seconds(cmd.options, "speed", false);
  std::optional<double> max_wait;
  if (cmd.options.count("max-wait")) max_wait = positive_seconds(cmd.options, "max-wait", true);
  StdoutWriter err(2, "stderr");

  auto reader = open_trace(cmd.trace_path);
  // Pauses add up to a schedule on the steady clock, so time spent writing is not added on.
  Clock::time_point due = Clock::now();
  std::uint64_t last_t_ns = 0;
  while (auto event = reader->next()) {
    const auto* chunk = std::get_if<ctrecord::IoChunk>(&*event);
    if (chunk == nullptr || chunk->stream == ctrecord::Stream::Stdin) continue;
    const std::uint64_t gap_ns = chunk->t_ns > last_t_ns ? chunk->t_ns - last_t_ns : 0;
    last_t_ns = std::max(last_t_ns, chunk->t_ns);
    double pause = static_cast<double>(gap_ns) / 1e9 / speed;
    if (max_wait) pause = std::min(pause, *max_wait);
    pause = std::min(pause, kLongestPause);  // a tiny --speed must not overflow the clock
    due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(pause));
    std::this_thread::sleep_until(due);
    StdoutWriter& target = chunk->stream == ctrecord::Stream::Stderr ? err : out;
    target.write(chunk->bytes);
    target.flush();
  }
  return report_trace_end(*reader);
}

}  // namespace ctharness
