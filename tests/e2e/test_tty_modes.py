"""ctest-record --tty without a terminal (CI): the pty modes a pipeline or a CI job uses.

--tty=always gives the command a terminal even when ctest-record has none; stdin from a pipe
or file is typed into the pty and its end arrives as the pty's end-of-file character;
--tty=stdout keeps stderr apart on a pipe; auto picks pipes when there is no terminal; each
pty recording replays the same on a pty of the recorded size. The interactive cases (a user
at a terminal, resize, restore) are in test_tty.py.
"""
import json
import os
import unittest

from ctr_helpers import RecordTestCase, PYTHON

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                  "ctest-replay")

# Prints what the command sees of its standard streams, then echoes stdin line by line.
PROBE = r"""
import os, sys
names = ("stdin", "stdout", "stderr")
print(" ".join("%s=%s" % (n, "tty" if os.isatty(i) else "pipe") for i, n in enumerate(names)))
if os.isatty(1):
    cols, rows = os.get_terminal_size(1)
    print("size=%dx%d session-leader=%s" % (cols, rows, os.getsid(0) == os.getpid()))
sys.stderr.write("to stderr\n")
sys.stderr.flush()
for line in sys.stdin:
    print("got " + line.rstrip("\n"))
print("end of input")
"""


class TtyModes(RecordTestCase):
    def terminal_events(self, trace):
        return self.of_kind(self.events(trace), "terminal")

    def replay(self, trace, *options):
        return self.run_argv([REPLAY_BIN] + list(options) + [trace])

    def test_always_gives_a_pty_without_a_terminal(self):
        r = self.record([PYTHON, "-c", PROBE], ["--tty=always"], input=b"one\ntwo\n")
        self.assertEqual(r.status, 0, r)
        out = self.cat(r.trace, "stdout")
        self.assertIn(b"stdin=tty stdout=tty stderr=tty\r\n", out)
        self.assertIn(b"size=80x24 session-leader=True\r\n", out)
        # Merged: stderr is in the one output stream, the echo of the typed lines too.
        self.assertIn(b"to stderr\r\n", out)
        self.assertIn(b"got one\r\n", out)
        self.assertIn(b"got two\r\n", out)
        self.assertTrue(out.endswith(b"end of input\r\n"), out)
        self.assertEqual(self.cat(r.trace, "stderr"), b"")
        self.assertEqual(self.cat(r.trace, "stdin"), b"one\ntwo\n")
        # The console got exactly what the trace holds.
        self.assertEqual(r.stdout, out)
        (opened,) = self.terminal_events(r.trace)
        self.assertEqual(opened["change"], "opened")
        self.assertEqual(opened["mode"], "pty")
        self.assertTrue(opened["merged"])
        self.assertEqual((opened["rows"], opened["cols"]), (24, 80))

    def test_input_without_a_final_newline_still_ends(self):
        r = self.record(["cat"], ["--tty=always"], input=b"partial line")
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.cat(r.trace, "stdout").count(b"partial line"), 2,
                         "echoed by the pty, then written by cat")

    def test_no_stdin_reads_end_of_input_at_once(self):
        r = self.record(["cat"], ["--tty=always", "-n"])
        self.assertEqual(r.status, 0, r)
        self.assertEqual(self.cat(r.trace, "stdin"), b"")

    def test_stdout_mode_keeps_stderr_apart(self):
        r = self.record([PYTHON, "-c", PROBE], ["--tty=stdout"], input=b"x\n")
        self.assertEqual(r.status, 0, r)
        out = self.cat(r.trace, "stdout")
        self.assertIn(b"stdin=tty stdout=tty stderr=pipe\r\n", out)
        self.assertNotIn(b"to stderr", out)
        self.assertEqual(self.cat(r.trace, "stderr"), b"to stderr\n")
        self.assertEqual(r.stderr, b"to stderr\n")
        (opened,) = self.terminal_events(r.trace)
        self.assertEqual(opened["mode"], "pty-stdout")
        self.assertFalse(opened["merged"])

    def test_auto_without_a_terminal_uses_pipes(self):
        for options in ([], ["--tty=auto"], ["--tty=never"]):
            r = self.record([PYTHON, "-c", PROBE], options, input=b"")
            self.assertEqual(r.status, 0, r)
            self.assertIn(b"stdin=pipe stdout=pipe stderr=pipe\n", self.cat(r.trace, "stdout"))
            self.assertEqual(self.terminal_events(r.trace), [])

    def test_bad_mode_is_a_usage_error(self):
        r = self.run_argv(self.recorder_argv(["true"], ["--tty=sometimes"]))
        self.assertEqual(r.status, 125, r)
        self.assertIn(b"--tty takes auto, always, stdout or never, not 'sometimes'", r.stderr)

    def test_status_and_signals_pass_through(self):
        r = self.record(["sh", "-c", "exit 7"], ["--tty=always"])
        self.assertEqual(r.status, 7, r)
        r = self.record(["sh", "-c", "kill -TERM $$"], ["--tty=always"])
        self.assertEqual(r.status, 143, r)

    @unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
    def test_pty_recordings_replay_on_a_pty(self):
        for name, options, data in (("merged", ["--tty=always"], b"a\nb\n"),
                                    ("split", ["--tty=stdout"], b"c\n"),
                                    ("nostdin", ["--tty=always", "-n"], None)):
            with self.subTest(name):
                trace = name + ".ctrace"
                r = self.record([PYTHON, "-c", PROBE], options, trace=trace, input=data)
                self.assertEqual(r.status, 0, r)
                for _ in range(3):
                    rep = self.replay(r.trace)
                    self.assertEqual(rep.status, 0, rep)
                    self.assertIn(b"same", rep.stdout)

    @unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
    def test_replay_uses_the_recorded_size_and_term(self):
        probe = "import os; print(os.get_terminal_size(0), os.environ.get('TERM'))"
        r = self.record([PYTHON, "-c", probe], ["--tty=always"], extra_env={"TERM": "vt100"})
        self.assertEqual(r.status, 0, r)
        self.assertIn(b"columns=80, lines=24) vt100", self.cat(r.trace, "stdout"))
        (opened,) = self.terminal_events(r.trace)
        self.assertEqual(opened["term"], "vt100")
        rep = self.run_argv([REPLAY_BIN, r.trace], extra_env={"TERM": "dumb"})
        self.assertEqual(rep.status, 0, rep)


if __name__ == "__main__":
    unittest.main()
