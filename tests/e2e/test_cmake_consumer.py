"""The installed CMake package, end to end (docs/ci.md): `cmake --install` this build into a
temporary prefix, record traces with the installed ctest-record, and use them from a small
consumer project through find_package(CTestRecord) and through include(CTestRecord).

Checked: the installed layout (executables, library, header, Python package with its
library link, package files); replay tests from a folder of traces and ctest_record_add_test
tests (a Python command with INPUT, an executable target of the consumer) pass under
`ctest -j 2 --output-junit`; a changed program fails its tests and ctest names them; a
missing golden trace fails with the commands that record it and is never recorded by the
test; the record-<NAME> target builds the program first and accepts a changed behaviour;
include(CTestRecord) finds the tools next to the installed module or takes them from
CTEST_RECORD_EXECUTABLE/CTEST_REPLAY_EXECUTABLE; bad arguments stop the configure step with
a message naming the problem.

The build folder comes from CTR_BUILD_DIR, else from CTEST_RECORD_BIN (<build>/harness/
ctest-record); cmake and ctest are the ones that configured that build (CMakeCache.txt).
Stdlib only.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from ctr_helpers import FIXTURES_DIR, PYTHON, RECORD_BIN

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("CTR_BUILD_DIR") or os.path.dirname(os.path.dirname(RECORD_BIN))
STEP_TIMEOUT = 120
SOURCE_MODULE_DIR = os.path.join(_REPO, "cmake")


def cache_value(build_dir, name):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.rstrip("\n").split("=", 1)[1]
    except OSError:
        pass
    return None


CMAKE = cache_value(BUILD_DIR, "CMAKE_COMMAND") or shutil.which("cmake")
CTEST = cache_value(BUILD_DIR, "CMAKE_CTEST_COMMAND") or shutil.which("ctest")

HELLO_CPP = r"""#include <cstdio>
int main(int argc, char** argv) {
  std::printf("hello %s\n", argc > 1 ? argv[1] : "nobody");
  std::fprintf(stderr, "hello: exiting with 3\n");
  return 3;
}
"""

CONSUMER_CMAKELISTS = r"""cmake_minimum_required(VERSION 3.21)
project(consumer LANGUAGES CXX)
enable_testing()
find_package(CTestRecord 0.1 REQUIRED)

# Every trace in traces/ (recorded by hand with ctest-record), replayed as it was recorded.
ctest_record_add_replay_tests(DIRECTORY traces LABELS golden)

# Commands with golden traces in traces-golden/ (record-<NAME> targets record them).
ctest_record_add_test(NAME versioned
  COMMAND "${PY}" "${CMAKE_CURRENT_SOURCE_DIR}/progs/versioned_output.py" --name versioned
  TRACE traces-golden/versioned.ctrace LABELS unit)
ctest_record_add_test(NAME accept
  COMMAND "${PY}" "${CMAKE_CURRENT_SOURCE_DIR}/progs/versioned_output.py" --name accept
  TRACE traces-golden/accept.ctrace)
ctest_record_add_test(NAME calc
  COMMAND "${PY}" progs/calc.py
  INPUT progs/calc-input.txt WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
  TRACE traces-golden/calc.ctrace)
add_executable(hello hello.cpp)
ctest_record_add_test(NAME hello COMMAND hello world TRACE traces-golden/hello.ctrace)
# Never recorded: its test must fail and say how to record it.
ctest_record_add_test(NAME missing
  COMMAND "${PY}" "${CMAKE_CURRENT_SOURCE_DIR}/progs/versioned_output.py" --name missing
  TRACE traces-golden/missing.ctrace)
"""

INCLUDE_CMAKELISTS = r"""cmake_minimum_required(VERSION 3.21)
project(consumer_include LANGUAGES NONE)
enable_testing()
list(APPEND CMAKE_MODULE_PATH "${MODULE_DIR}")
include(CTestRecord)
ctest_record_add_replay_tests(DIRECTORY "${TRACES}" PREFIX inc WORKING_DIRECTORY "${WORKDIR}"
                              REPLAY_ARGS --timeout 60)
