// Start metadata: what a trace says about the run before any IO (environment with secrets
// redacted, host, cwd, git commit, terminals). Gathered without running other programs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/trace_events.hpp"

namespace ctrecord {

// True for names that look like they hold secrets: containing TOKEN, SECRET, PASSWORD,
// PASSWD, KEY, CREDENTIAL, AUTH or COOKIE (any case).
bool is_secret_env_name(std::string_view name);

// The variables ctest-replay gives the command with their recorded values: TERM, COLUMNS,
// LINES, LANG, LANGUAGE, TZ, PYTHONHASHSEED, NO_COLOR, FORCE_COLOR and LC_*.
bool is_formatting_env_name(std::string_view name);

// The current environment, secret-looking values removed.
std::vector<EnvVar> redacted_environment();
// The current environment as --record-env says: redacted (safe), as it is (all), or only the
// formatting variables (none).
std::vector<EnvVar> recorded_environment(EnvRecording mode);

// HEAD commit (40 hex digits) of the git repository containing `dir`, or "" when there is
// none or it cannot be read. Reads .git files directly (worktrees, packed-refs included).
std::string find_git_commit(const std::string& dir);

// Fills everything except child_pid. `isatty` must describe the std fds as ctest-record found
// them (before any were replaced).
StartEvent collect_start_metadata(std::vector<std::string> argv, std::string executable,
                                  const RecorderPolicy& policy, std::string stdin_mode,
                                  std::array<bool, 3> isatty);

std::string tool_version();

}  // namespace ctrecord
