"""End-to-end test of ctest-replay's trust message (issue 8, docs/security.md): a trace recorded
on another host makes ctest-replay say which command it runs, and where, before running it.
The other host is a private UTS namespace (unshare --user --map-root-user --uts); the test is
skipped where one cannot be made.
"""
import os
import shutil
import subprocess
import unittest

from ctr_helpers import RecordTestCase, py_fixture
from test_replay import REPLAY_BIN


class ForeignTraceTest(RecordTestCase):
    """A trace recorded on another host: ctest-replay names the command before running it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(REPLAY_BIN, os.X_OK):
            raise unittest.SkipTest("ctest-replay not built: %s" % REPLAY_BIN)
        cls.unshare = shutil.which("unshare")
        probe = None
        if cls.unshare:
            probe = subprocess.run([cls.unshare, "--user", "--map-root-user", "--uts", "sh", "-c",
                                    "hostname ctr-elsewhere"], capture_output=True, timeout=30)
        if probe is None or probe.returncode != 0:
            raise unittest.SkipTest("cannot set a hostname in a private UTS namespace")

    def test_replay_of_a_foreign_trace_prints_the_command_first(self):
        trace = self.path("elsewhere.ctrace")
        script = 'hostname ctr-elsewhere && exec "$@"'
        r = self.run_argv([self.unshare, "--user", "--map-root-user", "--uts", "sh", "-c", script,
                           "sh", *self.recorder_argv(py_fixture("exit_code.py", 0, "it's me"),
                                                     trace=trace)])
        self.assertEqual(r.returncode, 0, r.describe())
        start = self.start_event(self.events(trace))
        self.assertEqual(start["hostname"], "ctr-elsewhere")
        replayed = self.run_argv([REPLAY_BIN, trace])
        self.assertEqual(replayed.returncode, 0, replayed.describe())
        line = ("ctest-replay: %s was recorded on host ctr-elsewhere; running: " % trace).encode()
        self.assertIn(line, replayed.stderr)
        self.assertIn(b"exit_code.py 0 'it'\\''s me' (in %s)" % self.tmp.encode(), replayed.stderr)
        # -q hides it, like every informational line.
        quiet = self.run_argv([REPLAY_BIN, "-q", trace])
        self.assertNotIn(b"was recorded on host", quiet.stderr)

    def test_replay_of_a_local_trace_says_nothing_extra(self):
        r = self.record(py_fixture("exit_code.py", 0))
        replayed = self.run_argv([REPLAY_BIN, r.trace])
        self.assertEqual(replayed.returncode, 0, replayed.describe())
        self.assertNotIn(b"was recorded on host", replayed.stderr)


if __name__ == "__main__":
    unittest.main()
