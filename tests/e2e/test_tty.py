"""Terminals (issue 7) end to end: real interactive programs from Debian packages (python3 -i,
sqlite3, bc) recorded by `ctest-record` inside a pseudo-terminal the test controls
(pty_session.PtySession plays the terminal emulator and the user's shell), then replayed
headless by `ctest-replay` (no terminal, stdin /dev/null, as in CI); the terminal settings
restored after the recorder is killed; window resizes; the --tty modes.

How the test types: like a person. Each keystroke chunk (a line ending in "\\r", which is
what Enter sends, or a control character) is written only after the program's prompt has
appeared, so the trace holds one stdin chunk per line, each recorded after the output that
asked for it, and `--stdin=causal` can feed it back at the same point. bc has no prompt:
with TERM=xterm readline prints "\\e[?2004h" (bracketed paste on) when it is ready to read
a line, and the test waits for that instead (TERM is fixed to xterm for this and the other
reasons given in pty_session.py).

Choices where the engine contract leaves room (what a script(1) user would expect):
  * What the user saw on the terminal is exactly the recorded stdout stream: the recorder's
    terminal is raw (no echo, no output processing of its own), the echo of typed input
    comes from the command's pty, and nothing is added or lost (with -q).
  * The recorded stdin stream is exactly the bytes typed, control characters included.
  * `--tty=stdout` puts stderr on a pipe, so the terminal event says mode "pty-stdout",
    merged=false, and stderr is its own stream; in `--tty=always|auto` it is merged
    (mode "pty", merged=true, stderr stream empty).
  * With `--tty=never` on a terminal there is no terminal event and the command gets pipes.
  * A resize is recorded before the output the child prints in reaction to it.
  * After SIGTERM/SIGINT/SIGHUP the recorder exits 128+N (the command dies of the same
    signal) and the terminal's settings (`stty -a`, tcgetattr) are exactly those it had.
  * `--stdin=all` on the tcflush fixture loses the type-ahead; the replay then waits at a
    prompt whose answer was thrown away, so it is run with a short --timeout: either way
    (the replay ends the input, or the timeout kills it) the verdict is a regression.

Timeouts are generous (ASan/TSan builds run the binaries slower): 20 s per wait
(CTR_TTY_TIMEOUT), 60 s per replay; replay counts are modest (5 per program).
"""
import os
import re
import shutil
import signal
import tempfile
import termios
import time
import unittest

from ctr_helpers import PYTHON, RECORD_BIN, RecordTestCase, py_fixture, shell_status
from pty_session import TTY_TIMEOUT, PtySession, descendants, interactive_env

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                 "ctest-replay")
SYSTEM_PYTHON = "/usr/bin/python3"   # the Debian package's interpreter (python3 -i)
CLEAN_REPLAYS = 5
REPLAY_TIMEOUT = 60                  # ctest-replay --timeout for replays that must pass
ALL_TIMEOUT = 5                      # --stdin=all on tcflush_prompt.py (see the docstring)
READLINE_READY = b"\x1b[?2004h"      # readline (TERM=xterm) is ready to read a line
ROWS, COLS = 24, 80

# python3 -i: statements, a def (continuation prompts), ^C at an empty prompt (the byte goes
# through the recorder; the command's pty turns it into SIGINT: "KeyboardInterrupt").
PYTHON_STEPS = [
    (b">>> ", b"x = 6 * 7\r"),
    (b">>> ", b"print(x)\r"),
    (b">>> ", b"def f(n):\r"),
    (b"... ", b"    return [i * i for i in range(n)]\r"),
    (b"... ", b"\r"),
    (b">>> ", b"f(5)\r"),
    (b">>> ", b"\x03"),
    (b"KeyboardInterrupt\r\n>>> ", b"'%s-%d' % ('abc', 7)\r"),
    (b">>> ", b"exit()\r"),
]
PYTHON_OUTPUT = (b">>> x = 6 * 7\r\n>>> print(x)\r\n42\r\n>>> def f(n):\r\n"
                 b"...     return [i * i for i in range(n)]\r\n... \r\n>>> f(5)\r\n"
                 b"[0, 1, 4, 9, 16]\r\n>>> \r\nKeyboardInterrupt\r\n>>> '%s-%d' % ('abc', 7)\r\n"
                 b"'abc-7'\r\n>>> exit()\r\n")

