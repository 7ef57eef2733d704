"""ctest-record --tty without a terminal (CI): the pty modes a pipeline or a CI job uses.

--tty=always gives the command a terminal even when ctest-record has none; stdin from a pipe
or file is typed into the pty and its end arrives as the pty's end-of-file character;
--tty=stdout keeps stderr apart on a pipe; auto picks pipes when there is no terminal; each
pty recording replays the same on a pty of the recorded size. The interactive cases (a user
at a terminal, resize, restore) are in test_tty.py.
"""
import fcntl
import json
import os
import pty
import select
import struct
import termios
import time
import unittest

from ctr_helpers import RecordTestCase, PYTHON, TRACE_BIN, py_fixture

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                  "ctest-replay")

# Reads stdin to its end, then prints what the command sees of its standard streams and the
# lines it read. (Reading first: the pty echoes input when it is typed, so output printed
# before reading would race the echo, with or without a recorder.)
PROBE = r"""
import os, sys
lines = sys.stdin.readlines()
names = ("stdin", "stdout", "stderr")
print(" ".join("%s=%s" % (n, "tty" if os.isatty(i) else "pipe") for i, n in enumerate(names)))
if os.isatty(1):
    cols, rows = os.get_terminal_size(1)
    print("size=%dx%d session-leader=%s" % (cols, rows, os.getsid(0) == os.getpid()))
sys.stderr.write("to stderr\n")
sys.stderr.flush()
for line in lines:
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

    @unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
    def test_pty_recording_turns_the_progress_normaliser_on(self):
        r = self.record(py_fixture("terminal_output.py"), ["--tty=always"],
                        extra_env={"CTR_TERM_STEPS": "4"})
        self.assertEqual(r.status, 0, r)
        # More frames on the way to the same final state: the same to a user of a terminal.
        more_frames = ["--env", "CTR_TERM_STEPS=9"]
        rep = self.replay(r.trace, *more_frames)
        self.assertEqual(rep.status, 0, rep)
        rep = self.replay(r.trace, "--no-normalize", "progress", *more_frames)
        self.assertEqual(rep.status, 1, rep)
        self.assertIn(b"\\r", rep.stdout, "the rewrites are shown in the diff")
        rep = self.replay(r.trace, "--env", "CTR_TERM_FINAL=90")
        self.assertEqual(rep.status, 1, rep)
        self.assertIn(b"-downloading 100% [##########]\n+downloading  90% [######### ]\n",
                      rep.stdout, "the final states, collapsed")

    @unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
    def test_colour_change_on_a_pty_is_a_regression_unless_stripped(self):
        r = self.record(py_fixture("terminal_output.py"), ["--tty=always"],
                        extra_env={"CTR_TERM_COLOR": "green"})
        self.assertEqual(r.status, 0, r)
        rep = self.replay(r.trace, "--env", "CTR_TERM_COLOR=red")
        self.assertEqual(rep.status, 1, rep)
        self.assertIn(b"\\e[32m", rep.stdout)
        self.assertNotIn(b"\x1b", rep.stdout, "escape sequences are shown, not sent")
        rep = self.replay(r.trace, "--ansi=strip", "--env", "CTR_TERM_COLOR=red")
        self.assertEqual(rep.status, 0, rep)

    def test_exports_of_a_pty_recording(self):
        r = self.record([PYTHON, "-c", "print('\\x1b[1mbold\\x1b[0m caf\\xe9')"],
                        ["--tty=always"])
        self.assertEqual(r.status, 0, r)
        rc, out, err = self.trace_tool(["export", "--format", "text", r.trace])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "bold caf\u00e9\n".encode())
        rc, out, err = self.trace_tool(["export", "--format", "asciicast", r.trace])
        self.assertEqual(rc, 0, err)
        lines = out.decode().splitlines()
        header = json.loads(lines[0])
        self.assertEqual((header["version"], header["width"], header["height"]), (2, 80, 24))
        output = "".join(e[2] for e in map(json.loads, lines[1:]) if e[1] == "o")
        self.assertEqual(output, "\x1b[1mbold\x1b[0m caf\u00e9\r\n")

    @unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
    def test_recorded_resizes_are_replayed_where_they_happened(self):
        """Recorded from a terminal the test plays (pty.fork), resized twice; the replay, with
        no terminal, resizes its pty at the same points of the output."""
        reporter = ("import os, signal, sys\n"
                    "def show(*_):\n"
                    "    print('size %dx%d' % tuple(os.get_terminal_size(0)), flush=True)\n"
                    "signal.signal(signal.SIGWINCH, show)\n"
                    "show()\n"
                    "sys.stdin.readline()\n")
        trace = self.path("resized.ctrace")
        pid, master = pty.fork()
        if pid == 0:  # the child: never returns into the test runner
            try:
                argv = self.recorder_argv([PYTHON, "-c", reporter], trace=trace)
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.addCleanup(os.close, master)
        seen = b""

        def wait_for(text):
            nonlocal seen
            deadline = time.monotonic() + 20
            while text not in seen:
                self.assertLess(time.monotonic(), deadline, "%r not seen; got %r" % (text, seen))
                if select.select([master], [], [], 0.1)[0]:
                    try:
                        seen += os.read(master, 4096)
                    except OSError:
                        break
        try:
            wait_for(b"size 80x24\r\n")
            for rows, cols in ((40, 120), (50, 132)):
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                wait_for(b"size %dx%d\r\n" % (cols, rows))
            os.write(master, b"done\n")
            wait_for(b"done\r\n")
        finally:
            _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, seen)
        resized = [(e["rows"], e["cols"]) for e in self.terminal_events(trace)
                   if e["change"] == "resized"]
        self.assertEqual(resized, [(40, 120), (50, 132)])
        for _ in range(3):
            rep = self.replay(trace)
            self.assertEqual(rep.status, 0, rep)
            self.assertIn(b"same", rep.stdout)


if __name__ == "__main__":
    unittest.main()
