// Automatic activation of the pytest plugin (harness/python/ctest_record/pytest_plugin.py):
// when ctest-record runs pytest, the command's environment gets the plugin in PYTEST_PLUGINS
// and the package's folder in front of PYTHONPATH, so the run reports its tests over the
// control channel without any set-up. `ctest-record --no-pytest-plugin` turns this off.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ctharness {

inline constexpr const char* kPytestPluginModule = "ctest_record.pytest_plugin";
// Folder holding the ctest_record package (an explicit choice, tried first).
inline constexpr const char* kPythonPackageEnvVar = "CTEST_RECORD_PYTHONPATH";

// True when argv runs pytest: argv[0]'s base name is pytest, pytest-3, py.test or py.test-3,
// or a Python interpreter (python, python3, python3.11, ...) whose options include -m pytest
// (or -m py.test) before any script or -c.
bool is_pytest_command(const std::vector<std::string>& argv);

struct EnvOverride {
  std::string name;
  std::string value;
  bool operator==(const EnvOverride&) const = default;
};

// The value of NAME in an environment of "NAME=VALUE" entries (the first one, as getenv).
std::optional<std::string> env_lookup(const std::vector<std::string>& env, const std::string& name);

// PYTEST_PLUGINS with the plugin appended to the existing comma-separated value (unless it is
// there already) and PYTHONPATH with `package_parent` prepended (unless it is first already).
std::vector<EnvOverride> pytest_plugin_overrides(const std::vector<std::string>& env,
                                                 const std::string& package_parent);

// `env` with the overrides applied: an existing entry of the same name is replaced (every
// copy of it), a new one is appended.
std::vector<std::string> apply_env_overrides(std::vector<std::string> env,
                                             const std::vector<EnvOverride>& overrides);

// True if `dir` holds the package (dir/ctest_record/__init__.py).
bool has_python_package(const std::string& dir);

struct PackageSearch {
  std::optional<std::string> dir;  // the folder to put on PYTHONPATH
  std::string problem;             // why none was found (when dir is empty)
};

// Where the ctest_record package is, in this order: `explicit_dir` ($CTEST_RECORD_PYTHONPATH;
// when set, nothing else is tried), <executable_dir>/../share/ctest-record/python (installed
// layout), `source_dir` (the source tree's harness/python).
PackageSearch find_python_package(const std::optional<std::string>& explicit_dir,
                                  const std::string& executable_dir, const std::string& source_dir);

struct PytestActivation {
  bool pytest = false;                 // argv runs pytest
  std::vector<EnvOverride> overrides;  // to apply to the command's environment (empty: none)
  std::string warning;                 // non-empty: pytest, but the package was not found
};

// argv + the current environment -> what to change. `executable_dir` is the folder of the
// ctest-record executable, `source_dir` the source tree's harness/python.
PytestActivation pytest_activation(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env,
                                   const std::string& executable_dir,
                                   const std::string& source_dir);

// For ctest-record: the command's full environment with the plugin activated, or nullopt to
// leave the environment alone (not pytest, or the package not found: then one warning is
// logged). Reads environ, /proc/self/exe and the compiled-in source tree path.
std::optional<std::vector<std::string>> pytest_command_environment(
    const std::vector<std::string>& argv);

}  // namespace ctharness