SQLITE_STEPS = [
    (b"sqlite> ", b"CREATE TABLE t(a INTEGER, b TEXT);\r"),
    (b"sqlite> ", b"INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');\r"),
    (b"sqlite> ", b"SELECT a, upper(b) FROM t\r"),          # continues on the next line
    (b"   ...> ", b"  WHERE a >= 2 ORDER BY a DESC;\r"),
    (b"sqlite> ", b"SELECT sum(a) * 10 FROM t;\r"),
    (b"sqlite> ", b".quit\r"),
]

BC_STEPS = [
    (READLINE_READY, b"1/3\r"),
    (READLINE_READY, b"2^20\r"),
    (READLINE_READY, b"sqrt(2)\r"),
    (READLINE_READY, b"quit\r"),
]

TCFLUSH_STEPS = [(b"? ", b"red\r"), (b"? ", b"green\r"), (b"? ", b"blue\r"), (b"? ", b"quit\r")]
TCFLUSH_OUTPUT = (b"? red\r\nanswer 1: red\r\n? green\r\nanswer 2: green\r\n? blue\r\n"
                  b"answer 3: blue\r\n? quit\r\ndone (3 answers)\r\n")

# Inline probe for the --tty modes: what the command's fds are, whether it leads a session
# with the terminal in the foreground, then a line on stderr.
TTY_PROBE = ("import os, sys\n"
             "print('isatty', *[int(os.isatty(fd)) for fd in (0, 1, 2)],\n"
             "      'leader', int(os.getsid(0) == os.getpid()),\n"
             "      'foreground', int(os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()))\n"
             "sys.stdout.flush()\n"
             "sys.stderr.write('to stderr\\n')\n")


def without_escapes(text):
    """Diff text with terminal escape sequences and carriage returns removed (in raw or in
    the printable forms a differ may use: \\x1b, \\e, \\033, \\r)."""
    text = re.sub(r"(\x1b|\\x1b|\\e|\\033|\\u001b)\[[0-9;?]*[A-Za-z]", "", text)
    return text.replace("\\r", "").replace("\r", "")


