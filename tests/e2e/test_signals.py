"""Signals and process lifetime: EPIPE on the console, the recorder killed mid-run, signals
forwarded to the child, inherited signal state, and descendants that outlive the child."""
import fcntl
import os
import pty
import re
import resource
import signal
import termios
import time
import unittest

from ctr_helpers import (RECORD_BIN, RecordTestCase, io_payload, kill_quietly, py_fixture,
                         shell_status)


def wait_ready_pid(test, proc):
    """Wait for the fixture's "READY pid=N" line on the recorder's stdout; return (N, seen)."""
    m, seen = test.read_until_re(proc.stdout.fileno(), rb"READY pid=(\d+)\n", timeout=20)
    return int(m.group(1)), seen


class EpipeTest(RecordTestCase):

    def test_console_closed_child_gets_sigpipe_141(self):
        script = ('"$REC" -q -o "$T" -- seq 1 10000000 | head -1; '
                  'echo "status=${PIPESTATUS[0]},${PIPESTATUS[1]}"')
        env = dict(os.environ, REC=RECORD_BIN, T=self.path("t.ctrace"))
        r = self.run_argv(["bash", "-c", script], env=env, timeout=60)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"1\nstatus=141,0\n", r.describe())
        info, events = self.assert_complete(self.path("t.ctrace"))
        recorded = self.cat(self.path("t.ctrace"), "stdout")
        self.assertTrue(recorded.startswith(b"1\n"), "recorded stdout starts %r" % recorded[:50])
        # What was recorded is exactly what seq wrote, up to where it was cut off.
        want = b"".join(b"%d\n" % i for i in range(1, 2000000))
        self.assertTrue(want.startswith(recorded) or recorded[:len(want)] == want,
                        "recorded stdout is not a prefix of seq's output")
        ex = self.exit_event(events)
        self.assertFalse(ex["exited"])
        self.assertEqual(ex["signal"], 13)
        self.assertEqual(ex["status"], 141)


class RecorderKilledTest(RecordTestCase):

    def test_sigkill_of_recorder_leaves_trace_readable_to_last_frame(self):
        trace = self.path("t.ctrace")
        proc = self.popen(self.recorder_argv(py_fixture("ready_sleep.py", "--lines", 2000)))
        child_pid, console = wait_ready_pid(self, proc)
        # Wait (bounded) until the writer has flushed a frame holding the marker: that is a
        # condition on the file, not a fixed sleep.
        deadline = time.monotonic() + 20
        while True:
            rc, out, err = self.trace_tool(["cat", "--stream", "stdout", trace])
            if b"READY pid=" in out:
                break
            if time.monotonic() > deadline:
                self.fail("the trace never showed the marker while the recorder ran "
                          "(frames not flushed on time?); cat exit %d, stderr %r" % (rc, err[-500:]))
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        self.assertEqual(self.wait_proc(proc), -signal.SIGKILL)
        kill_quietly(child_pid)

        info = self.info(trace, complete=False)
        self.assertFalse(info["complete"])
        self.assertEqual(info["start"]["child_pid"], child_pid)
        events = self.events(trace, complete=False)
        self.assertEqual(events[0]["kind"], "start")
        self.assertNotIn("end", [e["kind"] for e in events])
        self.assertNotIn("exit", [e["kind"] for e in events])
        recorded = b"".join(io_payload(e) for e in events
                            if e["kind"] == "io" and e["stream"] == "stdout")
        self.assertIn(b"READY pid=%d\n" % child_pid, recorded)
        self.assertEqual(recorded, console[:len(recorded)],
                         "recorded stdout must be exactly what reached the console")
        self.assertTrue(recorded.startswith(b"ready_sleep line 000000\nready_sleep line 000001\n"))
        # cat prints what it could read and exits 1.
        rc, out, err = self.trace_tool(["cat", "--stream", "stdout", trace])
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, recorded)
        self.assertTrue(err.strip(), "ctest-trace should say what is wrong")


class ForwardedSignalTest(RecordTestCase):

    def no_core(self):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def check_forwarded(self, sig):
        trace = self.path("t-%d.ctrace" % sig)
        proc = self.popen(self.recorder_argv(py_fixture("ready_sleep.py"), trace=trace),
                          preexec_fn=self.no_core)
        child_pid, seen = wait_ready_pid(self, proc)
        os.kill(proc.pid, sig)  # the recorder alone, not its process group
        rc = self.wait_proc(proc, timeout=30)
        self.assertEqual(shell_status(rc), 128 + sig, "recorder status; stderr %r" % self.read_log(proc))
        info, events = self.assert_complete(trace)
        ex = self.exit_event(events)
        self.assertFalse(ex["exited"])
        self.assertEqual(ex["signal"], sig)
        self.assertEqual(ex["status"], 128 + sig)
        self.assertEqual(info["start"]["child_pid"], child_pid)
        self.assertIn(b"READY pid=%d\n" % child_pid, self.cat(trace, "stdout"))

    def test_sigterm_forwarded_143(self):
        self.check_forwarded(signal.SIGTERM)

    def test_sigint_forwarded_130(self):
        self.check_forwarded(signal.SIGINT)

    def test_sighup_forwarded_129(self):
        self.check_forwarded(signal.SIGHUP)

    def test_sigquit_forwarded_131(self):
        self.check_forwarded(signal.SIGQUIT)


