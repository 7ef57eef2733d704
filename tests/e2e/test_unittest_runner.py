"""End to end: `python -m ctest_record.unittest` (harness/python/ctest_record/unittest.py) under
the real ctest-record, on the bundled suite fixtures/unittest_suite (every unittest outcome,
subtests, a failing setUpClass, print and os.write on both streams).

Every line a fixture test writes starts with "<<TEST ID>>" ("<<>>" outside tests), and must
sit in an io event whose context is that test. Without a recorder the runner must be plain
`python -m unittest`: same output, same exit status.
"""
import os
import re
import shutil
import unittest

from ctr_helpers import FIXTURES_DIR, PYTHON, RECORDER_PREFIX, RecordTestCase, io_payload

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_DIR = os.environ.get("CTEST_RECORD_PYTHONPATH") or os.path.join(_REPO, "harness", "python")
SUITE_DIR = os.path.join(FIXTURES_DIR, "unittest_suite")
MARK = re.compile(rb"<<([^<>\n]*)>>")

C = "test_unit_suite.Outcomes."
EXPECTED = {
    "setUpClass (test_unit_suite.BrokenSetUpClass)": "error",
    C + "test_error": "error",
    C + "test_fails": "failed",
    C + "test_passes": "passed",
    C + "test_prints": "passed",
    C + "test_skipped": "skipped",
    C + "test_skips_itself": "skipped",
    C + "test_subtests": "failed",
    C + "test_xfail": "xfailed",
    C + "test_xpass": "xpassed",
}


def normalize(data):
    return re.sub(rb"Ran (\d+) tests? in \d+\.\d+s", rb"Ran \1 tests in Xs", data)


