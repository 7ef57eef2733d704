// Automatic activation of the pytest plugin: which commands are pytest, the PYTEST_PLUGINS
// and PYTHONPATH values, where the package is looked for, and the --no-pytest-plugin flag.
#include "ctharness/pytest_activation.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ctharness/record_cli.hpp"

using ctharness::EnvOverride;
using ctharness::is_pytest_command;
using Words = std::vector<std::string>;

namespace {

std::string plugin() {
  return ctharness::kPytestPluginModule;
}

// A temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "ctr-pyact-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  // Creates <path>/<rel>/ctest_record/__init__.py.
  std::string make_package(const std::string& rel) const {
    const auto dir = path_ / rel;
    std::filesystem::create_directories(dir / "ctest_record");
    std::ofstream(dir / "ctest_record" / "__init__.py") << "\n";
    return dir.lexically_normal().string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST(PytestActivation, PytestExecutablesByBaseName) {
  for (const char* name : {"pytest", "pytest-3", "py.test", "py.test-3", "/usr/bin/pytest",
                           "./venv/bin/pytest", "/opt/x/py.test-3"}) {
    EXPECT_TRUE(is_pytest_command({name})) << name;
    EXPECT_TRUE(is_pytest_command({name, "-v", "tests/"})) << name;
  }
  for (const char* name : {"pytestx", "mypytest", "pytest-4", "pytest/", "", "python3",
                           "/usr/bin/true", "pytest.sh"}) {
    EXPECT_FALSE(is_pytest_command({name, "-v"})) << name;
  }
  EXPECT_FALSE(is_pytest_command({}));
}

TEST(PytestActivation, PythonWithDashMPytest) {
  EXPECT_TRUE(is_pytest_command({"python3", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python", "-m", "pytest", "-v", "tests/"}));
  EXPECT_TRUE(is_pytest_command({"/usr/bin/python3.11", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3.12", "-mpytest", "-x"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-m", "py.test"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-u", "-B", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-Bum", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-W", "error", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-Werror", "-X", "dev", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3", "--check-hash-based-pycs", "always", "-m", "pytest"}));
  EXPECT_TRUE(is_pytest_command({"python3", "-I", "-m", "pytest"}));
}

TEST(PytestActivation, PythonRunningSomethingElse) {
  EXPECT_FALSE(is_pytest_command({"python3"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-m", "unittest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-m", "pytestx"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-m"}));
  EXPECT_FALSE(is_pytest_command({"python3", "script.py", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-c", "import pytest", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-cimport pytest", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "--", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3", "-W", "-m", "pytest"}));  // -W's value is "-m"
  EXPECT_FALSE(is_pytest_command({"python3", "-X", "-m", "pytest"}));
  // Not a Python interpreter.
  EXPECT_FALSE(is_pytest_command({"pypy3", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"python3-config", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"env", "python3", "-m", "pytest"}));
  EXPECT_FALSE(is_pytest_command({"mypython", "-m", "pytest"}));
}

TEST(PytestActivation, OverridesAppendThePluginAndPrependThePackage) {
  EXPECT_EQ(ctharness::pytest_plugin_overrides({"PATH=/bin"}, "/pkg"),
            (std::vector<EnvOverride>{{"PYTEST_PLUGINS", plugin()}, {"PYTHONPATH", "/pkg"}}));
  EXPECT_EQ(
      ctharness::pytest_plugin_overrides({"PYTEST_PLUGINS=a.b,c", "PYTHONPATH=/x:/y"}, "/pkg"),
      (std::vector<EnvOverride>{{"PYTEST_PLUGINS", "a.b,c," + plugin()},
                                {"PYTHONPATH", "/pkg:/x:/y"}}));
  // Empty values count as unset; a trailing comma is not doubled.
  EXPECT_EQ(ctharness::pytest_plugin_overrides({"PYTEST_PLUGINS=", "PYTHONPATH="}, "/pkg"),
            (std::vector<EnvOverride>{{"PYTEST_PLUGINS", plugin()}, {"PYTHONPATH", "/pkg"}}));
  EXPECT_EQ(ctharness::pytest_plugin_overrides({"PYTEST_PLUGINS=a,"}, "/pkg")[0].value,
            "a," + plugin());
}

TEST(PytestActivation, NothingIsAddedTwice) {
  // A nested ctest-record (or a user who set it up by hand) already has both.
  const Words env = {"PYTEST_PLUGINS=x, " + plugin() + " ,y", "PYTHONPATH=/pkg:/other"};
  EXPECT_EQ(ctharness::pytest_plugin_overrides(env, "/pkg"),
            (std::vector<EnvOverride>{{"PYTEST_PLUGINS", "x, " + plugin() + " ,y"},
                                      {"PYTHONPATH", "/pkg:/other"}}));
  // Somewhere later in PYTHONPATH is not first: prepended again, so ours wins.
  EXPECT_EQ(ctharness::pytest_plugin_overrides({"PYTHONPATH=/a:/pkg"}, "/pkg")[1].value,
            "/pkg:/a:/pkg");
}

TEST(PytestActivation, ApplyReplacesEveryCopyAndKeepsTheRest) {
  const Words env = {"A=1", "PYTHONPATH=/old", "B=2", "PYTHONPATH=/dup", "PYTHONPATHX=keep"};
  EXPECT_EQ(ctharness::apply_env_overrides(env, {{"PYTHONPATH", "/new"}, {"C", "3"}}),
            (Words{"A=1", "B=2", "PYTHONPATHX=keep", "PYTHONPATH=/new", "C=3"}));
  EXPECT_EQ(ctharness::env_lookup(env, "PYTHONPATH"), "/old");
  EXPECT_EQ(ctharness::env_lookup(env, "PYTHON"), std::nullopt);
}

TEST(PytestActivation, PackageSearchOrder) {
  TempDir tmp;
  const std::string source = tmp.make_package("src/harness/python");
  const std::string bin = (tmp.path() / "prefix" / "bin").string();
  std::filesystem::create_directories(bin);

  // Only the source tree has it.
  auto found = ctharness::find_python_package(std::nullopt, bin, source);
  ASSERT_TRUE(found.dir);
  EXPECT_EQ(*found.dir, source);

  // The installed layout wins over the source tree.
  const std::string installed = tmp.make_package("prefix/share/ctest-record/python");
  found = ctharness::find_python_package(std::nullopt, bin, source);
  ASSERT_TRUE(found.dir);
  EXPECT_EQ(*found.dir, installed);

  // An explicit folder wins over both, and is the only one tried.
  const std::string mine = tmp.make_package("mine");
  found = ctharness::find_python_package(mine, bin, source);
  ASSERT_TRUE(found.dir);
  EXPECT_EQ(*found.dir, mine);
  found = ctharness::find_python_package((tmp.path() / "nothing").string(), bin, source);
  EXPECT_FALSE(found.dir);
  EXPECT_NE(found.problem.find("CTEST_RECORD_PYTHONPATH="), std::string::npos) << found.problem;
}

TEST(PytestActivation, PackageNotFoundNamesThePlacesTried) {
  TempDir tmp;
  const auto found = ctharness::find_python_package(std::nullopt, (tmp.path() / "bin").string(),
                                                    (tmp.path() / "src").string());
  EXPECT_FALSE(found.dir);
  EXPECT_NE(found.problem.find("share/ctest-record/python"), std::string::npos) << found.problem;
  EXPECT_NE(found.problem.find((tmp.path() / "src").string()), std::string::npos) << found.problem;
  // A folder without __init__.py is not the package.
  std::filesystem::create_directories(tmp.path() / "src" / "ctest_record");
  EXPECT_FALSE(ctharness::has_python_package((tmp.path() / "src").string()));
}

TEST(PytestActivation, WholeDecision) {
  TempDir tmp;
  const std::string source = tmp.make_package("py");
  const std::string bin = (tmp.path() / "bin").string();

  auto a = ctharness::pytest_activation({"make", "test"}, {"PATH=/bin"}, bin, source);
  EXPECT_FALSE(a.pytest);
  EXPECT_TRUE(a.overrides.empty());
  EXPECT_TRUE(a.warning.empty());

  a = ctharness::pytest_activation({"pytest", "-q"}, {"PYTEST_PLUGINS=mine"}, bin, source);
  EXPECT_TRUE(a.pytest);
  EXPECT_TRUE(a.warning.empty());
  EXPECT_EQ(a.overrides, (std::vector<EnvOverride>{{"PYTEST_PLUGINS", "mine," + plugin()},
                                                   {"PYTHONPATH", source}}));

  // CTEST_RECORD_PYTHONPATH picks the folder; empty means unset.
  const std::string other = tmp.make_package("other");
  a = ctharness::pytest_activation({"pytest"}, {"CTEST_RECORD_PYTHONPATH=" + other}, bin, source);
  ASSERT_EQ(a.overrides.size(), 2u);
  EXPECT_EQ(a.overrides[1].value, other);
  a = ctharness::pytest_activation({"pytest"}, {"CTEST_RECORD_PYTHONPATH="}, bin, source);
  ASSERT_EQ(a.overrides.size(), 2u);
  EXPECT_EQ(a.overrides[1].value, source);

  // Not found: a warning, no overrides (pytest runs without the plugin).
  a = ctharness::pytest_activation({"pytest"}, {"CTEST_RECORD_PYTHONPATH=/nonexistent"}, bin,
                                   source);
  EXPECT_TRUE(a.pytest);
  EXPECT_TRUE(a.overrides.empty());
  EXPECT_NE(a.warning.find("/nonexistent"), std::string::npos) << a.warning;
}

TEST(PytestActivation, NoPytestPluginFlag) {
  const char* with[] = {"ctest-record", "--no-pytest-plugin", "pytest", "-v"};
  const auto o = ctharness::parse_record_args(4, with);
  EXPECT_FALSE(o.pytest_plugin);
  EXPECT_EQ(o.command, (Words{"pytest", "-v"}));
  const char* without[] = {"ctest-record", "pytest", "--no-pytest-plugin"};
  const auto p = ctharness::parse_record_args(3, without);
  EXPECT_TRUE(p.pytest_plugin);  // after the command: pytest's word, not ours
  EXPECT_EQ(p.command, (Words{"pytest", "--no-pytest-plugin"}));
  EXPECT_NE(ctharness::record_help_text().find("--no-pytest-plugin"), std::string::npos);
}
