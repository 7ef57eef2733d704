// Which commands run pytest, and the environment that makes them load the ctest-record plugin.
#include "ctharness/pytest_activation.hpp"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "ctrecord/log.hpp"

extern char** environ;

#ifndef CTR_PYTHON_SOURCE_DIR
#define CTR_PYTHON_SOURCE_DIR ""
#endif

namespace ctharness {

namespace {

std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// python, python3, python3.11, python3.11d... (digits and dots after "python").
bool is_python_name(std::string_view name) {
  constexpr std::string_view kPython = "python";
  if (!name.starts_with(kPython)) return false;
  for (const char c : name.substr(kPython.size())) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

bool is_pytest_module(std::string_view module) {
  return module == "pytest" || module == "py.test";
}

// Python's command line: options before the script. Returns true if `-m pytest` comes first.
bool python_runs_pytest(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return false;                      // a script follows
    if (arg.size() < 2 || arg[0] != '-') return false;  // the script (or "-": stdin)
    if (arg.starts_with("--")) {
      if (arg == "--check-hash-based-pycs") ++i;  // the one long option with a value
      continue;
    }
    // A cluster of short options: -B, -u, -Wd, -X dev, -m mod, -c cmd, -bBm pytest...
    for (std::size_t k = 1; k < arg.size(); ++k) {
      const char c = arg[k];
      if (c == 'c') return false;  // -c command: no module
      if (c == 'm') {
        const std::string_view rest = arg.substr(k + 1);
        if (!rest.empty()) return is_pytest_module(rest);
        return i + 1 < argv.size() && is_pytest_module(argv[i + 1]);
      }
      if (c == 'W' || c == 'X') {
        if (k + 1 == arg.size()) ++i;  // the value is the next word
        break;                         // or the rest of this one
      }
    }
  }
  return false;
}

std::string executable_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path().string();
}

}  // namespace

bool is_pytest_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  const std::string_view name = base_name(argv[0]);
  static constexpr std::array<std::string_view, 4> kPytestNames = {"pytest", "pytest-3", "py.test",
                                                                   "py.test-3"};
  for (const auto pytest : kPytestNames) {
    if (name == pytest) return true;
  }
  return is_python_name(name) && python_runs_pytest(argv);
}

std::optional<std::string> env_lookup(const std::vector<std::string>& env,
                                      const std::string& name) {
  const std::string prefix = name + "=";
  for (const auto& entry : env) {
    if (entry.starts_with(prefix)) return entry.substr(prefix.size());
  }
  return std::nullopt;
}

std::vector<EnvOverride> pytest_plugin_overrides(const std::vector<std::string>& env,
                                                 const std::string& package_parent) {
  std::vector<EnvOverride> overrides;

  std::string plugins = env_lookup(env, "PYTEST_PLUGINS").value_or("");
  bool present = false;
  for (std::size_t start = 0; start <= plugins.size();) {
    std::size_t end = plugins.find(',', start);
    if (end == std::string::npos) end = plugins.size();
    std::string_view item = std::string_view(plugins).substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == kPytestPluginModule) present = true;
    start = end + 1;
  }
  if (!present) {
    if (!plugins.empty() && plugins.back() != ',') plugins += ',';
    plugins += kPytestPluginModule;
  }
  overrides.push_back({"PYTEST_PLUGINS", plugins});

  const std::string path = env_lookup(env, "PYTHONPATH").value_or("");
  const std::string first = path.substr(0, path.find(':'));
  if (first == package_parent) {
    overrides.push_back({"PYTHONPATH", path});
  } else {
    overrides.push_back(
        {"PYTHONPATH", path.empty() ? package_parent : package_parent + ":" + path});
  }
  return overrides;
}

std::vector<std::string> apply_env_overrides(std::vector<std::string> env,
                                             const std::vector<EnvOverride>& overrides) {
  for (const auto& o : overrides) {
    const std::string prefix = o.name + "=";
    std::erase_if(env, [&](const std::string& entry) { return entry.starts_with(prefix); });
    env.push_back(prefix + o.value);
  }
  return env;
}

bool has_python_package(const std::string& dir) {
  if (dir.empty()) return false;
  std::error_code ec;
  return std::filesystem::is_regular_file(
      std::filesystem::path(dir) / "ctest_record" / "__init__.py", ec);
}

PackageSearch find_python_package(const std::optional<std::string>& explicit_dir,
                                  const std::string& executable_dir,
                                  const std::string& source_dir) {
  PackageSearch search;
  if (explicit_dir) {
    if (has_python_package(*explicit_dir)) {
      search.dir = *explicit_dir;
    } else {
      search.problem = std::string(kPythonPackageEnvVar) + "=" + *explicit_dir +
                       " has no ctest_record/__init__.py";
    }
    return search;
  }
  std::vector<std::string> tried;
  if (!executable_dir.empty()) {
    const std::filesystem::path installed =
        (std::filesystem::path(executable_dir) / ".." / "share" / "ctest-record" / "python")
            .lexically_normal();
    if (has_python_package(installed.string())) {
      search.dir = installed.string();
      return search;
    }
    tried.push_back(installed.string());
  }
  if (has_python_package(source_dir)) {
    search.dir = source_dir;
    return search;
  }
  if (!source_dir.empty()) tried.push_back(source_dir);
  search.problem = "the ctest_record package is not in ";
  for (std::size_t i = 0; i < tried.size(); ++i) {
    search.problem += (i == 0 ? "" : " nor in ") + tried[i];
  }
  if (tried.empty()) search.problem += "any known place";
  search.problem += std::string(" (set ") + kPythonPackageEnvVar + " to the folder holding it)";
  return search;
}

PytestActivation pytest_activation(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env,
                                   const std::string& executable_dir,
                                   const std::string& source_dir) {
  PytestActivation activation;
  activation.pytest = is_pytest_command(argv);
  if (!activation.pytest) return activation;
  std::optional<std::string> explicit_dir = env_lookup(env, kPythonPackageEnvVar);
  if (explicit_dir && explicit_dir->empty()) explicit_dir.reset();  // empty = unset
  const PackageSearch package = find_python_package(explicit_dir, executable_dir, source_dir);
  if (!package.dir) {
    activation.warning =
        "running pytest without the ctest-record plugin (tests are not marked "
        "in the trace): " +
        package.problem;
    return activation;
  }
  activation.overrides = pytest_plugin_overrides(env, *package.dir);
  return activation;
}

std::optional<std::vector<std::string>> pytest_command_environment(
    const std::vector<std::string>& argv) {
  if (!is_pytest_command(argv)) return std::nullopt;
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  const PytestActivation activation =
      pytest_activation(argv, env, executable_dir(), CTR_PYTHON_SOURCE_DIR);
  if (!activation.warning.empty()) {
    ctrecord::log::warning("{}", activation.warning);
    return std::nullopt;
  }
  if (activation.overrides.empty()) return std::nullopt;
  return apply_env_overrides(std::move(env), activation.overrides);
}

}  // namespace ctharness