"""

BAD_CALLS = {
    "no_command": ("ctest_record_add_test(NAME lonely)", "COMMAND is required"),
    "no_name": ("ctest_record_add_test(COMMAND true)", "NAME is required"),
    "unknown_arg": ("ctest_record_add_test(BOGUS 1 NAME x COMMAND true)",
                    "unknown arguments: BOGUS"),
    "bad_trace": ("ctest_record_add_test(NAME x COMMAND true TRACE x.txt)",
                  "must end in .ctrace"),
    "no_input": ("ctest_record_add_test(NAME x COMMAND true INPUT nothing-here.txt)",
                 "is not a file"),
    "no_dir_arg": ("ctest_record_add_replay_tests(LABELS x)", "DIRECTORY is required"),
    "missing_dir": ("ctest_record_add_replay_tests(DIRECTORY no-such-folder)",
                    "is not a folder"),
    "dup_name": ("ctest_record_add_test(NAME x COMMAND true)\n"
                 "ctest_record_add_test(NAME x COMMAND true)", "exists already"),
}


def run(argv, cwd=None, env=None, timeout=STEP_TIMEOUT):
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    return proc.returncode, out, time.monotonic() - started


def clean_env(**extra):
    env = dict(os.environ)
    for name in ("CTR_VERSIONED_CHANGED", "CTEST_RECORD_EXECUTABLE", "CTEST_REPLAY_EXECUTABLE",
                 "MAKEFLAGS", "CTEST_PARALLEL_LEVEL", "CMAKE_GENERATOR", "CTEST_OUTPUT_ON_FAILURE"):
        env.pop(name, None)
    env.update(extra)
    return env


def junit_cases(path):
    """{test name: 'pass' | 'fail' | ...} from ctest's --output-junit file."""
    root = ET.parse(path).getroot()
    cases = {}
    for case in root.iter("testcase"):
        # ctest writes status="run" for a passed test, "fail" with a <failure> otherwise.
        status = case.get("status")
        if status == "fail" or case.find("failure") is not None:
            status = "fail"
        elif status in (None, "run", "pass"):
            status = "pass"
        cases[case.get("name")] = status
    return cases


@unittest.skipUnless(CMAKE and CTEST and os.path.isfile(os.path.join(BUILD_DIR, "CMakeCache.txt"))
                     and os.path.isfile(os.path.join(BUILD_DIR, "cmake_install.cmake")),
                     "no configured build folder to install from (%s)" % BUILD_DIR)
class CMakeConsumerTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ctr-consumer-")
        cls.timings = {}
        try:
            cls._set_up()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        sys.stderr.write("\n[cmake consumer timings] %s\n" % ", ".join(
            "%s %.1fs" % kv for kv in cls.timings.items()))

    @classmethod
    def step(cls, what, argv, cwd=None, env=None, ok=True):
        rc, out, elapsed = run(argv, cwd=cwd, env=env or clean_env())
        cls.timings[what] = cls.timings.get(what, 0.0) + elapsed
        if ok and rc != 0:
            raise AssertionError("%s failed (exit %d): %s\n%s" % (what, rc, argv, out))
        return rc, out

    @classmethod
    def _set_up(cls):
        cls.prefix = os.path.join(cls.tmp, "prefix")
        cls.step("install", [CMAKE, "--install", BUILD_DIR, "--prefix", cls.prefix])
        cls.bin = os.path.join(cls.prefix, "bin")
        cls.recorder = os.path.join(cls.bin, "ctest-record")

        # The consumer project: programs, stdin file, traces recorded with the installed tool.
        cls.src = os.path.join(cls.tmp, "consumer")
        progs = os.path.join(cls.src, "progs")
        os.makedirs(progs)
        for name in ("calc.py", "versioned_output.py"):
            shutil.copy(os.path.join(FIXTURES_DIR, name), progs)
        with open(os.path.join(progs, "calc-input.txt"), "w") as f:
            f.write("1+2\n6*7\n10//3\n")
        with open(os.path.join(cls.src, "hello.cpp"), "w") as f:
            f.write(HELLO_CPP)
        with open(os.path.join(cls.src, "CMakeLists.txt"), "w") as f:
            f.write(CONSUMER_CMAKELISTS)
        os.makedirs(os.path.join(cls.src, "traces"))
        # Relative paths in the recorded commands: the replays run in the source folder.
        with open(os.path.join(progs, "calc-input.txt"), "rb") as stdin:
            subprocess.run([cls.recorder, "-q", "-o", "traces/calc.ctrace", "--", PYTHON,
                            "progs/calc.py"], cwd=cls.src, stdin=stdin, env=clean_env(),
                           stdout=subprocess.DEVNULL, check=True, timeout=STEP_TIMEOUT)
        os.makedirs(os.path.join(cls.src, "traces", "more"))
        for trace, name in (("traces/versioned.ctrace", "consumer"),
                            ("traces/more/versioned.ctrace", "more")):
            subprocess.run([cls.recorder, "-q", "-n", "-o", trace, "--", PYTHON,
                            "progs/versioned_output.py", "--name", name], cwd=cls.src,
                           env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True, timeout=STEP_TIMEOUT)

        cls.build = os.path.join(cls.tmp, "consumer-build")
        cls.step("configure", [CMAKE, "-S", cls.src, "-B", cls.build, "-DPY=" + PYTHON,
                               "-DCMAKE_PREFIX_PATH=" + cls.prefix])
        # Nothing is built yet: record-hello must build hello before it records.
        cls.record_hello = cls.step("record", [CMAKE, "--build", cls.build, "--target",
                                               "record-hello"])[1]
        for name in ("versioned", "accept", "calc"):
            cls.step("record", [CMAKE, "--build", cls.build, "--target", "record-" + name])
        cls.step("build", [CMAKE, "--build", cls.build])

    def ctest(self, *args, env=None, junit=None):
        argv = [CTEST, "--test-dir", self.build, "--output-on-failure", "-j", "2"]
        if junit:
            argv += ["--output-junit", junit]
        rc, out = self.step("ctest", argv + list(args), env=env, ok=False)
        return rc, out

    def artifacts(self, test):
        return os.path.join(self.build, "ctest-replay-artifacts", test)

    def golden(self, name):
        return os.path.join(self.src, "traces-golden", name + ".ctrace")

    # ------------------------------------------------------------------------------- tests
    def test_installed_layout(self):
        p = self.prefix
        for rel in ("bin/ctest-record", "bin/ctest-replay", "bin/ctest-trace"):
            self.assertTrue(os.access(os.path.join(p, rel), os.X_OK), rel)
        for rel in ("lib/libctrecord_c.so", "include/ctrecord/c_api.h",
                    "lib/cmake/CTestRecord/CTestRecordConfig.cmake",
                    "lib/cmake/CTestRecord/CTestRecordConfigVersion.cmake",
                    "lib/cmake/CTestRecord/CTestRecord.cmake",
                    "share/ctest-record/python/ctest_record/__init__.py"):
            self.assertTrue(os.path.isfile(os.path.join(p, rel)), rel)
        pkg = os.path.join(p, "share/ctest-record/python/ctest_record")
        self.assertFalse(os.path.exists(os.path.join(pkg, "__pycache__")))
        # The package finds the library next to itself: a link to the installed one.
        link = os.path.join(pkg, "libctrecord_c.so")
        self.assertTrue(os.path.samefile(link, os.path.join(p, "lib/libctrecord_c.so")))
        # Importable from the installed folder (importing never loads the library).
        rc, out, _ = run([PYTHON, "-c", "import ctest_record, os; print(os.path.dirname("
                          "ctest_record.__file__))"], env=clean_env(PYTHONPATH=os.path.dirname(pkg)))
        self.assertEqual(rc, 0, out)
        self.assertEqual(os.path.realpath(out.strip()), os.path.realpath(pkg))
        # No test programs or fixtures.
        everything = [os.path.relpath(os.path.join(d, f), p)
                      for d, _, files in os.walk(p) for f in files]
        self.assertFalse([f for f in everything if re.search(
            r"unit_tests|fixture|gtest|start_stop|thread_writer|\.ctrace$|\.a$", f)], everything)

    def test_record_target_builds_the_program_first(self):
        self.assertIn("hello", self.record_hello)
        self.assertRegex(self.record_hello, r"(?i)(building|linking) CXX")
        self.assertIn("recorded " + self.golden("hello"), self.record_hello)
        self.assertIn("command exited 3", self.record_hello)
        rc, out, _ = run([os.path.join(self.bin, "ctest-trace"), "cat", self.golden("hello")])
        self.assertEqual(rc, 0, out)
        self.assertIn("hello world", out)

    def test_replays_pass_in_parallel_with_junit(self):
        junit = os.path.join(self.tmp, "junit-pass.xml")
        rc, out = self.ctest("-E", "^missing$", junit=junit)
        self.assertEqual(rc, 0, out)
        expected = {"traces/calc", "traces/versioned", "traces/more/versioned", "versioned",
                    "accept", "calc", "hello"}
        cases = junit_cases(junit)
        self.assertEqual(set(cases), expected, out)
        self.assertEqual(set(cases.values()), {"pass"}, cases)
        # Labels: given ones plus ctest-record.
        rc, out = self.ctest("-N", "-L", "golden")
        self.assertIn("Total Tests: 3", out)
        rc, out = self.ctest("-N", "-L", "ctest-record")
        self.assertIn("Total Tests: 8", out)
        # ctest-replay's own reports (--artifact-dir), one folder per test, in the build tree.
        for name in expected:
            folder = self.artifacts(name)
            with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
                json.load(f)
            ET.parse(os.path.join(folder, "junit.xml"))

    def test_changed_program_fails_and_ctest_names_it(self):
        junit = os.path.join(self.tmp, "junit-fail.xml")
        env = clean_env(CTR_VERSIONED_CHANGED="consumer,versioned")
        rc, out = self.ctest("-E", "^missing$", env=env, junit=junit)
        self.assertNotEqual(rc, 0, out)
        failed = out[out.index("The following tests FAILED"):]
        self.assertRegex(failed, r"- traces/versioned \(Failed\)")
        self.assertRegex(failed, r"- versioned \(Failed\)")
        self.assertNotIn("traces/calc", failed)
        self.assertNotIn("traces/more/versioned", failed)
        self.assertNotIn("hello", failed)
        self.assertIn("REGRESSION", out)
        self.assertIn("-result: 42", out)
        self.assertIn("+result: 43", out)
        self.assertIn("--target record-versioned", out)
        self.assertIn("--update", out)
        # The regressed replays' own traces are kept with their reports.
        for test in ("traces/versioned", "versioned"):
            kept = [f for f in os.listdir(self.artifacts(test)) if f.endswith(".ctrace")]
            self.assertTrue(kept, os.listdir(self.artifacts(test)))
        cases = junit_cases(junit)
        self.assertEqual(cases["traces/versioned"], "fail")
        self.assertEqual(cases["versioned"], "fail")
        self.assertEqual(cases["traces/calc"], "pass")
        self.assertEqual(cases["hello"], "pass")

    def test_missing_golden_trace_fails_with_how_to_record(self):
        trace = self.golden("missing")
        rc, out = self.ctest("-R", "^missing$")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("does not exist", out)
        self.assertIn("cmake --build %s --target record-missing" % self.build, out)
        line = [l for l in out.splitlines() if "ctest-record -o " in l]
        self.assertTrue(line, out)
        self.assertIn("%s -o %s -n -- %s %s/progs/versioned_output.py --name missing"
                      % (self.recorder, trace, PYTHON, self.src), line[0])
        self.assertFalse(os.path.exists(trace), "a test must never record")
        self.assertRegex(out, r"- missing \((Failed|Error)\)")

    def test_record_target_accepts_a_changed_behaviour(self):
        # This test rewrites the golden trace of `accept`; the others expect the original.
        saved = os.path.join(self.tmp, "accept.ctrace.saved")
        shutil.copy(self.golden("accept"), saved)
        self.addCleanup(shutil.copy, saved, self.golden("accept"))
        changed = clean_env(CTR_VERSIONED_CHANGED="accept")
        rc, out = self.ctest("-R", "^accept$", env=changed)
        self.assertNotEqual(rc, 0, out)
        self.step("record", [CMAKE, "--build", self.build, "--target", "record-accept"],
                  env=changed)
        rc, out = self.ctest("-R", "^accept$", env=changed)
        self.assertEqual(rc, 0, out)
        rc, out = self.ctest("-R", "^accept$")
        self.assertNotEqual(rc, 0, out)

    def _include_project(self, name, module_dir, extra_args=(), env=None):
        src = os.path.join(self.tmp, name)
        os.makedirs(src, exist_ok=True)
        with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
            f.write(INCLUDE_CMAKELISTS)
        build = os.path.join(self.tmp, name + "-build")
        rc, out = self.step("configure", [CMAKE, "-S", src, "-B", build,
                                          "-DMODULE_DIR=" + module_dir,
                                          "-DTRACES=" + os.path.join(self.src, "traces"),
                                          "-DWORKDIR=" + self.src] + list(extra_args),
                            env=env, ok=False)
        return rc, out, build

    def test_include_form_finds_the_installed_tools(self):
        env = clean_env(PATH="/usr/bin:/bin")
        rc, out, build = self._include_project(
            "inc-installed", os.path.join(self.prefix, "lib/cmake/CTestRecord"), env=env)
        self.assertEqual(rc, 0, out)
        self.assertEqual(cache_value(build, "CTEST_REPLAY_EXECUTABLE"),
                         os.path.join(self.bin, "ctest-replay"))
        rc, out = self.step("ctest", [CTEST, "--test-dir", build, "-j", "2",
                                      "--output-on-failure"], env=env, ok=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("inc/calc", out)
        self.assertIn("inc/versioned", out)

    def test_include_form_honours_the_cache_variables(self):
        replay = os.path.join(self.bin, "ctest-replay")
        env = clean_env(PATH="/usr/bin:/bin")
        rc, out, build = self._include_project(
            "inc-source", SOURCE_MODULE_DIR, env=env,
            extra_args=["-DCTEST_REPLAY_EXECUTABLE=" + replay])
        self.assertEqual(rc, 0, out)
        self.assertEqual(cache_value(build, "CTEST_REPLAY_EXECUTABLE"), replay)
        rc, out = self.step("ctest", [CTEST, "--test-dir", build, "-j", "2",
                                      "--output-on-failure"], env=env, ok=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("Total Test time", out)
        if shutil.which("ctest-replay", path="/usr/bin:/bin"):
            return  # a system-wide copy would be found: the not-found case cannot be shown
        rc, out, _ = self._include_project("inc-nothing", SOURCE_MODULE_DIR, env=env)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("ctest-replay not found", out)
        self.assertIn("CTEST_REPLAY_EXECUTABLE", out)

    def test_bad_arguments_stop_the_configure_step(self):
        src = os.path.join(self.tmp, "bad")
        build = os.path.join(self.tmp, "bad-build")
        os.makedirs(src)
        for case, (call, message) in sorted(BAD_CALLS.items()):
            with self.subTest(case=case):
                with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
                    f.write("cmake_minimum_required(VERSION 3.21)\nproject(bad LANGUAGES NONE)\n"
                            "enable_testing()\nfind_package(CTestRecord REQUIRED)\n%s\n" % call)
                shutil.rmtree(build, ignore_errors=True)
                rc, out = self.step("configure", [CMAKE, "-S", src, "-B", build,
                                                  "-DCMAKE_PREFIX_PATH=" + self.prefix], ok=False)
                self.assertNotEqual(rc, 0, out)
                self.assertIn(message, re.sub(r"\s+", " ", out))


if __name__ == "__main__":
    unittest.main()
