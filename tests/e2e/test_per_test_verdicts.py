"""Per-test verdicts end to end (issue 5): fixtures/control_client_demo.py reports four tests
over ctest-record's control channel; `ctest-trace info` lists them, and `ctest-replay` compares
them test by test when both the recording and the replay reported tests: a change to one
test's output (an environment variable the fixture reads) must name exactly that test in the
summary line, the JSON report and the JUnit report (parsed with xml.etree)."""
import json
import os
import subprocess
import unittest
import xml.etree.ElementTree as ET

from ctr_helpers import FIXTURES_DIR, RecordTestCase, py_fixture

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                 "ctest-replay")

ALPHA = "tests/test_demo.py::test_alpha"
BETA = "tests/test_demo.py::test_beta"
GAMMA = "tests/test_demo.py::TestGroup::test_gamma[1.5]"
DELTA = "tests/test_demo.py::test_delta"
ALL = [ALPHA, BETA, GAMMA, DELTA]
SYSTEM_PYTHON = "/usr/bin/python3"  # the Debian interpreter, with python3-pytest


def demo_env(**variations):
    """The test's environment without any CTR_DEMO_* variable, plus `variations`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTR_DEMO_")}
    env.update(variations)
    return env


def junit_cases(root):
    """{(suite name, classname, name): testcase element} with the required attributes checked."""
    cases = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            cases[(suite.get("name"), case.get("classname"), case.get("name"))] = case
    return cases


class ReplayBinTestCase(RecordTestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(REPLAY_BIN, os.X_OK):
            raise unittest.SkipTest("ctest-replay not built: %s" % REPLAY_BIN)
        super().setUpClass()


class PerTestTestCase(ReplayBinTestCase):

    def record_demo(self, trace="demo.ctrace", **variations):
        r = self.record(py_fixture("control_client_demo.py"), trace=trace, env=demo_env(**variations))
        self.assert_complete(r.trace)
        return r

    def replay(self, *args, **variations):
        return self.run_argv([REPLAY_BIN] + [str(a) for a in args], env=demo_env(**variations))

    def replay_json(self, trace, *args, **variations):
        report = self.path("report.json")
        r = self.replay("--json", report, "--junit", self.path("report.xml"), *args, trace,
                        **variations)
        with open(report, encoding="utf-8") as f:
            return r, json.load(f)

    def assert_junit_shape(self, path):
        """Every element and attribute CI tools rely on is there; returns the root."""
        root = ET.parse(path).getroot()
        self.assertEqual(root.tag, "testsuites")
        for element in [root] + list(root.iter("testsuite")):
            for attribute in ("name", "tests", "failures", "errors", "skipped", "time"):
                self.assertIsNotNone(element.get(attribute), "%s lacks %s" % (element.tag, attribute))
        for case in root.iter("testcase"):
            for attribute in ("classname", "name", "time"):
                self.assertIsNotNone(case.get(attribute), "testcase lacks %s" % attribute)
            float(case.get("time"))
            for failure in case.iter("failure"):
                self.assertTrue(failure.get("message"), "failure without a message")
        suites = list(root.iter("testsuite"))
        self.assertEqual(int(root.get("tests")), sum(int(s.get("tests")) for s in suites))
        self.assertEqual(int(root.get("failures")), sum(int(s.get("failures")) for s in suites))
        for suite in suites:
            cases = list(suite.iter("testcase"))
            self.assertEqual(int(suite.get("tests")), len(cases))
            self.assertEqual(int(suite.get("failures")),
                             sum(1 for c in cases if c.find("failure") is not None))
            self.assertEqual(int(suite.get("skipped")),
                             sum(1 for c in cases if c.find("skipped") is not None))
        return root

    # ------------------------------------------------------------------------------- info
    def test_info_lists_tests_with_outcomes_durations_and_bytes(self):
        r = self.record_demo()
        self.assertEqual(r.status, 1, r.describe())  # test_beta fails, as pytest would exit 1
        info = self.info(r.trace)
        self.assertEqual([t["id"] for t in info["tests"]], ALL)
        self.assertEqual([t["outcome"] for t in info["tests"]],
                         ["passed", "failed", "passed", "skipped"])
        self.assertEqual(info["test_counts"], {"passed": 2, "failed": 1, "skipped": 1})
        beta = info["tests"][1]
        self.assertEqual(beta["output_bytes"]["stdout"],
                         len(b"test_beta: running\ntest_beta: value: 42\n")
                         + len(b"test_beta: failed in 0.0000s\n"))
        self.assertEqual(beta["output_bytes"]["stderr"],
                         len(b"test_beta: assertion failed: value != 41\n"))
        self.assertEqual(beta["captured"], [{"section": "stdout call",
                                             "bytes": len(b"test_beta captured: as usual\n")}])
        self.assertEqual(beta["captured_bytes"], beta["captured"][0]["bytes"])
        self.assertTrue(all(t["finished"] and t["runs"] == 1 for t in info["tests"]))
        rc, out, err = self.trace_tool(["info", r.trace])
        self.assertEqual(rc, 0, err)
        text = out.decode()
        self.assertIn("tests:      4 (2 passed, 1 failed, 1 skipped)\n", text)
        self.assertRegex(text, r"test: +failed +\d+\.\d{3} s  tests/test_demo.py::test_beta  "
                               r"\(stdout 69 B, stderr 41 B, captured 29 B\)\n")

    def test_info_shows_nothing_about_tests_without_test_events(self):
        r = self.record_demo(CTR_DEMO_NO_CONTROL="1")
        info = self.info(r.trace)
        self.assertNotIn("tests", info)
        self.assertNotIn("test_counts", info)
        rc, out, _ = self.trace_tool(["info", r.trace])
        self.assertNotIn(b"tests:", out)
        self.assertNotIn(b"test:", out)

    def test_a_test_cut_off_by_a_crash_is_unfinished(self):
        r = self.record_demo(CTR_DEMO_CRASH="test_gamma[1.5]")
        self.assertEqual(r.status, 3, r.describe())
        info = self.info(r.trace)
        self.assertEqual([(t["id"], t["outcome"], t["finished"]) for t in info["tests"]],
                         [(ALPHA, "passed", True), (BETA, "failed", True),
                          (GAMMA, "unfinished", False)])
        # Replayed without the crash: gamma now finishes, delta is new.
        rr, report = self.replay_json(r.trace)
        self.assertEqual(rr.status, 1, rr.describe())
        tests = {t["id"]: t for t in report["traces"][0]["tests"]}
        self.assertEqual(tests[GAMMA]["change"], "changed")
        self.assertEqual((tests[GAMMA]["recorded_outcome"], tests[GAMMA]["replayed_outcome"]),
                         ("unfinished", "passed"))
        self.assertEqual(tests[DELTA]["change"], "added")
        self.assertEqual(tests[DELTA]["recorded_outcome"], None)

    # ----------------------------------------------------------------------------- replay
    def test_unchanged_replay_is_same_test_by_test(self):
        r = self.record_demo()
        rr, report = self.replay_json(r.trace)
        self.assertEqual(rr.status, 0, rr.describe())
        verdict = report["traces"][0]
        self.assertTrue(verdict["tests_compared"])
        self.assertIsNone(verdict["tests_note"])
        self.assertEqual([(t["id"], t["change"]) for t in verdict["tests"]],
                         [(t, "same") for t in ALL])
        root = self.assert_junit_shape(self.path("report.xml"))
        self.assertEqual(root.get("failures"), "0")
        cases = junit_cases(root)
        self.assertEqual(len(cases), 5)  # four tests and the run as a whole
        suite = r.trace
        self.assertIn((suite, "tests.test_demo", "test_alpha"), cases)
        self.assertIn((suite, "tests.test_demo.TestGroup", "test_gamma[1.5]"), cases)
        self.assertIn((suite, "ctest-replay", r.trace), cases)
        self.assertIsNotNone(cases[(suite, "tests.test_demo", "test_delta")].find("skipped"))
        # A test that failed in the recording and fails the same way is no regression.
        self.assertIsNone(cases[(suite, "tests.test_demo", "test_beta")].find("failure"))

    def test_changing_one_tests_output_names_exactly_that_test(self):
        r = self.record_demo()
        rr, report = self.replay_json(r.trace, CTR_DEMO_CHANGED="test_beta")
        self.assertEqual(rr.status, 1, rr.describe())
        out = rr.stdout.decode()
        self.assertIn("1 test changed: %s)" % BETA, out.splitlines()[0])
        for other in (ALPHA, GAMMA, DELTA):
            self.assertNotIn(other, out)
        self.assertIn("  test %s: changed: stdout differs at byte 38, line 2\n" % BETA, out)
        verdict = report["traces"][0]
        self.assertEqual(verdict["outcome"], "regression")
        changed = [t for t in verdict["tests"] if t["change"] != "same"]
        self.assertEqual([t["id"] for t in changed], [BETA])
        self.assertFalse(changed[0]["outcome_changed"])
        self.assertEqual([d["stream"] for d in changed[0]["differences"]], ["stdout"])
        self.assertIn("-test_beta: value: 42\n+test_beta: value: 43\n",
                      changed[0]["differences"][0]["diff"])
        root = self.assert_junit_shape(self.path("report.xml"))
        failed = {(c.get("classname"), c.get("name")): c.find("failure")
                  for c in root.iter("testcase") if c.find("failure") is not None}
        self.assertEqual(set(failed), {("tests.test_demo", "test_beta"), ("ctest-replay", r.trace)})
        beta_failure = failed[("tests.test_demo", "test_beta")]
        self.assertEqual(beta_failure.get("message"), "stdout differs at byte 38, line 2")
        self.assertIn("+test_beta: value: 43", beta_failure.text)
        self.assertNotIn("test_alpha", beta_failure.text)

    def test_an_outcome_or_captured_change_alone_is_a_regression(self):
        r = self.record_demo()
        rr, report = self.replay_json(r.trace, CTR_DEMO_CAPTURED="test_gamma[1.5]")
        self.assertEqual(rr.status, 1, rr.describe())
        verdict = report["traces"][0]
        self.assertTrue(all(s["same"] for s in verdict["streams"]), verdict["streams"])
        changed = [t for t in verdict["tests"] if t["change"] != "same"]
        self.assertEqual([t["id"] for t in changed], [GAMMA])
        self.assertEqual([d["stream"] for d in changed[0]["differences"]],
                         ["captured stdout call"])
        out = rr.stdout.decode()
        self.assertIn("1 test changed: %s)" % GAMMA, out)
        self.assertIn("+test_gamma[1.5] captured: changed\n", out)  # in no stream: shown here

        rr, report = self.replay_json(r.trace, CTR_DEMO_OUTCOME="test_alpha=failed")
        self.assertEqual(rr.status, 1, rr.describe())
        changed = [t for t in report["traces"][0]["tests"] if t["change"] != "same"]
        self.assertEqual([(t["id"], t["recorded_outcome"], t["replayed_outcome"],
                           t["outcome_changed"]) for t in changed],
                         [(ALPHA, "passed", "failed", True)])
        self.assertIn("test %s: changed: outcome passed -> failed" % ALPHA, rr.stdout.decode())

    def test_removed_and_added_tests(self):
        r = self.record_demo()
        rr, report = self.replay_json(r.trace, CTR_DEMO_DROP="test_alpha", CTR_DEMO_EXTRA="test_new")
        self.assertEqual(rr.status, 1, rr.describe())
        tests = report["traces"][0]["tests"]
        self.assertEqual([(t["id"], t["change"]) for t in tests],
                         [(ALPHA, "removed"), (BETA, "same"), (GAMMA, "same"), (DELTA, "same"),
                          ("tests/test_demo.py::test_new", "added")])
        line = rr.stdout.decode().splitlines()[0]
        self.assertIn("1 test removed: %s; 1 test added: tests/test_demo.py::test_new" % ALPHA,
                      line)
        root = self.assert_junit_shape(self.path("report.xml"))
        cases = {c.get("name"): c for c in root.iter("testcase")}
        self.assertIn("removed", cases["test_alpha"].find("failure").get("message"))
        self.assertIsNone(cases["test_new"].find("failure"))

    def test_one_side_without_tests_falls_back_silently(self):
        r = self.record_demo()
        rr, report = self.replay_json(r.trace, CTR_DEMO_NO_CONTROL="1")
        # Same console output, same status: the whole-stream verdict, as before tests existed.
        self.assertEqual(rr.status, 0, rr.describe())
        verdict = report["traces"][0]
        self.assertFalse(verdict["tests_compared"])
        self.assertEqual(verdict["tests"], [])
        self.assertEqual(verdict["tests_note"],
                         "tests not compared: the replay reported none (the recording has 4)")
        self.assertNotIn(b"tests", rr.stdout + rr.stderr)
        root = self.assert_junit_shape(self.path("report.xml"))
        self.assertEqual([c.get("name") for c in root.iter("testcase")], [r.trace])

        plain = self.record_demo(trace="plain.ctrace", CTR_DEMO_NO_CONTROL="1")
        rr, report = self.replay_json(plain.trace)
        self.assertEqual(rr.status, 0, rr.describe())  # the console output is the same
        self.assertEqual(report["traces"][0]["tests_note"],
                         "tests not compared: the recording has none (the replay reported 4)")

    def test_workers_carry_per_test_results(self):
        a = self.record_demo(trace="a.ctrace")
        b = self.record_demo(trace="b.ctrace")
        report = self.path("report.json")
        rr = self.replay("-j", "2", "--json", report, "--junit", self.path("report.xml"),
                         a.trace, b.trace, CTR_DEMO_CHANGED="test_delta")
        self.assertEqual(rr.status, 1, rr.describe())
        with open(report, encoding="utf-8") as f:
            traces = json.load(f)["traces"]
        self.assertEqual(len(traces), 2)
        for verdict in traces:
            self.assertTrue(verdict["tests_compared"])
            self.assertEqual([t["id"] for t in verdict["tests"] if t["change"] != "same"], [DELTA])
        root = self.assert_junit_shape(self.path("report.xml"))
        self.assertEqual([s.get("name") for s in root.iter("testsuite")], [a.trace, b.trace])
        self.assertEqual(root.get("failures"), "4")  # test_delta and the whole run, twice
        out = rr.stdout.decode()
        self.assertEqual(out.count("1 test changed: %s)" % DELTA), 2)  # the final table
        self.assertEqual(out.count("  test %s: changed: " % DELTA), 2)  # each trace's details


class PytestPerTestTest(ReplayBinTestCase):
    """The same through the real pytest plugin, which ctest-record and ctest-replay both load
    for a pytest command: a change that only shows in pytest's captured output is caught and
    named."""

    def setUp(self):
        super().setUp()
        try:
            probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pytest"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            probe = None
        if probe is None or probe.returncode != 0:
            self.skipTest("%s cannot import pytest" % SYSTEM_PYTHON)

    def test_a_change_only_in_captured_output_names_the_test(self):
        env = demo_env(PYTHONDONTWRITEBYTECODE="1")
        for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "CTR_PYTEST_CHANGED"):
            env.pop(name, None)
        command = [SYSTEM_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   os.path.join(FIXTURES_DIR, "pytest_verdicts")]
        r = self.record(command, trace="pytest.ctrace", env=env)
        self.assertEqual(r.status, 0, r.describe())
        info = self.info(r.trace)
        ids = [t["id"].rsplit("::", 1)[-1] for t in info["tests"]]
        self.assertEqual(ids, ["test_stable", "test_variable", "test_quiet"])
        self.assertNotIn(b"value: 42", self.cat(r.trace, "stdout"))  # captured by pytest

        report = self.path("pytest.json")
        rr = self.run_argv([REPLAY_BIN, "--json", report, r.trace], env=env)
        self.assertEqual(rr.status, 0, rr.describe())
        with open(report, encoding="utf-8") as f:
            verdict = json.load(f)["traces"][0]
        self.assertTrue(verdict["tests_compared"], verdict["tests_note"])

        env["CTR_PYTEST_CHANGED"] = "1"
        rr = self.run_argv([REPLAY_BIN, "--json", report, r.trace], env=env)
        self.assertEqual(rr.status, 1, rr.describe())
        with open(report, encoding="utf-8") as f:
            verdict = json.load(f)["traces"][0]
        self.assertTrue(all(s["same"] for s in verdict["streams"]), verdict["streams"])
        changed = [t for t in verdict["tests"] if t["change"] != "same"]
        self.assertEqual([t["id"].rsplit("::", 1)[-1] for t in changed], ["test_variable"])
        self.assertTrue(changed[0]["differences"][0]["stream"].startswith("captured stdout"))
        self.assertIn("+value: 43", changed[0]["differences"][0]["diff"])
        self.assertIn("1 test changed: %s" % changed[0]["id"], rr.stdout.decode())

        # Without the plugin in the replay, tests are not compared and the change goes unseen.
        rr = self.run_argv([REPLAY_BIN, "--no-pytest-plugin", "--json", report, r.trace], env=env)
        self.assertEqual(rr.status, 0, rr.describe())


if __name__ == "__main__":
    unittest.main()