class TtyTestCase(RecordTestCase):
    """Shared helpers: recording a typed session, reading its trace, replaying it."""

    maxDiff = 6000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.access(REPLAY_BIN, os.X_OK):
            raise unittest.SkipTest("ctest-replay not built: %s (build it or set CTEST_REPLAY_BIN)"
                                    % REPLAY_BIN)
        cls.class_tmp = tempfile.mkdtemp(prefix="ctr-tty-")
        cls.addClassCleanup(shutil.rmtree, cls.class_tmp, True)
        cls.home = os.path.join(cls.class_tmp, "home")   # HOME of every recording and replay
        os.mkdir(cls.home)

    def env(self, **extra):
        return interactive_env(self.home, **extra)

    def terminal(self, **kw):
        """A new PtySession (no command yet), closed (everything killed) after the test."""
        session = PtySession(**kw)
        self.addCleanup(session.close)
        return session

    # ------------------------------------------------------------------------- recording
    def record_typed(self, command, steps, trace, options=(), rows=ROWS, cols=COLS):
        """Record `command` under ctest-record on a new terminal while typing: for each
        (marker, keys) wait for marker in the output after the previous one, then type keys.
        Checks the recording (exit 0, complete trace, one terminal event: pty, merged, TERM,
        size; stdin = the keys typed; stdout = what the terminal showed). Returns
        (transcript, events)."""
        term = self.terminal(rows=rows, cols=cols)
        argv = [RECORD_BIN, "-q", "-o", trace] + list(options) + ["--"] + list(command)
        term.start(argv, env=self.env(), cwd=os.path.dirname(trace))
        typed = b""
        for marker, keys in steps:
            term.expect(marker)
            term.send(keys)
            typed += keys
        rc = term.wait()
        transcript = term.output
        self.assertEqual(shell_status(rc), 0, "ctest-record exited %d; terminal showed %r"
                         % (shell_status(rc), transcript[-3000:]))
        info, events = self.assert_complete(trace)
        self.assert_terminal_opened(events, rows, cols)
        self.assertBytesEqual(self.cat(trace, "stdin"), typed, "recorded stdin (the keys typed)")
        self.assertBytesEqual(self.cat(trace, "stdout"), transcript,
                              "recorded stdout vs what the terminal showed")
        self.assertEqual(self.cat(trace, "stderr"), b"", "stderr is merged into the pty output")
        self.assertEqual(self.exit_event(events)["status"], 0)
        return transcript, events

    def assert_terminal_opened(self, events, rows, cols, merged=True, mode="pty"):
        opened = [e for e in self.of_kind(events, "terminal") if e.get("change") == "opened"]
        self.assertEqual(len(opened), 1, "want one terminal 'opened' event, got %r"
                         % self.of_kind(events, "terminal"))
        ev = opened[0]
        self.assertEqual(ev.get("mode"), mode, ev)
        self.assertIs(ev.get("merged"), merged, ev)
        self.assertEqual(ev.get("term"), "xterm", ev)
        self.assertEqual((ev.get("rows"), ev.get("cols")), (rows, cols), ev)
        start = self.start_event(events)
        self.assertLess(events.index(start), events.index(ev), "terminal event before start")
        return ev

    # ------------------------------------------------------------------------- replaying
    def replay(self, *args, timeout=REPLAY_TIMEOUT, env=None):
        """`ctest-replay ARGS` headless: stdin /dev/null, no controlling terminal (own session),
        output captured."""
        return self.run_argv([REPLAY_BIN] + [str(a) for a in args],
                             env=env if env is not None else self.env(), timeout=timeout + 30)

    @staticmethod
    def text(r):
        return (r.stdout + b"\n" + r.stderr).decode("utf-8", "replace")

    def assert_replay(self, r, status, what):
        self.assertEqual(r.status, status, "%s: ctest-replay exited %d, want %d\n%s"
                         % (what, r.status, status, r.describe()))

    def assert_clean_replays(self, trace, count, *options):
        """`count` replays in a row, each exit 0 without falling back from causal feeding."""
        for n in range(count):
            r = self.replay("--timeout", REPLAY_TIMEOUT, *options, trace)
            self.assert_replay(r, 0, "replay %d of %d (%s) of %s"
                               % (n + 1, count, " ".join(options) or "default options", trace))
            self.assertNotRegex(self.text(r), r"(?i)fall(ing)? ?back|timed out",
                                "causal feeding must not have fallen back")

    def diff_lines(self, r, sign):
        """The '-' or '+' lines of the unified diff(s) in the replay's output, escapes and
        carriage returns removed (not the ---/+++ headers)."""
        lines = without_escapes(self.text(r)).splitlines()
        return [l[1:] for l in lines if l.startswith(sign) and not l.startswith(sign * 3)]


