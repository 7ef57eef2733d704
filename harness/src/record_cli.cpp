// ctest-record option parsing (Boost.Program_options) and help text.
#include "ctharness/record_cli.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <sstream>

#include "ctharness/option_split.hpp"
#include "ctrecord/errors.hpp"

namespace ctharness {

namespace po = boost::program_options;

namespace {
po::options_description record_options() {
  po::options_description desc("Options");
  desc.add_options()(
      "output,o", po::value<std::string>()->value_name("PATH"),
      "trace file to write (default: <program>-<UTC time>-<pid>.ctrace in $CTEST_TRACE_DIR, "
      "or in ./ctest-traces when that is not set)")("no-stdin,n",
                                                    "give the command /dev/null as stdin")(
      "capture-io", "record stdin/stdout/stderr (default; overrides CTEST_CAPTURE_IO)")(
      "no-capture-io", "record metadata and exit status only (overrides CTEST_CAPTURE_IO)")(
      "grace", po::value<double>()->value_name("SECONDS"),
      "after the command exits, how long to wait for processes it left behind that still hold "
      "its stdout/stderr (default 3)")(
      "timeout", po::value<double>()->value_name("SECONDS"),
      "kill the command and every process it started (SIGKILL) after SECONDS; ctest-record "
      "then exits 124, as timeout(1) does")(
      "kill-orphans",
      "after the command exits and the grace period ends, kill the processes it started that "
      "are still running (by default they are reported and left running)")(
      "compression-level", po::value<int>()->value_name("N"),
      "zstd level for every frame of the trace, from -100 (fastest) to 19 (smallest). Default: "
      "adaptive, level 1 while compression keeps up with the command, -5 while it "
      "falls behind")(
      "max-trace-size", po::value<std::string>()->value_name("SIZE"),
      "keep at most SIZE bytes of the command's output in the trace (K, M, G suffixes: powers "
      "of 1024; at least 4K): the first half as it comes and the last half (at most 64 MiB), "
      "with a note saying how many bytes were cut between which offsets. The console still "
      "gets everything")(
      "keep", po::value<unsigned>()->value_name("N"),
      "after recording to a default path, delete the oldest default-named traces of the same "
      "program in that folder beyond the newest N (not with -o)")(
      "artifact-dir", po::value<std::string>()->value_name("DIR"),
      "for CI: write the trace into DIR (a relative -o PATH is taken inside DIR), then "
      "DIR/summary.json and DIR/junit.xml when the command ends (DIR is created if missing)")(
      "tty", po::value<std::string>()->value_name("MODE"),
      "auto (default): run the command on a pseudo-terminal when ctest-record's stdin and "
      "stdout are both terminals, so it behaves as it does on your terminal (colours, prompts, "
      "line buffering; its stdout and stderr are then one stream). always: a pty even without "
      "a terminal. stdout: stdin and stdout on a pty, stderr on a pipe of its own (streams stay "
      "apart). never: pipes, byte-exact streams")(
      "order", po::value<std::string>()->value_name("MODE"),
      "how stdout and stderr are ordered against each other in the trace. read (default): in "
      "the order ctest-record read them, so chunks written microseconds apart can be swapped. "
      "exact: in the order they were written, with the writing process and thread: the "
      "command and its children load a small shim (LD_PRELOAD, libctrecord_order.so) that "
      "announces each write; output written without it (static binaries, raw syscalls, a "
      "cleared LD_PRELOAD) is kept, flagged unsequenced. exact needs pipes (with --tty=auto "
      "they are used; always and stdout are refused). Overrides CTEST_RECORD_ORDER")(
      "record-env", po::value<std::string>()->value_name("MODE"),
      "how the trace records the environment: safe (default: every variable, values of "
      "secret-looking names such as *TOKEN*, *SECRET*, *PASSWORD*, *KEY* left out), all (every "
      "value as it is, secrets too: keep such a trace private) or none (only TERM, LANG, LC_*, "
      "TZ, COLUMNS, LINES, PYTHONHASHSEED, NO_COLOR, FORCE_COLOR, which a replay restores). "
      "Overrides CTEST_RECORD_ENV")(
      "redact", po::value<std::vector<std::string>>()->value_name("REGEX"),
      "also mask matches of REGEX (RE2, within one line) in the recorded stdin, stdout and "
      "stderr; repeatable. A replay masks its own run with the same patterns")(
      "no-redact",
      "record output as it is: by default values of secret-looking environment variables (6 "
      "bytes or longer) are replaced by *** in the trace (the console is never changed)")(
      "no-pytest-plugin",
      "when COMMAND is pytest, do not load the ctest-record pytest plugin (by default it is "
      "added to PYTEST_PLUGINS, so the trace says which test wrote what)")(
      "quiet,q", "no informational messages (warnings and errors still shown)")(
      "verbose,v", "debug messages")("help,h", "show this help and exit")(
      "version", "show the version and exit");
  return desc;
}
}  // namespace

std::string record_help_text() {
  std::ostringstream out;
  out << "Usage: ctest-record [OPTIONS] [--] COMMAND [ARGS...]\n"
         "\n"
         "Runs COMMAND with its stdin, stdout and stderr recorded into a trace file, while the\n"
         "console shows its output live and unchanged. Options end at the first word that is\n"
         "not an option: `ctest-record pytest -v` passes -v to pytest.\n"
         "\n"
      << record_options()
      << "\n"
         "Environment:\n"
         "  CTEST_CAPTURE_IO=0|1   default for --capture-io/--no-capture-io\n"
         "  CTEST_RECORD_ENV=safe|all|none  default for --record-env\n"
         "  CTEST_RECORD_ORDER=read|exact  default for --order\n"
         "  CTEST_RECORD_SHIM=PATH the --order=exact shim (default: libctrecord_order.so next to\n"
         "                         ctest-record: ../recorder/ in a build tree, "
         "../lib/ctest-record/\n"
         "                         installed)\n"
         "  CTEST_TRACE_DIR=DIR    folder for default trace paths (default ./ctest-traces)\n"
         "  CTEST_RECORD_PYTHONPATH=DIR  folder holding the ctest_record Python package (for the\n"
         "                         pytest plugin; default: the installed or source-tree copy)\n"
         "\n"
         "Exit status: the command's own; 128+N if it died of signal N; 127 command not found;\n"
         "126 not executable; 124 --timeout expired; 125 ctest-record itself failed (bad option, "
         "trace not writable,\n"
         "or, while the command succeeded, trace incomplete or --artifact-dir files not written).\n"
         "\n"
         "Inspect a trace with: ctest-trace info|cat|events TRACE\n";
  return out.str();
}

RecordCliOptions parse_record_args(int argc, const char* const* argv) {
  const po::options_description desc = record_options();
  std::vector<std::string> args(argv + 1, argv + argc);
  const SplitArgs split = split_at_command(desc, args);

  po::variables_map vm;
  try {
    // No abbreviations: split_at_command must know exactly which words take a value.
    po::store(
        po::command_line_parser(split.options)
            .options(desc)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ctrecord::UsageError(std::string(e.what()) + " (see 'ctest-record --help')");
  }

  RecordCliOptions options;
  options.help = vm.count("help") > 0;
  options.version = vm.count("version") > 0;
  if (options.help || options.version) return options;
  options.command = split.command;
  if (vm.count("output")) {
    options.output = vm["output"].as<std::string>();
    if (options.output->empty()) throw ctrecord::UsageError("--output needs a file name");
  }
  if (vm.count("artifact-dir")) {
    options.artifact_dir = vm["artifact-dir"].as<std::string>();
    if (options.artifact_dir->empty()) throw ctrecord::UsageError("--artifact-dir needs a folder");
  }
  options.no_stdin = vm.count("no-stdin") > 0;
  if (vm.count("capture-io") && vm.count("no-capture-io")) {
    throw ctrecord::UsageError("--capture-io and --no-capture-io contradict each other; give one");
  }
  if (vm.count("capture-io")) options.capture_io = true;
  if (vm.count("no-capture-io")) options.capture_io = false;
  if (vm.count("grace")) {
    options.grace_seconds = vm["grace"].as<double>();
    if (!std::isfinite(options.grace_seconds) || options.grace_seconds < 0 ||
        options.grace_seconds > 86400) {
      throw ctrecord::UsageError("--grace takes a number of seconds from 0 to 86400");
    }
  }
  if (vm.count("timeout")) {
    const double seconds = vm["timeout"].as<double>();
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 31536000) {
      throw ctrecord::UsageError(
          "--timeout takes a number of seconds greater than 0 (at most 31536000, a year)");
    }
    options.timeout_seconds = seconds;
  }
  options.kill_orphans = vm.count("kill-orphans") > 0;
  if (vm.count("compression-level")) {
    const int level = vm["compression-level"].as<int>();
    if (level < -100 || level > 19) {
      throw ctrecord::UsageError("--compression-level takes a zstd level from -100 to 19");
    }
    options.compression_level = level;
  }
  if (vm.count("max-trace-size")) {
    options.max_trace_size =
        parse_byte_size(vm["max-trace-size"].as<std::string>(), "--max-trace-size");
    if (*options.max_trace_size < 4096) {
      throw ctrecord::UsageError("--max-trace-size must be at least 4K (4096 bytes)");
    }
  }
  if (vm.count("keep")) {
    options.keep = vm["keep"].as<unsigned>();
    if (*options.keep == 0) {
      throw ctrecord::UsageError("--keep takes a number of traces of at least 1");
    }
    if (options.output) {
      throw ctrecord::UsageError(
          "--keep only applies to default trace names (ctest-traces/ or $CTEST_TRACE_DIR); "
          "drop -o, or drop --keep");
    }
  }
  options.pytest_plugin = vm.count("no-pytest-plugin") == 0;
  if (vm.count("tty")) {
    const std::string mode = vm["tty"].as<std::string>();
    if (mode == "auto") {
      options.tty = TtyChoice::Auto;
    } else if (mode == "always") {
      options.tty = TtyChoice::Always;
    } else if (mode == "never") {
      options.tty = TtyChoice::Never;
    } else if (mode == "stdout") {
      options.tty = TtyChoice::StdoutOnly;
    } else {
      throw ctrecord::UsageError("--tty takes auto, always, stdout or never, not '" + mode + "'");
    }
  }
  if (vm.count("order")) {
    const std::string mode = vm["order"].as<std::string>();
    options.order = ctrecord::parse_order_mode(mode);
    if (!options.order) {
      throw ctrecord::UsageError("--order takes read or exact, not '" + mode + "'");
    }
  }
  if (vm.count("record-env")) {
    const std::string mode = vm["record-env"].as<std::string>();
    options.record_env = ctrecord::parse_env_recording(mode);
    if (!options.record_env) {
      throw ctrecord::UsageError("--record-env takes safe, all or none, not '" + mode + "'");
    }
  }
  if (vm.count("redact")) options.redact = vm["redact"].as<std::vector<std::string>>();
  options.mask_output = vm.count("no-redact") == 0;
  if (!options.mask_output && !options.redact.empty()) {
    throw ctrecord::UsageError("--no-redact and --redact contradict each other; give one");
  }
  options.quiet = vm.count("quiet") > 0;
  options.verbose = vm.count("verbose") > 0;
  if (options.quiet && options.verbose) {
    throw ctrecord::UsageError("--quiet and --verbose contradict each other; give one");
  }
  if (options.command.empty()) {
    throw ctrecord::UsageError("no command given: ctest-record [OPTIONS] [--] COMMAND [ARGS...]");
  }
  return options;
}

ctrecord::OrderMode resolve_record_order(const RecordCliOptions& options, const char* env_value) {
  const ctrecord::OrderMode mode = ctrecord::resolve_order_mode(env_value, options.order);
  if (mode != ctrecord::OrderMode::Exact) return mode;
  if (options.tty == TtyChoice::Always || options.tty == TtyChoice::StdoutOnly) {
    const std::string from =
        options.order ? "--order=exact" : std::string(ctrecord::kRecordOrderEnvVar) + "=exact";
    throw ctrecord::UsageError(
        from + " needs pipes for stdout and stderr, and --tty=" +
        (options.tty == TtyChoice::Always ? "always" : "stdout") +
        " puts the command on a terminal: drop --tty (auto uses pipes with exact order) or give "
        "--tty=never, or use --order=read");
  }
  return mode;
}

std::uint64_t parse_byte_size(const std::string& text, const std::string& flag) {
  const auto bad = [&] {
    return ctrecord::UsageError(flag + " takes a size in bytes with an optional K, M or G " +
                                "suffix (e.g. 100M), not '" + text + "'");
  };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) throw bad();
  std::uint64_t value = std::stoull(text.substr(0, digits));
  const std::string suffix = text.substr(digits);
  int shift = 0;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MiB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GiB") {
    shift = 30;
  } else if (!suffix.empty()) {
    throw bad();
  }
  if (value > (std::uint64_t{1} << 50) >> shift) throw bad();
  return value << shift;
}

std::string trace_program_name(const std::string& argv0) {
  std::string program =
      argv0.substr(argv0.find_last_of('/') == std::string::npos ? 0 : argv0.find_last_of('/') + 1);
  for (char& c : program) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-' || c == '+';
    if (!plain) c = '_';
  }
  if (program.size() > 64) program.resize(64);
  if (program.empty() || program == "." || program == "..") program = "command";
  return program;
}

std::string default_trace_path(const std::string& argv0, const char* trace_dir, std::time_t now,
                               pid_t pid) {
  const std::string program = trace_program_name(argv0);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const std::string dir = (trace_dir && *trace_dir) ? trace_dir : "ctest-traces";
  return dir + "/" + program + "-" + stamp + "-" + std::to_string(pid) + ".ctrace";
}

}  // namespace ctharness