def clean_env(**extra):
    env = dict(os.environ)
    for name in ("PYTHONPATH", "CTEST_RECORD_CONTROL"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = PACKAGE_DIR
    env.update(extra)
    return env


class UnittestRunnerTest(RecordTestCase):

    def setUp(self):
        super().setUp()
        self.suite = self.path("suite")
        shutil.copytree(SUITE_DIR, self.suite, ignore=shutil.ignore_patterns("__pycache__"))

    def runner(self, *args, module="ctest_record.unittest"):
        return [PYTHON, "-m", module] + list(args)

    def record_suite(self, *args, expect_status=1):
        result = self.record(self.runner(*args), cwd=self.suite, env=clean_env())
        self.assertEqual(result.status, expect_status, result.describe())
        self.assertEqual(self.recorder_lines(result.stderr), [], result.describe())
        _, events = self.assert_complete(result.trace)
        self.assertBytesEqual(self.cat(result.trace, "stdout"), result.stdout, "stdout")
        self.assertBytesEqual(self.cat(result.trace, "stderr"), result.stderr, "stderr")
        return result, events

    def finished_outcomes(self, events):
        """{test id: outcome}, after checking every started event is followed directly by the
        finished event of the same test (unittest runs one test at a time)."""
        tests = self.of_kind(events, "test")
        self.assertEqual(len(tests) % 2, 0)
        outcomes = {}
        for started, finished in zip(tests[0::2], tests[1::2]):
            self.assertEqual((started["phase"], finished["phase"]), ("started", "finished"))
            self.assertEqual(started["test_id"], finished["test_id"])
            self.assertNotIn(finished["test_id"], outcomes, "reported twice")
            self.assertGreaterEqual(finished["duration_ns"], 0)
            self.assertLess(finished["duration_ns"], 30 * 10**9)
            outcomes[finished["test_id"]] = finished["outcome"]
        self.assertEqual({t["producer"] for t in tests}, {self.start_event(events)["child_pid"]})
        return outcomes

    def marks_by_context(self, events):
        seen = []
        for stream in ("stdout", "stderr"):
            runs = []
            for e in self.of_kind(events, "io"):
                if e["stream"] != stream:
                    continue
                if runs and runs[-1][0] == e["context"]:
                    runs[-1][1] += io_payload(e)
                else:
                    runs.append([e["context"], io_payload(e)])
            for context, data in runs:
                seen += [(context, mk.group(1).decode()) for mk in MARK.finditer(data)]
        return seen

    # ----------------------------------------------------------------------------- tests
    def test_each_test_is_reported_with_its_outcome(self):
        result, events = self.record_suite("-v", "test_unit_suite")
        self.assertEqual(self.finished_outcomes(events), EXPECTED)
        self.assertEqual(self.of_kind(events, "captured"), [])

    def test_output_carries_the_context_of_its_test(self):
        result, events = self.record_suite("test_unit_suite")
        marks = self.marks_by_context(events)
        self.assertEqual([(c, mk) for c, mk in marks if c != mk], [])
        self.assertEqual(len([1 for _, mk in marks if mk == C + "test_prints"]), 4)
        self.assertEqual(len([1 for _, mk in marks if mk == C + "test_subtests"]), 3)
        self.assertIn(("", ""), marks)  # setUpClass output: before unittest reports anything

    def test_the_console_is_that_of_python_m_unittest(self):
        recorded, _ = self.record_suite("-v", "test_unit_suite")
        plain = self.run_argv(self.runner("-v", "test_unit_suite", module="unittest"),
                              cwd=self.suite, env=clean_env())
        self.assertEqual(plain.status, 1, plain.describe())
        self.assertBytesEqual(recorded.stdout, plain.stdout, "stdout")
        self.assertBytesEqual(normalize(recorded.stderr), normalize(plain.stderr), "stderr")

    def test_without_the_recorder_it_is_plain_unittest(self):
        for args, status in ((["-v", "test_unit_suite"], 1),
                             (["test_unit_suite.Outcomes.test_passes"], 0),
                             (["discover", "-s", ".", "-p", "test_*.py"], 1)):
            with self.subTest(args=args):
                ours = self.run_argv(self.runner(*args), cwd=self.suite, env=clean_env())
                plain = self.run_argv(self.runner(*args, module="unittest"), cwd=self.suite,
                                      env=clean_env())
                self.assertEqual(ours.status, status, ours.describe())
                self.assertEqual(plain.status, status, plain.describe())
                self.assertBytesEqual(ours.stdout, plain.stdout, "stdout")
                self.assertBytesEqual(normalize(ours.stderr), normalize(plain.stderr), "stderr")

    def test_a_passing_selection_exits_0(self):
        _, events = self.record_suite("test_unit_suite.Outcomes.test_passes", expect_status=0)
        self.assertEqual(self.finished_outcomes(events), {C + "test_passes": "passed"})

    def test_buffered_output_is_recorded_as_captured_sections(self):
        result, events = self.record_suite("-b", "test_unit_suite")
        self.assertEqual(self.finished_outcomes(events), EXPECTED)
        captured = [(c["test_id"], c["section"], c["text"]) for c in self.of_kind(events, "captured")]

        def mk(test, text):
            return "<<%s%s>> %s\n" % (C, test, text)

        self.assertEqual(sorted(captured), sorted([
            (C + "test_error", "stderr", mk("test_error", "stderr before the error")),
            (C + "test_fails", "stdout", mk("test_fails", "stdout before failing")),
            (C + "test_prints", "stdout", mk("test_prints", "print to stdout")),
            (C + "test_prints", "stderr", mk("test_prints", "print to stderr")),
            (C + "test_skips_itself", "stdout", mk("test_skips_itself", "stdout before skipping")),
            (C + "test_subtests", "stdout", "".join(mk("test_subtests", "subtest %d" % i)
                                                   for i in range(3))),
            (C + "test_xfail", "stdout", mk("test_xfail", "stdout in an expected failure")),
            (C + "test_xpass", "stdout", mk("test_xpass", "stdout in an unexpected success")),
        ]))
        # os.write bypasses unittest's buffer: it is console output, in the test's context.
        # The failure report at the end repeats a failed test's buffered output ("Stdout:"),
        # outside every test.
        marks = self.marks_by_context(events)
        failed = {t for t, outcome in EXPECTED.items() if outcome in ("failed", "error")}
        self.assertEqual([(c, m) for c, m in marks if c != m and not (c == "" and m in failed)],
                         [])
        self.assertIn((C + "test_prints", C + "test_prints"), marks)

    def test_a_stale_control_variable_is_ignored_silently(self):
        plain = self.run_argv(self.runner("test_unit_suite"), cwd=self.suite, env=clean_env())
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        st = os.fstat(r)
        for value, fds in (("fd:150:1:1", ()), ("fd:%d:%d:%d" % (r, st.st_dev, st.st_ino), (r,)),
                           ("garbage", ())):
            with self.subTest(value=value):
                result = self.run_argv(self.runner("test_unit_suite"), cwd=self.suite,
                                       env=clean_env(CTEST_RECORD_CONTROL=value), pass_fds=fds)
                self.assertEqual(result.status, 1, result.describe())
                self.assertNotIn(RECORDER_PREFIX, result.stdout + result.stderr)
                self.assertBytesEqual(normalize(result.stderr), normalize(plain.stderr), "stderr")


if __name__ == "__main__":
    unittest.main()