# =========================================================================================
class PtyDriverTest(unittest.TestCase):
    """The driver itself, without the recorder: if this fails, the other failures in this
    file say nothing about the engine."""

    def test_driver_runs_bc_on_a_terminal(self):
        if not shutil.which("bc"):
            self.skipTest("bc is not installed (Debian package bc; ci/install-deps.sh)")
        home = tempfile.mkdtemp(prefix="ctr-tty-home-")
        self.addCleanup(shutil.rmtree, home, True)
        with PtySession(["bc", "-q"], env=interactive_env(home), rows=30, cols=100) as term:
            self.assertEqual(term.get_size(), (30, 100))
            term.expect(READLINE_READY)
            term.send(b"6*7\r")
            term.expect(b"42\r\n")
            term.expect(READLINE_READY)
            term.send(b"quit\r")
            self.assertEqual(term.wait(), 0)
            self.assertIn(b"6*7\r\n", term.output, "readline echoes what was typed")


# =========================================================================================
class InteractiveProgramsTest(TtyTestCase):
    """python3 -i, sqlite3 and bc typed into through the recorder, replayed headless with
    --stdin=causal 5 times in a row, each clean; bc replayed as `bc -l` is a regression with
    a readable diff. Each program is recorded once per class run (first test that needs it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._recordings = {}

    def recording(self, name, command, steps):
        """Trace path of the class's recording `name`, made on first use. A recording that
        failed fails every test that needs it, with the original message."""
        if name not in self._recordings:
            trace = os.path.join(self.class_tmp, name + ".ctrace")
            try:
                transcript, events = self.record_typed(command, steps, trace)
                self._recordings[name] = (trace, transcript, None)
            except AssertionError as e:
                self._recordings[name] = (trace, None, "recording %s failed: %s" % (name, e))
        trace, transcript, error = self._recordings[name]
        if error:
            self.fail(error)
        return trace, transcript

    def python_recording(self):
        return self.recording("python", [SYSTEM_PYTHON, "-q", "-i"], PYTHON_STEPS)

    def sqlite_recording(self):
        sqlite3 = shutil.which("sqlite3")
        if not sqlite3:
            self.skipTest("sqlite3 is not installed (Debian package sqlite3; ci/install-deps.sh)")
        return self.recording("sqlite3", [sqlite3], SQLITE_STEPS)

    def bc_recording(self):
        bc = shutil.which("bc")
        if not bc:
            self.skipTest("bc is not installed (Debian package bc; ci/install-deps.sh)")
        return self.recording("bc", [bc, "-q"], BC_STEPS)

    def test_python3_i_replays_clean_5_times_with_causal_stdin(self):
        if not os.access(SYSTEM_PYTHON, os.X_OK):
            self.skipTest("%s is not installed (Debian package python3)" % SYSTEM_PYTHON)
        trace, transcript = self.python_recording()
        self.assertBytesEqual(transcript, PYTHON_OUTPUT, "python3 -i session on the terminal")
        self.assert_clean_replays(trace, CLEAN_REPLAYS, "--stdin=causal")

    def test_sqlite3_replays_clean_5_times_with_causal_stdin(self):
        trace, transcript = self.sqlite_recording()
        text = without_escapes(transcript.decode("utf-8", "replace"))
        self.assertIn("SQLite version", text)
        self.assertIn("sqlite> SELECT a, upper(b) FROM t\n   ...>   WHERE a >= 2 ORDER BY a DESC;\n"
                      "3|THREE\n2|TWO\n", text)
        self.assertIn("sqlite> SELECT sum(a) * 10 FROM t;\n60\n", text)
        self.assert_clean_replays(trace, CLEAN_REPLAYS, "--stdin=causal")

    def test_bc_replays_clean_5_times_with_causal_stdin(self):
        trace, transcript = self.bc_recording()
        self.assertEqual(without_escapes(transcript.decode()),
                         "1/3\n0\n2^20\n1048576\nsqrt(2)\n1\nquit\n")
        self.assert_clean_replays(trace, CLEAN_REPLAYS, "--stdin=causal")

    def test_bc_replayed_as_bc_l_is_a_regression_with_a_readable_diff(self):
        """The same keystrokes into `bc -l` (math library, scale 20): 1/3 and sqrt(2) print
        differently, 2^20 does not. The diff shows exactly those lines."""
        trace, _ = self.bc_recording()
        r = self.replay("--timeout", REPLAY_TIMEOUT, trace, "--", shutil.which("bc"), "-q", "-l")
        self.assert_replay(r, 1, "bc recording replayed as bc -l")
        removed, added = self.diff_lines(r, "-"), self.diff_lines(r, "+")
        self.assertIn("0", [l.strip() for l in removed], "no '-0' line (1/3 in bc):\n" + self.text(r))
        self.assertIn(".33333333333333333333", [l.strip() for l in added],
                      "no '+.33333333333333333333' line (1/3 in bc -l):\n" + self.text(r))
        self.assertIn("1.41421356237309504880", [l.strip() for l in added],
                      "no '+1.41421356237309504880' line (sqrt(2) in bc -l):\n" + self.text(r))
        self.assertNotIn("1048576", [l.strip() for l in removed + added],
                         "2^20 did not change and must not be a changed line:\n" + self.text(r))
        self.assertIn("@@", self.text(r), "no unified diff hunk header")


# =========================================================================================
class TypeAheadFlushTest(TtyTestCase):
    """fixtures/tcflush_prompt.py throws away pending input before each prompt: typed after
    each prompt (causal) every answer arrives; sent all at once it is flushed."""

    def test_tcflush_prompt_clean_with_causal_and_regression_with_all(self):
        trace = self.path("tcflush.ctrace")
        transcript, _ = self.record_typed(py_fixture("tcflush_prompt.py"), TCFLUSH_STEPS, trace)
        self.assertBytesEqual(transcript, TCFLUSH_OUTPUT, "tcflush_prompt.py on the terminal")
        # causal is the default for a pty recording: once without --stdin, then explicitly.
        self.assert_clean_replays(trace, 1)
        self.assert_clean_replays(trace, 2, "--stdin=causal")
        r = self.replay("--stdin=all", "--timeout", ALL_TIMEOUT, trace, timeout=ALL_TIMEOUT)
        self.assert_replay(r, 1, "tcflush_prompt.py replayed with --stdin=all (type-ahead flushed)")
        removed = [l.strip() for l in self.diff_lines(r, "-")]
        self.assertIn("answer 3: blue", removed,
                      "the flushed answers must show as removed lines:\n" + self.text(r))


# =========================================================================================
class TerminalRestoreTest(TtyTestCase):
    """The recorder puts its terminal in raw mode and restores it exactly, also when it is
    killed mid-session or the command dies of a signal. The terminal starts with non-default settings (-echoctl, intr ^G,
    erase ^H) so that "restored" is not the same as "reset to defaults"."""

    @staticmethod
    def user_settings():
        """termios attributes of a fresh pty with the user's non-default settings."""
        master, slave = os.openpty()
        try:
            attrs = termios.tcgetattr(slave)
        finally:
            os.close(master)
            os.close(slave)
        attrs[3] &= ~termios.ECHOCTL
        attrs[6][termios.VINTR] = b"\x07"
        attrs[6][termios.VERASE] = b"\x08"
        return attrs

    def check_restored(self, how):
        """Start a session, type a line, then end it: `how` is a signal sent to the recorder,
        "quit" (typed) or "kill-command" (the command SIGKILLed behind the recorder's back).
        The terminal's settings afterwards must be exactly those before."""
        term = self.terminal(attrs=self.user_settings())
        before, before_attrs = term.stty_a(), term.termios_attrs()
        self.assertIn("-echoctl", before.split())
        self.assertIn("intr = ^G;", before)
        self.assertIn("erase = ^H;", before)
        trace = self.path("restore.ctrace")
        term.start([RECORD_BIN, "-q", "-o", trace, "--"] + py_fixture("tcflush_prompt.py"),
                   env=self.env(), cwd=self.tmp)
        term.expect(b"? ")
        term.send(b"hello\r")
        term.expect(b"answer 1: hello\r\n? ")
        # Raw mode while recording (bounded wait: it is set by the time the child prompts,
        # but polling costs nothing).
        deadline = time.monotonic() + TTY_TIMEOUT
        during = term.stty_a()
        while not ("-icanon" in during.split() and "-echo" in during.split()):
            if time.monotonic() > deadline:
                self.fail("the recorder's terminal is not in raw mode while recording:\n" + during)
            time.sleep(0.05)
            during = term.stty_a()
        if how == "quit":
            term.send(b"quit\r")
            sig, name = None, "normal exit"
        elif how == "kill-command":
            children = descendants(term.pid)
            self.assertEqual(len(children), 1, "want the recorder's one child: %r" % children)
            os.kill(children[0], signal.SIGKILL)
            sig, name = signal.SIGKILL, "command SIGKILLed"
        else:
            term.signal(how)
            sig, name = how, "recorder got " + signal.Signals(how).name
        rc = term.wait()
        want = 0 if sig is None else 128 + sig
        self.assertEqual(shell_status(rc), want, "ctest-record's status (%s); terminal showed %r"
                         % (name, term.output[-2000:]))
        after, after_attrs = term.stty_a(), term.termios_attrs()
        self.assertEqual(after, before, "stty -a after the recorder exited (%s)" % name)
        self.assertEqual(after_attrs, before_attrs, "tcgetattr after the recorder exited (%s)" % name)
        info, events = self.assert_complete(trace)
        ex = self.exit_event(events)
        if sig is None:
            self.assertEqual(ex["status"], 0, ex)
        else:
            self.assertEqual((ex.get("signal"), ex["status"]), (sig, 128 + sig), ex)

    def test_sigterm_mid_session_restores_the_terminal(self):
        self.check_restored(signal.SIGTERM)

    def test_sigint_mid_session_restores_the_terminal(self):
        self.check_restored(signal.SIGINT)

    def test_sighup_mid_session_restores_the_terminal(self):
        self.check_restored(signal.SIGHUP)

    def test_command_killed_mid_session_restores_the_terminal(self):
        self.check_restored("kill-command")

    def test_normal_exit_restores_the_terminal(self):
        self.check_restored("quit")


