"""--artifact-dir end to end (issue 5, docs/cli.md): `ctest-record --artifact-dir DIR` leaves
the trace, summary.json and junit.xml in DIR after the command ends (also when it failed), and
`ctest-replay --artifact-dir DIR` leaves its JSON and JUnit reports plus the replay's own trace
of every regressed trace. JUnit files are parsed with xml.etree and checked for the elements
and attributes CI tools read; write failures are environment errors naming path and errno."""
import json
import os
import unittest
import xml.etree.ElementTree as ET

from ctr_helpers import RECORD_BIN, RecordTestCase, py_fixture

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                 "ctest-replay")


def demo_env(**variations):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTR_DEMO_")}
    env.pop("CTEST_TRACE_DIR", None)
    env.update(variations)
    return env


class ArtifactDirTest(RecordTestCase):

    def record_into(self, dir_name, command, options=(), env=None, trace=None):
        """ctest-record --artifact-dir TMP/dir_name [OPTIONS] -- COMMAND (no -o unless given)."""
        argv = [RECORD_BIN, "--artifact-dir", self.path(dir_name)] + list(options)
        if trace is not None:
            argv += ["-o", trace]
        return self.run_argv(argv + ["--"] + list(command), env=env or demo_env())

    def load(self, dir_name):
        d = self.path(dir_name)
        with open(os.path.join(d, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        return summary, ET.parse(os.path.join(d, "junit.xml")).getroot()

    def assert_junit_shape(self, root, tool):
        self.assertEqual(root.tag, "testsuites")
        self.assertEqual(root.get("name"), tool)
        for element in [root] + list(root.iter("testsuite")):
            for attribute in ("name", "tests", "failures", "errors", "skipped", "time"):
                self.assertIsNotNone(element.get(attribute), "%s lacks %s" % (element.tag, attribute))
            float(element.get("time"))
        for case in root.iter("testcase"):
            for attribute in ("classname", "name", "time"):
                self.assertIsNotNone(case.get(attribute), "testcase lacks %s" % attribute)
            for tag in ("failure", "error"):
                for problem in case.iter(tag):
                    self.assertTrue(problem.get("message"), "%s without a message" % tag)
        for suite in root.iter("testsuite"):
            cases = list(suite.iter("testcase"))
            self.assertEqual(int(suite.get("tests")), len(cases))
            for tag, attribute in (("failure", "failures"), ("error", "errors"),
                                   ("skipped", "skipped")):
                self.assertEqual(int(suite.get(attribute)),
                                 sum(1 for c in cases if c.find(tag) is not None), attribute)

    # ------------------------------------------------------------------------ ctest-record
    def test_record_with_tests_writes_trace_summary_and_junit(self):
        r = self.record_into("ci/artifacts", py_fixture("control_client_demo.py"))
        self.assertEqual(r.status, 1, r.describe())  # test_beta failed: pytest-like exit 1
        d = self.path("ci", "artifacts")
        names = sorted(os.listdir(d))
        traces = [n for n in names if n.endswith(".ctrace")]
        self.assertEqual(len(traces), 1, names)
        self.assertRegex(traces[0], r"^python3(\.\d+)?-\d{8}T\d{6}Z-\d+\.ctrace$")
        self.assertEqual(sorted(set(names) - set(traces)), ["junit.xml", "summary.json"])
        summary, root = self.load("ci/artifacts")
        self.assertEqual(summary["trace"], traces[0])
        self.assert_complete(os.path.join(d, summary["trace"]))
        self.assertEqual(summary["status"], 1)
        self.assertFalse(summary["passed"])
        self.assertEqual(summary["command"][1:], py_fixture("control_client_demo.py")[1:])
        self.assertTrue(summary["trace_complete"])
        self.assertGreater(summary["duration_ns"], 0)
        self.assertGreater(summary["streams"]["stdout"]["bytes"], 0)
        self.assertEqual(summary["end"]["counters"]["dropped_chunks"], 0)
        self.assertEqual(summary["test_counts"], {"passed": 2, "failed": 1, "skipped": 1})
        self.assertEqual([t["outcome"] for t in summary["tests"]],
                         ["passed", "failed", "passed", "skipped"])

        self.assert_junit_shape(root, "ctest-record")
        suites = list(root.iter("testsuite"))
        self.assertEqual(len(suites), 1)
        self.assertEqual((suites[0].get("tests"), suites[0].get("failures"),
                          suites[0].get("errors"), suites[0].get("skipped")), ("4", "1", "0", "1"))
        cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
        self.assertEqual(sorted(cases), [("tests.test_demo", "test_alpha"),
                                         ("tests.test_demo", "test_beta"),
                                         ("tests.test_demo", "test_delta"),
                                         ("tests.test_demo.TestGroup", "test_gamma[1.5]")])
        failure = cases[("tests.test_demo", "test_beta")].find("failure")
        self.assertEqual(failure.get("message"), "failed")
        self.assertIn("test_beta captured: as usual", failure.text)
        self.assertIn("test_beta: assertion failed", failure.text)
        self.assertNotIn("test_alpha", failure.text)
        self.assertIsNotNone(cases[("tests.test_demo", "test_delta")].find("skipped"))

    def test_failing_command_without_tests_is_one_failed_testcase(self):
        r = self.record_into("out", py_fixture("exit_code.py", 3))
        self.assertEqual(r.status, 3, r.describe())  # the command's status passes through
        summary, root = self.load("out")
        self.assertEqual(summary["status"], 3)
        self.assertEqual(summary["tests"], [])
        self.assert_junit_shape(root, "ctest-record")
        cases = list(root.iter("testcase"))
        self.assertEqual(len(cases), 1)
        self.assertEqual(cases[0].get("classname"), "ctest-record")
        self.assertIn("exit_code.py 3", cases[0].get("name"))
        failure = cases[0].find("failure")
        self.assertEqual(failure.get("message"), "status 3 (exit code 3)")
        self.assertIn("exit_code: exiting with 3", failure.text)

        r = self.record_into("ok", py_fixture("exit_code.py", 0))
        self.assertEqual(r.status, 0, r.describe())
        summary, root = self.load("ok")
        self.assertTrue(summary["passed"])
        self.assertEqual(root.get("failures"), "0")
        self.assertEqual(root.get("tests"), "1")

    def test_crash_mid_test_is_an_error_and_the_artifacts_are_still_written(self):
        r = self.record_into("crash", py_fixture("control_client_demo.py"),
                             env=demo_env(CTR_DEMO_CRASH="test_gamma[1.5]"))
        self.assertEqual(r.status, 3, r.describe())
        summary, root = self.load("crash")
        self.assertEqual(summary["tests"][-1]["outcome"], "unfinished")
        self.assert_junit_shape(root, "ctest-record")
        gamma = [c for c in root.iter("testcase") if c.get("name") == "test_gamma[1.5]"][0]
        error = gamma.find("error")
        self.assertEqual(error.get("type"), "unfinished")
        self.assertIn("the command ended during this test", error.get("message"))
        self.assertIn("test_gamma[1.5]: crashing", error.text)

    def test_passing_tests_but_failing_command_adds_an_exit_status_testcase(self):
        # A run whose tests pass although the command fails: a wrapper that exits 5 afterwards.
        script = self.path("wrapper.sh")
        with open(script, "w") as f:
            f.write('"$@"; exit 5\n')
        r = self.record_into("late3", ["sh", script] + py_fixture("control_client_demo.py"),
                             env=demo_env(CTR_DEMO_OUTCOME="test_beta=passed"))
        self.assertEqual(r.status, 5, r.describe())
        _, root = self.load("late3")
        self.assert_junit_shape(root, "ctest-record")
        failed = [c for c in root.iter("testcase") if c.find("failure") is not None]
        self.assertEqual([(c.get("classname"), c.get("name")) for c in failed], [("sh", "exit status")])
        self.assertEqual(failed[0].find("failure").get("message"), "status 5 (exit code 5)")

    def test_output_option_is_taken_inside_the_folder_unless_absolute(self):
        r = self.record_into("rel", py_fixture("exit_code.py", 0), trace="sub/run.ctrace")
        self.assertEqual(r.status, 0, r.describe())
        self.assert_complete(self.path("rel", "sub", "run.ctrace"))
        summary, _ = self.load("rel")
        self.assertEqual(summary["trace"], "sub/run.ctrace")

        outside = self.path("elsewhere.ctrace")
        r = self.record_into("abs", py_fixture("exit_code.py", 0), trace=outside)
        self.assertEqual(r.status, 0, r.describe())
        self.assert_complete(outside)
        summary, _ = self.load("abs")
        self.assertEqual(summary["trace"], "../elsewhere.ctrace")
        self.assertEqual(sorted(os.listdir(self.path("abs"))), ["junit.xml", "summary.json"])

    def test_artifact_write_failure_is_reported_with_path_and_errno(self):
        os.makedirs(self.path("blocked", "summary.json"))  # a folder where the file must go
        r = self.record_into("blocked", py_fixture("exit_code.py", 0))
        self.assertEqual(r.status, 125, r.describe())
        err = r.stderr.decode()
        self.assertIn("ctest-record: error: the CI artifacts in %s are missing or incomplete"
                      % self.path("blocked"), err)
        self.assertIn("summary.json: Is a directory", err)
        traces = [n for n in os.listdir(self.path("blocked")) if n.endswith(".ctrace")]
        self.assertEqual(len(traces), 1)  # the trace itself is fine
        # A failing command's own status wins (as for an incomplete trace).
        r = self.record_into("blocked", py_fixture("exit_code.py", 4))
        self.assertEqual(r.status, 4, r.describe())
        self.assertIn("summary.json: Is a directory", r.stderr.decode())

    def test_a_folder_that_cannot_be_created_stops_before_the_command_runs(self):
        with open(self.path("file"), "w") as f:
            f.write("not a folder\n")
        marker = self.path("ran")
        r = self.record_into("file/sub", ["sh", "-c", "touch " + marker])
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(self.path("file", "sub"), r.stderr.decode())
        self.assertFalse(os.path.exists(marker))

    # ------------------------------------------------------------------------ ctest-replay
    def replay(self, *args, env=None):
        return self.run_argv([REPLAY_BIN] + [str(a) for a in args], env=env or demo_env())

    def test_replay_artifacts_reports_and_regressed_traces(self):
        if not os.access(REPLAY_BIN, os.X_OK):
            self.skipTest("ctest-replay not built")
        os.makedirs(self.path("golden"))
        for name in ("a", "b"):
            r = self.record(py_fixture("control_client_demo.py"), trace="golden/%s.ctrace" % name,
                            env=demo_env())
            self.assertEqual(r.status, 1, r.describe())
        same = self.path("golden", "same.ctrace")
        r = self.record(py_fixture("exit_code.py", 0), trace=same, env=demo_env())
        for jobs in ("1", "3"):
            out = self.path("replay-artifacts-" + jobs)
            rr = self.replay("-j", jobs, "--artifact-dir", out, self.path("golden"),
                             env=demo_env(CTR_DEMO_CHANGED="test_alpha"))
            self.assertEqual(rr.status, 1, rr.describe())
            names = sorted(os.listdir(out))
            self.assertEqual(names, ["golden_a.replayed.ctrace", "golden_b.replayed.ctrace",
                                     "junit.xml", "summary.json"])
            kept = [n for n in names if n.endswith(".replayed.ctrace")]
            self.assertEqual(len(kept), 2, names)  # a and b regressed, same did not
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
                report = json.load(f)
            self.assertEqual(report["summary"], {"same": 1, "regression": 2, "error": 0})
            by_trace = {os.path.basename(t["trace"]): t for t in report["traces"]}
            self.assertIsNone(by_trace["same.ctrace"]["replayed_trace"])
            for name in ("a", "b"):
                kept_path = by_trace[name + ".ctrace"]["replayed_trace"]
                self.assertTrue(kept_path.endswith("golden_%s.replayed.ctrace" % name), kept_path)
                info, _ = self.assert_complete(kept_path)
                self.assertEqual(info["tests"][0]["id"], "tests/test_demo.py::test_alpha")
                self.assertIn(b"test_alpha: value: 43", self.cat(kept_path, "stdout"))
                changed = [t["id"] for t in by_trace[name + ".ctrace"]["tests"]
                           if t["change"] != "same"]
                self.assertEqual(changed, ["tests/test_demo.py::test_alpha"])
            root = ET.parse(os.path.join(out, "junit.xml")).getroot()
            self.assert_junit_shape(root, "ctest-replay")
            self.assertEqual(len(list(root.iter("testsuite"))), 3)
            self.assertEqual(root.get("failures"), "4")  # test_alpha and the run, twice
            self.assertIn("the replay's trace: " + by_trace["a.ctrace"]["replayed_trace"],
                          rr.stdout.decode())
        # The golden traces are untouched.
        self.assertNotIn(b"value: 43", self.cat(self.path("golden", "a.ctrace"), "stdout"))

    def test_replay_artifact_write_failure_is_an_environment_error(self):
        if not os.access(REPLAY_BIN, os.X_OK):
            self.skipTest("ctest-replay not built")
        r = self.record(py_fixture("exit_code.py", 0), trace="t.ctrace", env=demo_env())
        self.assertEqual(r.status, 0, r.describe())
        os.makedirs(self.path("art", "junit.xml"))
        rr = self.replay("--artifact-dir", self.path("art"), r.trace)
        self.assertEqual(rr.status, 3, rr.describe())
        self.assertIn("junit.xml: Is a directory", rr.stderr.decode())
        with open(self.path("file"), "w") as f:
            f.write("x")
        rr = self.replay("--artifact-dir", self.path("file"), r.trace)
        self.assertEqual(rr.status, 3, rr.describe())
        self.assertIn(self.path("file"), rr.stderr.decode())
        self.assertNotIn(b"same", rr.stdout)  # nothing was replayed


if __name__ == "__main__":
    unittest.main()
