"""End to end: the GoogleTest listener (ctrecord::gtest::RecordingListener) records a gtest
binary (fixtures/gtest_listener) and stamps each test's output with its own "Suite.Test".

Every line a fixture test prints carries "<<Suite.Test>>" (its gtest id); the global test
environment prints "<<global>>". The trace is read back with `ctest-trace events`, and every
marker must sit in an io event whose "context" is that same test ("" for <<global>>).
"""
import os
import re
import unittest

from ctr_helpers import FIXTURE_BIN_DIR, RecordTestCase, io_payload

GTEST_FIXTURE = os.environ.get("CTR_GTEST_FIXTURE") or os.path.join(
    FIXTURE_BIN_DIR, "gtest_listener", "gtest_listener_fixture")

MARKER = re.compile(rb"<<([^<>\n]+)>>")

# test id -> (markers on stdout, markers on stderr) the fixture prints.
EXPECTED = {
    "Output.Printf": (2, 1),
    "Output.Iostream": (1, 2),
    "Output.Write": (1, 1),
    "Output.UnterminatedLine": (1, 0),
    "Output.Mixed": (3, 2),
    "Threads.Writers": (100, 100),
    "Threads.Silent": (0, 0),
    # 2 lines from the test, 1 from the re-executed death-test child (it inherits the
    # captured stdout, so its output belongs to this test too).
    "Death.ChildDoesNotTouchTheTrace": (3, 0),
    "Params/Numbers.Prints/0": (1, 0),
    "Params/Numbers.Prints/1": (1, 0),
    "Params/Numbers.Prints/2": (1, 0),
}


def runs_by_context(events, stream):
    """The stream's io events merged into runs of consecutive events with the same context:
    [(context, bytes)], so a marker split across two reads is still found whole."""
    runs = []
    for e in events:
        if e.get("kind") != "io" or e["stream"] != stream:
            continue
        context = e.get("context")
        if not isinstance(context, str):
            raise AssertionError("io event without a text context: %r" % e)
        payload = io_payload(e)
        if runs and runs[-1][0] == context:
            runs[-1] = (context, runs[-1][1] + payload)
        else:
            runs.append((context, payload))
    return runs


@unittest.skipUnless(os.access(GTEST_FIXTURE, os.X_OK),
                     "gtest listener fixture not built: %s (set CTR_GTEST_FIXTURE)" % GTEST_FIXTURE)
