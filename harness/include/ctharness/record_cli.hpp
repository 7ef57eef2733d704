// The ctest-record command line: options, help text and the default trace location.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/recorder_policy.hpp"

namespace ctharness {

// --tty: whether the command runs on a pseudo-terminal.
enum class TtyChoice { Auto, Always, Never, StdoutOnly };

struct RecordCliOptions {
  std::vector<std::string> command;
  std::optional<std::string> output;
  std::optional<std::string> artifact_dir;  // --artifact-dir (ctharness/record_artifacts.hpp)
  bool no_stdin = false;
  std::optional<bool> capture_io;
  double grace_seconds = 3.0;
  std::optional<double> timeout_seconds;        // --timeout: kill the command's tree
  bool kill_orphans = false;                    // --kill-orphans
  std::optional<int> compression_level;         // fixed zstd level; unset: adaptive
  std::optional<std::uint64_t> max_trace_size;  // --max-trace-size, bytes of output kept
  std::optional<unsigned> keep;                 // --keep N default-named traces
  bool pytest_plugin = true;                    // activate the pytest plugin (--no-pytest-plugin)
  TtyChoice tty = TtyChoice::Auto;
  std::optional<ctrecord::OrderMode> order;          // --order (else CTEST_RECORD_ORDER)
  std::optional<ctrecord::EnvRecording> record_env;  // --record-env (else CTEST_RECORD_ENV)
  bool mask_output = true;                           // --no-redact turns it off
  std::vector<std::string> redact;                   // --redact REGEX, in order
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
};

// Parses argv (including the program name). Throws ctrecord::UsageError naming the bad word.
RecordCliOptions parse_record_args(int argc, const char* const* argv);
std::string record_help_text();

// --order, else CTEST_RECORD_ORDER (`env_value`; null or empty: unset), else read. Exact needs
// pipes: with --tty=always or --tty=stdout it is a UsageError naming the fix.
ctrecord::OrderMode resolve_record_order(const RecordCliOptions& options, const char* env_value);

// "100M" -> 104857600: a number of bytes with an optional K, M or G suffix (powers of 1024).
// Throws ctrecord::UsageError naming `flag`.
std::uint64_t parse_byte_size(const std::string& text, const std::string& flag);

// argv[0]'s base name with unusual characters replaced by '_' (at most 64 characters): the
// <program> part of default trace names.
std::string trace_program_name(const std::string& argv0);

// <trace_dir>/<program>-<YYYYmmddTHHMMSSZ>-<pid>.ctrace, trace_dir defaulting to
// "ctest-traces" when null or empty; `program` is argv[0]'s base name with unusual
// characters replaced by '_'.
std::string default_trace_path(const std::string& argv0, const char* trace_dir, std::time_t now,
                               pid_t pid);

}  // namespace ctharness
