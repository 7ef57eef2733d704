"""End-to-end tests of ctest-record's process-tree containment (issue 8): processes a command
leaves running are reported (pid and name, in the trace and on stderr), killed with
--kill-orphans, reaped when they end (no zombies); --timeout kills the whole tree and exits 124.
"""
import os
import re
import time
import unittest

from ctr_helpers import RecordTestCase, kill_quietly, process_gone, py_fixture


def alive(pid):
    """Whether pid is a process that has not ended (a zombie counts as ended)."""
    return not process_gone(pid)


def wait_gone(pids, timeout=5.0):
    """The pids still alive after up to `timeout` seconds (killed processes take a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.02)
    return [p for p in pids if alive(p)]


class OrphanTest(RecordTestCase):

    def notes(self, trace):
        return [n["text"] for n in self.of_kind(self.events(trace), "note")]

    def test_daemon_left_running_is_reported_with_pid_and_name(self):
        r = self.record(py_fixture("process_tree.py", "daemon", 30), options=["--grace", "0.5"])
        m = re.match(rb"daemon pid=(\d+)\n$", r.stdout)
        self.assertIsNotNone(m, r.describe())
        pid = int(m.group(1))
        self.addCleanup(kill_quietly, pid)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertTrue(alive(pid), "without --kill-orphans the daemon is left running")
        expected = "still running after the grace period: %d (python3)" % pid
        notes = self.notes(r.trace)
        self.assertTrue(any(expected in n for n in notes), notes)
        self.assertIn(expected.encode(), r.stderr)
        self.assertIn(b"left running (--kill-orphans kills them)", r.stderr)
        # It waited the grace period for the daemon, not much more (start-up aside).
        self.assertGreaterEqual(r.elapsed, 0.5)
        self.assertLess(r.elapsed, 15, r.describe())

    def test_kill_orphans_kills_the_daemon(self):
        r = self.record(py_fixture("process_tree.py", "daemon", 30),
                        options=["--grace", "0.2", "--kill-orphans"])
        m = re.match(rb"daemon pid=(\d+)\n$", r.stdout)
        self.assertIsNotNone(m, r.describe())
        pid = int(m.group(1))
        self.addCleanup(kill_quietly, pid)
        self.assertEqual(r.returncode, 0, r.describe())
        # The recorder reaped it before exiting: not even a zombie is left.
        self.assertFalse(os.path.exists("/proc/%d" % pid) and alive(pid),
                         "the daemon must be gone when ctest-record returns")
        notes = self.notes(r.trace)
        self.assertTrue(any("killed %d (python3) (--kill-orphans)" % pid in n for n in notes), notes)

    def test_descendant_that_ends_within_the_grace_period_is_not_reported(self):
        # Daemons that exit 0.3 s after starting: waited for, not reported.
        r = self.record(py_fixture("process_tree.py", "orphans", 1), options=["--grace", "5"])
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertNotIn(b"still running", r.stderr)
        self.assertLess(r.elapsed, 15, r.describe())

    def test_orphans_that_end_are_reaped(self):
        # 20 double-forked daemons re-parented to the recorder end while the command runs:
        # the command counts the recorder's zombies a second later.
        r = self.record(py_fixture("process_tree.py", "orphans", 20))
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, b"adopted=20\nzombies=0\n", r.describe())

    def test_no_orphan_report_when_nothing_is_left(self):
        r = self.record(py_fixture("exit_code.py", 3))
        self.assertEqual(r.returncode, 3, r.describe())
        self.assertEqual(r.stderr, b"")


class TimeoutTest(RecordTestCase):

    def tree_pids(self, r):
        """The pids process_tree.py tree printed (killed at cleanup, should the test fail)."""
        m = re.search(rb"pids=([\d,]+)\r?\n", r.stdout)
        self.assertIsNotNone(m, r.describe())
        pids = [int(p) for p in m.group(1).split(b",")]
        for pid in pids:
            self.addCleanup(kill_quietly, pid)
        return pids

    def test_timeout_kills_the_whole_tree_and_exits_124(self):
        r = self.record(py_fixture("process_tree.py", "tree", 60), options=["--timeout", "1"])
        pids = self.tree_pids(r)
        self.assertEqual(r.returncode, 124, r.describe())
        self.assertGreaterEqual(r.elapsed, 1.0)
        self.assertLess(r.elapsed, 15, r.describe())
        self.assertEqual(wait_gone(pids), [], "child, grandchild and daemon must all be killed")
        events = self.events(r.trace)
        end = self.exit_event(events)
        self.assertEqual((end["signal"], end["status"]), (9, 137), end)
        notes = [n["text"] for n in self.of_kind(events, "note")]
        timed_out = [n for n in notes if n.startswith("timed out after 1.0 s")]
        self.assertEqual(len(timed_out), 1, notes)
        for pid in pids:
            self.assertIn(str(pid), timed_out[0])
        self.assertFalse(any("still running" in n for n in notes), notes)

    def test_timeout_on_a_pty_kills_the_session(self):
        r = self.record(py_fixture("process_tree.py", "tree", 60),
                        options=["--tty", "always", "--timeout", "1"])
        pids = self.tree_pids(r)
        self.assertEqual(r.returncode, 124, r.describe())
        self.assertEqual(wait_gone(pids), [])

    def test_command_finishing_in_time_keeps_its_status(self):
        r = self.record(py_fixture("exit_code.py", 7), options=["--timeout", "30"])
        self.assertEqual(r.returncode, 7, r.describe())
        self.assertLess(r.elapsed, 15)

    def test_bad_timeout_is_a_usage_error(self):
        for value in ("0", "-1", "nan", "soon"):
            r = self.record(["true"], options=["--timeout", value])
            self.assertEqual(r.returncode, 125, r.describe())
            self.assertIn(b"--timeout", r.stderr)


if __name__ == "__main__":
    unittest.main()
