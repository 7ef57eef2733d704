// Start metadata collection: environment redaction, git HEAD lookup; the host facts come from
// host_facts_*.cpp.
#include "ctrecord/start_metadata.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "host_facts.hpp"

#ifndef CTR_VERSION
#define CTR_VERSION "unknown"
#endif

namespace ctrecord {

namespace {

constexpr std::array<std::string_view, 8> kSecretMarkers = {
    "TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH", "COOKIE"};

// Reads at most `limit` bytes of a small text file; "" when missing.
std::string read_small_file(const std::filesystem::path& path, std::size_t limit = 1 << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::string data(ec ? std::size_t{4096} : std::min<std::size_t>(size, limit), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

bool is_commit_id(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string resolve_ref(const std::filesystem::path& git_dir, const std::string& ref) {
  namespace fs = std::filesystem;
  fs::path common = git_dir;
  const std::string commondir = trim(read_small_file(git_dir / "commondir"));
  if (!commondir.empty())
    common = fs::path(commondir).is_absolute() ? fs::path(commondir) : git_dir / commondir;
  for (const fs::path& base : {git_dir, common}) {
    const std::string id = trim(read_small_file(base / ref));
    if (is_commit_id(id)) return id;
  }
  const std::string packed = read_small_file(common / "packed-refs", 64u << 20);
  std::size_t pos = 0;
  while (pos < packed.size()) {
    std::size_t end = packed.find('\n', pos);
    if (end == std::string::npos) end = packed.size();
    const std::string line = packed.substr(pos, end - pos);
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0 &&
        is_commit_id(line.substr(0, 40))) {
      return line.substr(0, 40);
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace

bool is_secret_env_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return std::any_of(kSecretMarkers.begin(), kSecretMarkers.end(), [&](std::string_view marker) {
    return upper.find(marker) != std::string::npos;
  });
}

bool is_formatting_env_name(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "TERM", "COLUMNS",        "LINES",    "LANG",       "LANGUAGE",
      "TZ",   "PYTHONHASHSEED", "NO_COLOR", "FORCE_COLOR"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end() ||
         name.substr(0, 3) == "LC_";
}

std::vector<EnvVar> redacted_environment() {
  return recorded_environment(EnvRecording::Safe);
}

std::vector<EnvVar> recorded_environment(EnvRecording mode) {
  std::vector<EnvVar> env;
  for (const std::string& entry : detail::environment_entries()) {
    const std::string_view text(entry);
    const std::size_t eq = text.find('=');
    EnvVar var;
    var.name = std::string(text.substr(0, eq));
    if (mode == EnvRecording::None && !is_formatting_env_name(var.name)) continue;
    if (mode == EnvRecording::Safe && is_secret_env_name(var.name)) {
      var.redacted = true;
    } else if (eq != std::string_view::npos) {
      var.value = std::string(text.substr(eq + 1));
    }
    env.push_back(std::move(var));
  }
  return env;
}

std::string find_git_commit(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path current = fs::absolute(dir, ec);
  if (ec) return {};
  for (int depth = 0; depth < 256; ++depth) {
    const fs::path dot_git = current / ".git";
    fs::path git_dir;
    if (fs::is_directory(dot_git, ec)) {
      git_dir = dot_git;
    } else if (fs::is_regular_file(dot_git, ec)) {
      const std::string text = trim(read_small_file(dot_git, 4096));
      if (text.rfind("gitdir:", 0) == 0) {
        fs::path target = trim(text.substr(7));
        git_dir = target.is_absolute() ? target : current / target;
      }
    }
    if (!git_dir.empty()) {
      const std::string head = trim(read_small_file(git_dir / "HEAD", 4096));
      if (is_commit_id(head)) return head;
      if (head.rfind("ref:", 0) == 0) return resolve_ref(git_dir, trim(head.substr(4)));
      return {};
    }
    if (!current.has_parent_path() || current.parent_path() == current) break;
    current = current.parent_path();
  }
  return {};
}

std::string tool_version() {
  return CTR_VERSION;
}

StartEvent collect_start_metadata(std::vector<std::string> argv, std::string executable,
                                  const RecorderPolicy& policy, std::string stdin_mode,
                                  std::array<bool, 3> isatty) {
  StartEvent start;
  start.argv = std::move(argv);
  start.executable = std::move(executable);
  start.cwd = detail::current_directory();
  start.env = recorded_environment(policy.env_recording);
  start.hostname = detail::host_name();
  start.uname = detail::host_uname();
  start.start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  start.tool_version = tool_version();
  start.capture_io = policy.io_capture_enabled;
  start.policy_source = policy.io_capture_source;
  start.isatty = isatty;
  start.stdin_mode = std::move(stdin_mode);
  if (!start.cwd.empty()) start.git_commit = find_git_commit(start.cwd);
  start.recorder_pid = detail::process_id();
  return start;
}

}  // namespace ctrecord
