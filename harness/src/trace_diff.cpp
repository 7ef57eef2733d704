// ctest-trace diff A B: two recordings compared with ctest-replay's normalisers and differ.
#include <unistd.h>

#include <boost/program_options.hpp>

#include "ctharness/parse_options.hpp"
#include "ctharness/replay_cli.hpp"
#include "ctharness/stdout_writer.hpp"
#include "ctharness/trace_cli.hpp"
#include "ctharness/trace_cli_options.hpp"
#include "ctrecord/errors.hpp"
#include "ctreplay/replay_run.hpp"

namespace ctharness {

namespace po = boost::program_options;

int run_trace_diff(const std::vector<std::string>& args) {
  const std::string usage = "ctest-trace diff [OPTIONS] EXPECTED ACTUAL";
  po::options_description options("options");
  options.add_options()("merged", "also compare the interleaved order of stdout and stderr")(
      "normalize", po::value<std::vector<std::string>>()->composing(),
      "extra rule 'REGEX=>REPLACEMENT' (repeatable)")(
      "ignore-lines", po::value<std::vector<std::string>>()->composing(),
      "drop matching lines on both sides (repeatable)")(
      "no-normalize", po::value<std::vector<std::string>>()->composing(),
      "turn a built-in normaliser off (repeatable)")(
      "ansi", po::value<std::string>()->value_name("keep|strip"), kAnsiOptionHelp);
  options.add_options()("help,h", "show this help");
  const po::variables_map vm = parse_options(args, options, {}, "trace", "usage: " + usage);
  StdoutWriter out;
  if (vm.count("help")) return print_trace_command_help(out, options, usage);
  const auto get = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
  };
  const std::vector<std::string> traces = get("trace");
  if (traces.size() != 2) throw ctrecord::UsageError("expected two traces (usage: " + usage + ")");
  ctreplay::NormalizerOptions normalize;
  normalize.rules = get("normalize");
  normalize.ignore_lines = get("ignore-lines");
  normalize.disabled = get("no-normalize");
  if (vm.count("ansi")) apply_ansi_option(vm["ansi"].as<std::string>(), normalize);
  const ctreplay::LoadedTrace expected = ctreplay::load_trace(traces[0]);
  const ctreplay::LoadedTrace actual = ctreplay::load_trace(traces[1]);
  const ctreplay::Normalizer normalizer(
      ctreplay::normalizer_options_for(normalize, expected, actual), ctreplay::run_facts(expected),
      ctreplay::run_facts(actual));
  ctreplay::DiffOptions diff;
  diff.color = ::isatty(1) == 1;
  const ctreplay::TraceVerdict verdict =
      ctreplay::compare_traces(expected, actual, normalizer, diff, vm.count("merged") > 0);
  out.write(describe_verdict(verdict, true));
  out.flush();
  // 1 = the recordings differ (the same status a damaged trace gets: "not the same").
  return verdict.outcome == ctreplay::Outcome::Same ? kTraceExitOk : kTraceExitDamaged;
}

}  // namespace ctharness