class TerminalCtrlCTest(RecordTestCase):

    def test_ctrl_c_on_a_terminal_reaches_the_child_once(self):
        # The recorder runs as the foreground process group of a pseudo-terminal; typing ^C
        # makes the kernel send SIGINT to that whole group. The child stays in the group, so
        # it gets that SIGINT directly; the recorder must not forward a second one.
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)

        def take_terminal():  # runs after setsid (start_new_session) in the new process
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        trace = self.path("t.ctrace")
        try:
            proc = self.popen(self.recorder_argv(py_fixture("sigint_count.py")), stdin=slave,
                              preexec_fn=take_terminal)
        finally:
            os.close(slave)
        fd = proc.stdout.fileno()
        child_pid, seen = wait_ready_pid(self, proc)
        self.assertEqual(os.getpgid(child_pid), proc.pid, "child must stay in the recorder's group")
        os.write(master, b"\x03")
        seen = self.read_until(fd, b"got SIGINT 1\n", buf=seen)
        os.write(master, b"done\n")
        seen = self.read_to_eof(fd, buf=seen)
        self.assertEqual(self.wait_proc(proc), 0, self.read_log(proc))
        self.assertTrue(seen.endswith(b"got SIGINT 1\ncount=1\n"), seen)
        info, _ = self.assert_streams(trace, stdout=seen)
        self.assertEqual(info["exit"]["status"], 0)
        self.assertTrue(info["start"]["isatty"][0])


class InheritedSignalStateTest(RecordTestCase):

    # Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID): no program can set their
    # disposition through the C library, and glibc's posix_spawn leaves them SIG_IGN in the
    # child. They are masked out here; every other signal must match exactly.
    GLIBC_RESERVED = (1 << 31) | (1 << 32)

    @classmethod
    def sig_lines(cls, status):
        return {k: int(v, 16) & ~cls.GLIBC_RESERVED
                for k, v in re.findall(rb"^(Sig(?:Blk|Ign)):\s*([0-9a-f]+)$", status, re.M)}

    def compare(self, preexec):
        direct = self.run_argv(["cat", "/proc/self/status"], preexec_fn=preexec)
        self.assertEqual(direct.status, 0)
        r = self.record(["cat", "/proc/self/status"], preexec_fn=preexec)
        self.assertEqual(r.status, 0, r.describe())
        want, got = self.sig_lines(direct.stdout), self.sig_lines(r.stdout)
        self.assertEqual(set(want), {b"SigBlk", b"SigIgn"})
        self.assertEqual(got, want, "the child must start with the signal mask and ignored "
                                    "set ctest-record inherited")
        return got

    def test_default_dispositions(self):
        got = self.compare(None)
        self.assertFalse(got[b"SigIgn"] & (1 << (signal.SIGPIPE - 1)),
                         "SIGPIPE must not be ignored in the child")

    def test_ignored_and_blocked_signals_are_inherited(self):
        def preexec():
            signal.signal(signal.SIGUSR2, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        got = self.compare(preexec)
        self.assertTrue(got[b"SigIgn"] & (1 << (signal.SIGUSR2 - 1)))
        self.assertTrue(got[b"SigBlk"] & (1 << (signal.SIGUSR1 - 1)))


class BackgroundDescendantTest(RecordTestCase):

    def test_descendant_holding_pipes_grace_period(self):
        r = self.record(py_fixture("bg_holder.py", 5, 60), options=["--grace", "1"], timeout=40)
        m = re.match(rb"bg_holder: grandchild pid=(\d+)\n", r.stdout)
        if m:
            self.addCleanup(kill_quietly, int(m.group(1)))
        self.assertEqual(r.returncode, 5, r.describe())
        self.assertLess(r.elapsed, 20, "recorder should give up after the 1 s grace period")
        self.assertIsNotNone(m, r.describe())
        self.assertEqual(r.stdout, m.group(0) + b"bg_holder: parent exiting\n")
        info, events = self.assert_streams(r.trace, stdout=r.stdout)
        self.assertEqual(self.exit_event(events)["status"], 5)
        closed = {e["stream"]: e["reason"] for e in self.of_kind(events, "stream_closed")}
        self.assertEqual(closed.get("stdout"), "grace-expired", closed)
        notes = self.of_kind(events, "note")
        self.assertTrue(notes, "the trace must note that descendants still held the pipes")
        self.assertEqual([n["text"] for n in info["notes"]], [n["text"] for n in notes])
        # ... and the recorder says so on stderr (a warning, so -q does not hide it).
        lines = self.recorder_lines(r.stderr)
        self.assertTrue(lines, "expected a message on stderr; got %r" % r.stderr)
        self.assertTrue(any(n["text"].encode() in r.stderr for n in notes),
                        "the note %r should also be on stderr %r" % ([n["text"] for n in notes], r.stderr))


if __name__ == "__main__":
    unittest.main()
