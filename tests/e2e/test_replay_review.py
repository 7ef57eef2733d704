"""Regression tests for bugs found in review of ctest-replay: a signal to the replay is not a
verdict (and never updates the trace), a signal death differs from exit 128+N, in-process
traces are refused, an unusable --cwd is named, worker processes get the right arguments."""
import os
import signal
import time

from test_replay import REPLAY_BIN, ReplayTestCase, clean_env


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class ReplayReviewTest(ReplayTestCase):

    def record_sh(self, name, script):
        trace = self.path(name)
        r = self.record(["sh", "-c", script], trace=trace)
        self.assertEqual(r.status, 0 if "kill" not in script else 143, r.describe())
        return trace

    def test_sigterm_during_replay_is_not_a_verdict_and_does_not_update(self):
        trace = self.record_sh("slow.ctrace", "echo started; sleep 3; echo finished")
        before = read_bytes(trace)
        proc = self.popen([REPLAY_BIN, "--update", trace], env=clean_env())
        # Signal once the replay has started its command (a child appears in /proc): bounded
        # polling on a condition, not a fixed sleep.
        deadline = time.monotonic() + 10
        children_file = "/proc/%d/task/%d/children" % (proc.pid, proc.pid)
        while time.monotonic() < deadline and not read_bytes(children_file).split():
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGTERM)
        status = self.wait_proc(proc, timeout=20)
        self.assertEqual(status, 143, "interrupted: 128+SIGTERM")
        out = proc.stdout.read().decode()
        self.assertIn("ERROR", out)
        self.assertNotIn("REGRESSION", out)
        self.assertEqual(read_bytes(trace), before, "--update must not save an interrupted run")

    def test_signal_death_differs_from_exit_128_plus_n(self):
        trace = self.record_sh("sig.ctrace", "echo hi; kill -TERM $$")
        r = self.replay(trace, "--", "sh", "-c", "echo hi; exit 143")
        self.assert_status(r, 1, "killed by SIGTERM vs exit 143")
        self.assertIn("killed by signal 15", self.text(r))

    def test_unusable_cwd_is_named(self):
        trace = self.record_sh("ok.ctrace", "echo ok")
        r = self.replay("--cwd", self.path("does-not-exist"), trace)
        self.assert_status(r, 3, "missing --cwd")
        self.assertIn("does-not-exist", self.text(r))
        self.assertNotIn("command not found", self.text(r))

    def test_workers_get_option_values_equal_to_inputs_and_bundled_flags(self):
        folder = self.path("two")
        os.mkdir(folder)
        for name in ("a", "b"):
            self.record(["sh", "-c", "echo %s" % name], trace=os.path.join(folder, name + ".ctrace"))
        # --cwd's value is also an input word; -qj2 bundles flags.
        r = self.replay("-j", "2", "--cwd", folder, folder)
        self.assert_status(r, 0, "-j 2 with --cwd equal to the input folder")
        r = self.replay("-qj2", folder)
        self.assert_status(r, 0, "-qj2")

    def test_in_process_trace_is_refused(self):
        # The gtest listener fixture records itself in-process (a C++ binary, so it works in
        # sanitizer builds too, unlike loading the library into a plain Python).
        fixture = os.environ.get("CTR_GTEST_FIXTURE")
        if not fixture or not os.path.exists(fixture):
            self.skipTest("CTR_GTEST_FIXTURE not set")
        trace = self.path("inproc.ctrace")
        # No test needs to run: the listener records the whole program run.
        r = self.run_argv([fixture, "--gtest_filter=-*", "--ctr-trace=" + trace])
        self.assertEqual(r.status, 0, r.describe())
        r = self.replay(trace)
        self.assert_status(r, 3, "in-process trace")
        self.assertIn("in-process", self.text(r))