# =========================================================================================
class ResizeTest(TtyTestCase):

    def test_sigwinch_is_recorded_and_the_child_sees_the_new_size(self):
        """Two resizes of the test's terminal while recording winsize_reporter.py: each is a
        'resized' event (in order, before the output the child prints about it) and the
        child reports each new size; replayed headless, the same sizes are reported."""
        trace = self.path("winsize.ctrace")
        term = self.terminal(rows=ROWS, cols=COLS)
        term.start([RECORD_BIN, "-q", "-o", trace, "--"] + py_fixture("winsize_reporter.py"),
                   env=self.env(), cwd=self.tmp)
        term.expect(b"size %dx%d (start)\r\n" % (ROWS, COLS))
        term.set_size(30, 100)
        term.expect(b"size 30x100 (SIGWINCH)\r\n")
        term.set_size(40, 132)
        term.expect(b"size 40x132 (SIGWINCH)\r\n")
        term.send(b"q\r")
        rc = term.wait()
        self.assertEqual(shell_status(rc), 0, "ctest-record; terminal showed %r" % term.output)
        info, events = self.assert_complete(trace)
        self.assert_terminal_opened(events, ROWS, COLS)
        resized = [e for e in self.of_kind(events, "terminal") if e.get("change") == "resized"]
        self.assertEqual([(e.get("rows"), e.get("cols")) for e in resized], [(30, 100), (40, 132)],
                         "resized events: %r" % resized)
        stdout = self.cat(trace, "stdout")
        self.assertBytesEqual(stdout, term.output, "recorded stdout vs what the terminal showed")
        self.assertEqual(stdout, b"size 24x80 (start)\r\nsize 30x100 (SIGWINCH)\r\n"
                                 b"size 40x132 (SIGWINCH)\r\nq\r\nbye\r\n")
        # Each resize event comes before the io event that completes the child's report.
        for ev, line in zip(resized, (b"size 30x100", b"size 40x132")):
            seen, reported_at = b"", None
            for i, e in enumerate(events):
                if e.get("kind") == "io" and e.get("stream") == "stdout":
                    seen += self.stream_from_events([e], "stdout")
                    if line in seen:
                        reported_at = i
                        break
            self.assertIsNotNone(reported_at)
            self.assertLess(events.index(ev), reported_at,
                            "the resize to %r must be recorded before the child's report" % line)
        # ctest-replay resizes its pty where the recording did (once the replayed output has
        # reached that point), so the fixture reports the same sizes headless.
        self.assert_clean_replays(trace, 3)


