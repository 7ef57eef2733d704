// ctest-replay option parsing (Boost.Program_options), help text and trace discovery.
#include "ctharness/replay_cli.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "ctharness/order_shim.hpp"
#include "ctharness/parse_options.hpp"
#include "ctharness/pytest_activation.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"

namespace ctharness {

namespace po = boost::program_options;

namespace {
po::options_description replay_options() {
  po::options_description desc("Options");
  desc.add_options()(
      "stdin", po::value<std::string>()->value_name("MODE"),
      "all, timed[:SPEED] or causal: how recorded stdin is fed. Default: causal for a "
      "recording made on a pty (each keystroke waits until the replayed output "
      "reaches the point where it was typed), all for the others")(
      "causal-timeout", po::value<double>()->value_name("SECONDS"),
      "causal stdin: wait at most this long for the output before each chunk (default 10)")(
      "timeout", po::value<double>()->value_name("SECONDS"),
      "kill the command's process group after this long (default 600); counts as a regression")(
      "cwd", po::value<std::string>()->value_name("DIR"), "run the command in DIR")(
      "env-from-trace", "apply every recorded, non-redacted environment value")(
      "env", po::value<std::vector<std::string>>()->composing()->value_name("NAME=VALUE"),
      "set a variable for the replay (repeatable)")(
      "merged", "also compare the interleaved order of stdout and stderr (line by line)")(
      "normalize", po::value<std::vector<std::string>>()->composing()->value_name("RULE"),
      "extra rule 'REGEX=>REPLACEMENT' (RE2 syntax; repeatable), or the name of a built-in "
      "that is off by default, to turn it on (progress)")(
      "ignore-lines", po::value<std::vector<std::string>>()->composing()->value_name("REGEX"),
      "drop matching lines on both sides (repeatable)")(
      "no-normalize", po::value<std::vector<std::string>>()->composing()->value_name("NAME"),
      "turn a built-in normaliser off (repeatable; see --list-normalizers)")(
      "ansi", po::value<std::string>()->value_name("keep|strip"), kAnsiOptionHelp)(
      "rules", po::value<std::string>()->value_name("FILE"),
      "rules file (default: .ctest-replay in the current directory, if present)")(
      "list-normalizers", "print the built-in normalisers and exit")(
      "json", po::value<std::string>()->value_name("FILE"), "write a JSON report")(
      "junit", po::value<std::string>()->value_name("FILE"), "write a JUnit XML report")(
      "artifact-dir", po::value<std::string>()->value_name("DIR"),
      "write DIR/summary.json (the JSON report), DIR/junit.xml and, for each regressed trace, "
      "the replay's own trace (created if missing)")(
      "no-pytest-plugin",
      "when the command is pytest, do not load the ctest-record pytest plugin (by default it "
      "is, as by ctest-record, so the replay reports its tests for a per-test comparison)")(
      "update", "accept the new behaviour: rewrite a differing trace from this run")(
      "keep-old", "with --update: keep the previous trace as TRACE.old")(
      "jobs,j", po::value<unsigned>()->value_name("N"), "replay N traces at once (default: cores)")(
      "quiet,q", "only the summary lines")("verbose,v", "also print the command each replay runs")(
      "help,h", "show this help and exit")("version", "show the version and exit");
  return desc;
}

double positive_seconds(const po::variables_map& vm, const char* name) {
  const double value = vm[name].as<double>();
  if (!std::isfinite(value) || value <= 0 || value > 86400 * 7) {
    throw ctrecord::UsageError(std::string("--") + name + " takes a positive number of seconds");
  }
  return value;
}

// The pytest plugin in the replay's environment when the command is pytest (as ctest-record
// does it: harness/include/ctharness/pytest_activation.hpp).
std::vector<std::string> with_pytest_plugin(const std::vector<std::string>& argv,
                                            std::vector<std::string> env) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const PytestActivation activation = pytest_activation(
      argv, env, ec ? std::string() : exe.parent_path().string(), CTR_PYTHON_SOURCE_DIR);
  if (!activation.warning.empty()) {
    ctrecord::log::warning("{}", activation.warning);
    return env;
  }
  return apply_env_overrides(std::move(env), activation.overrides);
}

template <typename T>
std::vector<T> values(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<T>>() : std::vector<T>{};
}
}  // namespace

void apply_ansi_option(const std::string& value, ctreplay::NormalizerOptions& normalize) {
  if (value == "strip") {
    normalize.enabled.emplace_back("ansi");
  } else if (value == "keep") {
    normalize.disabled.emplace_back("ansi");
  } else {
    throw ctrecord::UsageError("--ansi takes keep or strip, not '" + value + "'");
  }
}

std::string replay_help_text() {
  std::ostringstream out;
  out << "Usage: ctest-replay [OPTIONS] TRACE|FOLDER... [-- COMMAND [ARGS...]]\n"
         "\n"
         "Re-runs each recorded command, feeds it the recorded stdin and compares stdout,\n"
         "stderr and the exit status with the recording, after normalising volatile text.\n"
         "`-- COMMAND` replays one trace against another command (a new build).\n"
         "Recordings made on a terminal also get the progress normaliser (bare-CR rewrites\n"
         "collapsed); --ansi=strip ignores colours and cursor moves. Order: ansi, progress,\n"
         "crlf, ignore-lines, your rules, paths, hex-addresses, datetimes, durations.\n"
         "\n"
      << replay_options()
      << "\n"
         "Exit status: 0 same; 1 a regression; 2 usage error (bad option or rule); 3 a trace\n"
         "could not be replayed (unreadable, incomplete, command missing). With many traces:\n"
         "3 if any could not be replayed, else 1 if any regressed, else 0.\n";
  return out.str();
}