class GtestListenerTest(RecordTestCase):

    def run_fixture(self, args=(), trace_env=None, expect_status=0):
        env = dict(os.environ)
        env.pop("CTEST_RECORD_GTEST_TRACE", None)
        env.pop("CTEST_CAPTURE_IO", None)
        env.pop("GTEST_COLOR", None)
        if trace_env is not None:
            env["CTEST_RECORD_GTEST_TRACE"] = trace_env
        result = self.run_argv([GTEST_FIXTURE, "--gtest_color=no"] + list(args), env=env)
        self.assertEqual(result.status, expect_status, result.describe())
        return result

    def check_attribution(self, events, test_ids, run_lines_in_context=True):
        """Every marker is in its own test's context; each test's markers are all there; the
        contexts seen are exactly the tests that ran (plus "" between tests)."""
        found = {}  # (test id, stream) -> count
        contexts = set()
        for stream in ("stdout", "stderr"):
            for context, data in runs_by_context(events, stream):
                contexts.add(context)
                for m in MARKER.finditer(data):
                    owner = m.group(1).decode()
                    want = "" if owner == "global" else owner
                    self.assertEqual(
                        context, want,
                        "%s output of %r was stamped with context %r: %r"
                        % (stream, owner, context, data[max(0, m.start() - 80):m.end() + 80]))
                    found[(owner, stream)] = found.get((owner, stream), 0) + 1
        for test_id in test_ids:
            n_out, n_err = EXPECTED[test_id]
            self.assertEqual(found.get((test_id, "stdout"), 0), n_out, "stdout markers of " + test_id)
            self.assertEqual(found.get((test_id, "stderr"), 0), n_err, "stderr markers of " + test_id)
        # (Appended, a test that prints nothing leaves no trace of its context.)
        expected_contexts = {t for t in test_ids if run_lines_in_context or sum(EXPECTED[t])}
        self.assertEqual(contexts - {""}, expected_contexts, "contexts in the trace")
        # gtest's own per-test lines: inside the test's context when install()ed, outside
        # any test context when merely appended.
        stdout_runs = runs_by_context(events, "stdout")
        for test_id in test_ids:
            for line in (b"[ RUN      ] " + test_id.encode() + b"\n",
                         b"[       OK ] " + test_id.encode() + b" ("):
                holders = [c for c, data in stdout_runs if line in data]
                self.assertEqual(len(holders), 1, "%r in %r" % (line, holders))
                self.assertEqual(holders[0], test_id if run_lines_in_context else "",
                                 "context of gtest's line %r" % line)

    def check_console(self, result, events):
        """The console shows everything, and exactly what the trace holds."""
        self.assertBytesEqual(self.stream_from_events(events, "stdout"), result.stdout,
                              "trace stdout vs console stdout")
        console_err = b"".join(line + b"\n" for line in result.stderr.split(b"\n")[:-1]
                               if not line.startswith(b"ctest-record:"))
        console_err += result.stderr.split(b"\n")[-1]
        self.assertBytesEqual(self.stream_from_events(events, "stderr"), console_err,
                              "trace stderr vs console stderr (without the recorder's lines)")
        self.assertIn(b"[  PASSED  ] 11 tests.", result.stdout)
        for n in range(50):
            self.assertIn(b"<<Threads.Writers>> thread 0 line %d\n" % n, result.stdout)
            self.assertIn(b"<<Threads.Writers>> thread 1 line %d\n" % n, result.stderr)

    def test_each_test_output_carries_its_own_context(self):
        trace = self.path("gtest.ctrace")
        result = self.run_fixture(trace_env=trace)
        info, events = self.assert_complete(trace)
        start = self.start_event(events)
        self.assertEqual(start.get("capture_mode"), "in-process")
        self.assertEqual(info["end"]["counters"]["dropped_chunks"], 0)
        self.check_attribution(events, sorted(EXPECTED))
        self.check_console(result, events)
        # Whole-run span: the session started before gtest's first line and stopped after
        # its final summary.
        stdout = self.stream_from_events(events, "stdout")
        self.assertTrue(stdout.startswith(b"[==========] Running 11 tests"), stdout[:200])
        self.assertTrue(stdout.endswith(b"[  PASSED  ] 11 tests.\n"), stdout[-200:])
        # The unterminated printf was flushed by the context switch, still in its test.
        runs = dict(runs_by_context(events, "stdout"))
        self.assertIn(b"never flushed (more of it)", runs["Output.UnterminatedLine"])

    def test_under_ctest_record_the_listener_reports_each_test(self):
        # No own trace: the listener only talks to ctest-record over the control channel.
        env = dict(os.environ)
        for name in ("CTEST_RECORD_GTEST_TRACE", "CTEST_CAPTURE_IO", "GTEST_COLOR"):
            env.pop(name, None)
        result = self.record([GTEST_FIXTURE, "--gtest_color=no"], env=env)
        self.assertEqual(result.status, 0, result.describe())
        _, events = self.assert_complete(result.trace)
        self.assertEqual(self.start_event(events).get("capture_mode"), "spawn")
        self.check_attribution(events, sorted(EXPECTED))
        tests = self.of_kind(events, "test")
        self.assertEqual([t["test_id"] for t in tests[::2]], [t["test_id"] for t in tests[1::2]])
        self.assertEqual(sorted(t["test_id"] for t in tests[1::2]), sorted(EXPECTED))
        self.assertEqual({t["outcome"] for t in tests[1::2]}, {"passed"})
        self.assertEqual(self.stream_from_events(events, "stdout"), result.stdout)

    def test_plain_append_still_attributes_test_output(self):
        trace = self.path("appended.ctrace")
        result = self.run_fixture(["--ctr-append"], trace_env=trace)
        _, events = self.assert_complete(trace)
        self.check_attribution(events, sorted(EXPECTED), run_lines_in_context=False)
        self.check_console(result, events)

    def test_constructor_path_wins_over_env_and_pid_placeholder(self):
        env_trace = self.path("from-env.ctrace")
        result = self.run_fixture(["--ctr-trace=" + self.path("run-%p.ctrace"),
                                   "--gtest_filter=Output.*"], trace_env=env_trace)
        self.assertFalse(os.path.exists(env_trace), "env var path used despite an explicit one")
        traces = [n for n in os.listdir(self.tmp) if re.fullmatch(r"run-\d+\.ctrace", n)]
        self.assertEqual(len(traces), 1, os.listdir(self.tmp))
        _, events = self.assert_complete(self.path(traces[0]))
        self.assertEqual(self.start_event(events).get("recorder_pid"),
                         int(traces[0][4:-7]), "%p is the recording process's pid")
        output_tests = [t for t in EXPECTED if t.startswith("Output.")]
        self.check_attribution(events, sorted(output_tests))
        self.assertIn(b"[  PASSED  ] 5 tests.", result.stdout)

    def test_no_trace_requested_records_nothing(self):
        result = self.run_fixture()
        self.assertEqual(os.listdir(self.tmp), [])
        self.assertIn(b"[  PASSED  ] 11 tests.", result.stdout)
        self.assertIn(b"<<Output.Printf>> stdout via printf\n", result.stdout)
        self.assertEqual(self.recorder_lines(result.stderr), [])

    def test_trace_that_cannot_be_created_fails_the_run(self):
        blocker = self.path("not-a-folder")
        with open(blocker, "wb"):
            pass
        bad = os.path.join(blocker, "x.ctrace")
        result = self.run_fixture(["--gtest_filter=Output.Printf"], trace_env=bad,
                                  expect_status=1)
        self.assertIn(b"cannot record this test run to " + bad.encode(), result.stdout)
        self.assertIn(b"[       OK ] Output.Printf", result.stdout, "the tests still ran")
        self.assertTrue(self.recorder_lines(result.stderr), "no log line on stderr")
        # ... unless told to only log it.
        result = self.run_fixture(["--gtest_filter=Output.Printf", "--ctr-no-fail"],
                                  trace_env=bad, expect_status=0)
        self.assertTrue(self.recorder_lines(result.stderr), "no log line on stderr")


if __name__ == "__main__":
    unittest.main()
