"""Regression tests for bugs found in review of the capture engine: an inherited ignored
SIGCHLD, output lost with a short grace period, signals during the grace period, scripts
without a #! line, abbreviated options, and a closed stdout."""
import os
import signal
import time

from ctr_helpers import RecordTestCase, py_fixture


def ignore_sigchld():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


class ReviewRegressionTest(RecordTestCase):

    def test_inherited_ignored_sigchld_still_gives_the_childs_status(self):
        # With SIGCHLD ignored the kernel would reap the child itself and the recorder would
        # wait forever; the recorder resets it to default for itself.
        r = self.record(["sh", "-c", "echo hi; exit 7"], preexec_fn=ignore_sigchld, timeout=20)
        self.assertEqual(r.status, 7, r.describe())
        self.assertEqual(r.stdout, b"hi\n")
        info, events = self.assert_complete(self.path("t.ctrace"))
        self.assertEqual(self.exit_event(events)["status"], 7)

    def test_grace_zero_still_takes_everything_the_command_wrote(self):
        size = 900000  # more than a pipe holds: the child exits before the recorder read it all
        for attempt in range(3):
            r = self.record(["head", "-c", str(size), "/dev/zero"], options=["--grace", "0"],
                            quiet=False)
            self.assertEqual(r.status, 0, r.describe())
            self.assertEqual(len(r.stdout), size, "console, attempt %d" % attempt)
            self.assertEqual(len(self.cat(self.path("t.ctrace"), "stdout")), size,
                             "trace, attempt %d" % attempt)
            self.assertNotIn(b"still holds", r.stderr, "no descendant holds the pipe: no warning")

    def test_signal_during_grace_period_stops_waiting(self):
        trace = self.path("t.ctrace")
        proc = self.popen(self.recorder_argv(
            ["sh", "-c", "sleep 30 & echo started"], options=["--grace", "60"]))
        self.read_until(proc.stdout.fileno(), b"started\n")
        # Wait until the recorder has reaped the command: it then records stdin as closed
        # with reason "child-exited" (flushed to the file within the frame interval).
        deadline = time.monotonic() + 20
        while True:
            rc, out, err = self.trace_tool(["events", trace])
            if b'"reason":"child-exited"' in out:
                break
            if time.monotonic() > deadline:
                self.fail("the recorder never recorded the command's exit: %r" % out[-500:])
            time.sleep(0.05)
        start = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        status = self.wait_proc(proc, timeout=10)
        self.assertLess(time.monotonic() - start, 5, "SIGTERM must end the grace wait")
        self.assertEqual(status, 0, "the command's own status (it exited 0)")
        info, events = self.assert_complete(trace)
        notes = [e["text"] for e in self.of_kind(events, "note")]
        self.assertTrue(any("stopped on signal 15" in n for n in notes), notes)

    def test_script_without_shebang_runs_with_sh(self):
        script = self.path("no-shebang.sh")
        with open(script, "w") as f:
            f.write("echo from-script\nexit 3\n")
        os.chmod(script, 0o755)
        r = self.record([script])
        self.assertEqual(r.status, 3, r.describe())
        self.assertEqual(r.stdout, b"from-script\n")

    def test_abbreviated_options_are_rejected(self):
        r = self.run_argv([self.recorder_argv([])[0], "--out", self.path("x.ctrace"), "true"])
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(b"--out", r.stderr)

    def test_closed_stdout_is_still_recorded(self):
        r = self.record(["sh", "-c", "echo to-stdout; echo to-stderr >&2"],
                        preexec_fn=lambda: os.close(1))
        self.assertEqual(r.status, 0, r.describe())
        self.assert_streams(self.path("t.ctrace"), stdout=b"to-stdout\n", stderr=b"to-stderr\n")