ReplayCliOptions parse_replay_args(int argc, const char* const* argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ReplayCliOptions options;
  const auto dashdash = std::find(args.begin(), args.end(), "--");
  if (dashdash != args.end()) {
    options.replay.command.assign(dashdash + 1, args.end());
    args.erase(dashdash, args.end());
    if (options.replay.command.empty())
      throw ctrecord::UsageError("nothing after '--': give a command");
  }
  po::options_description desc = replay_options();
  po::options_description hidden;
  hidden.add_options()("verdict-out", po::value<std::string>(), "")("worker-index",
                                                                    po::value<std::size_t>(), "");
  const po::variables_map vm =
      parse_options(args, desc, hidden, "trace", "see 'ctest-replay --help'");
  options.help = vm.count("help") > 0;
  options.version = vm.count("version") > 0;
  options.list_normalizers = vm.count("list-normalizers") > 0;
  if (options.help || options.version || options.list_normalizers) return options;

  auto& r = options.replay;
  if (vm.count("stdin")) {
    const std::string mode = vm["stdin"].as<std::string>();
    if (mode == "all") {
      r.stdin_mode = ctrecord::FeedMode::All;
    } else if (mode == "causal") {
      r.stdin_mode = ctrecord::FeedMode::Causal;
    } else if (mode == "timed" || mode.rfind("timed:", 0) == 0) {
      r.stdin_mode = ctrecord::FeedMode::Timed;
      if (mode.size() > 6) {
        try {
          r.speed = std::stod(mode.substr(6));
        } catch (const std::exception&) {
          r.speed = -1;
        }
        if (!std::isfinite(r.speed) || r.speed <= 0) {
          throw ctrecord::UsageError("--stdin timed:SPEED needs a positive number, not '" + mode +
                                     "'");
        }
      }
    } else {
      throw ctrecord::UsageError("--stdin takes all, timed[:SPEED] or causal, not '" + mode + "'");
    }
  }
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
  };
  if (vm.count("causal-timeout")) r.causal_timeout = ms(positive_seconds(vm, "causal-timeout"));
  if (vm.count("timeout")) r.timeout = ms(positive_seconds(vm, "timeout"));
  if (vm.count("cwd")) r.cwd = vm["cwd"].as<std::string>();
  r.env_from_trace = vm.count("env-from-trace") > 0;
  r.env = values<std::string>(vm, "env");
  for (const auto& assignment : r.env) {
    if (assignment.find('=') == std::string::npos || assignment.front() == '=') {
      throw ctrecord::UsageError("--env takes NAME=VALUE, not '" + assignment + "'");
    }
  }
  r.merged = vm.count("merged") > 0;
  r.normalize.rules = values<std::string>(vm, "normalize");
  r.normalize.ignore_lines = values<std::string>(vm, "ignore-lines");
  r.normalize.disabled = values<std::string>(vm, "no-normalize");
  if (vm.count("ansi")) apply_ansi_option(vm["ansi"].as<std::string>(), r.normalize);
  if (vm.count("rules")) {
    r.normalize.rules_file = vm["rules"].as<std::string>();
    if (!std::filesystem::exists(*r.normalize.rules_file)) {
      throw ctrecord::EnvironmentError("open", *r.normalize.rules_file, ENOENT);
    }
  } else if (std::filesystem::exists(".ctest-replay")) {
    r.normalize.rules_file = ".ctest-replay";
  }
  if (vm.count("no-pytest-plugin") == 0) r.adjust_environment = with_pytest_plugin;
  r.order_shim = [] {
    return find_order_shim(std::getenv(kOrderShimEnvVar), own_executable_dir());
  };
  r.update = vm.count("update") > 0;
  r.keep_old = vm.count("keep-old") > 0;
  if (r.keep_old && !r.update) throw ctrecord::UsageError("--keep-old goes with --update");
  if (vm.count("json")) options.json_path = vm["json"].as<std::string>();
  if (vm.count("junit")) options.junit_path = vm["junit"].as<std::string>();
  if (vm.count("artifact-dir")) {
    options.artifact_dir = vm["artifact-dir"].as<std::string>();
    if (options.artifact_dir->empty()) throw ctrecord::UsageError("--artifact-dir needs a folder");
    r.keep_regressed_in = *options.artifact_dir;
  }
  if (vm.count("jobs")) {
    options.jobs = vm["jobs"].as<unsigned>();
    if (options.jobs == 0) throw ctrecord::UsageError("--jobs takes a number from 1 up");
  }
  options.quiet = vm.count("quiet") > 0;
  options.verbose = vm.count("verbose") > 0;
  if (vm.count("verdict-out")) options.verdict_out = vm["verdict-out"].as<std::string>();
  if (vm.count("worker-index")) options.worker_index = vm["worker-index"].as<std::size_t>();
  options.inputs = values<std::string>(vm, "trace");
  if (options.inputs.empty()) {
    throw ctrecord::UsageError("no trace given: ctest-replay [OPTIONS] TRACE|FOLDER...");
  }
  return options;
}

std::vector<std::string> expand_trace_inputs(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> traces;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end;
           it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".ctrace") {
          found.push_back(it->path().string());
        }
      }
      if (ec) throw ctrecord::EnvironmentError("reading folder", input, ec.value());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw ctrecord::UsageError("no .ctrace files in folder " + input);
      traces.insert(traces.end(), found.begin(), found.end());
    } else {
      traces.push_back(input);
    }
  }
  return traces;
}

}  // namespace ctharness