# =========================================================================================
class TtyModeTest(TtyTestCase):
    """--tty=auto|never|stdout with ctest-record at a terminal: what the command gets, and the
    trace's terminal event (without a terminal: test_tty_modes.py)."""

    def probe_on_terminal(self, option):
        trace = self.path("probe%s.ctrace" % (option or ""))
        term = self.terminal()
        options = [option] if option else []
        term.start([RECORD_BIN, "-q", "-o", trace] + options + ["--", PYTHON, "-c", TTY_PROBE],
                   env=self.env(), cwd=self.tmp)
        rc = term.wait()
        self.assertEqual(shell_status(rc), 0, "ctest-record %s; terminal showed %r"
                         % (option, term.output))
        info, events = self.assert_complete(trace)
        return term.output, trace, events

    def test_auto_on_a_terminal_is_a_pty_session(self):
        out, trace, events = self.probe_on_terminal(None)
        self.assertEqual(out, b"isatty 1 1 1 leader 1 foreground 1\r\nto stderr\r\n")
        self.assert_terminal_opened(events, ROWS, COLS)
        self.assertEqual(self.cat(trace, "stdout"), out)

    def test_the_commands_pty_has_default_settings_not_the_users(self):
        """The user's terminal has intr ^G and -echoctl; the command's pty has the kernel's
        defaults (intr ^C, echoctl), so a replay anywhere sees the same terminal
        (docs/cli.md, Terminals)."""
        attrs = TerminalRestoreTest.user_settings()
        probe = ("import termios\n"
                 "a = termios.tcgetattr(0)\n"
                 "print('intr', a[6][termios.VINTR], 'echoctl', bool(a[3] & termios.ECHOCTL))\n")
        trace = self.path("defaults.ctrace")
        term = self.terminal(attrs=attrs)
        term.start([RECORD_BIN, "-q", "-o", trace, "--", PYTHON, "-c", probe], env=self.env(),
                   cwd=self.tmp)
        self.assertEqual(shell_status(term.wait()), 0, term.output)
        self.assertEqual(term.output, b"intr b'\\x03' echoctl True\r\n")
        self.assertEqual(term.termios_attrs(), attrs, "the user's terminal after the recording")

    def test_never_on_a_terminal_uses_pipes(self):
        out, trace, events = self.probe_on_terminal("--tty=never")
        self.assertIn(b"isatty 0 0 0 leader 0 foreground 0", out)
        self.assertEqual(self.of_kind(events, "terminal"), [])
        self.assertEqual(self.cat(trace, "stderr"), b"to stderr\n")

    def test_stdout_mode_keeps_stderr_on_a_pipe(self):
        out, trace, events = self.probe_on_terminal("--tty=stdout")
        self.assertEqual(self.cat(trace, "stdout"), b"isatty 1 1 0 leader 1 foreground 1\r\n")
        self.assertEqual(self.cat(trace, "stderr"), b"to stderr\n")
        self.assert_terminal_opened(events, ROWS, COLS, merged=False, mode="pty-stdout")


if __name__ == "__main__":
    unittest.main()
