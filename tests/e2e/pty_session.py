"""A small pseudo-terminal driver for the terminal tests (issue 7, tests/e2e/test_tty.py).

PtySession plays the part of a terminal emulator plus the shell in it: it opens a new pty,
sets its window size, starts a command (normally `ctest-record ...`) as a session leader with
the pty slave as controlling terminal and as fds 0, 1 and 2, and keeps the slave open itself
the way the user's shell does (so `stty -a` can be run on the terminal after the command has
gone, and the terminal's settings live on between commands). The test types with send(),
waits for output with expect(), resizes with set_size() (TIOCSWINSZ on the master: the
kernel sends SIGWINCH to the terminal's foreground process group) and reads the terminal's
settings with stty_a()/termios_attrs().

Every wait has a timeout (TTY_TIMEOUT, 20 s by default, CTR_TTY_TIMEOUT to change it); a
timeout or an early EOF raises PtySessionError (an AssertionError, so unittest reports a
failure with the transcript's tail, not an error) after killing the command and everything
it started, so a hang fails the test instead of wedging CI. close() (also on `with` exit)
kills whatever is left.

The environment (interactive_env) is fixed so that nothing of the machine's or the CI
user's configuration changes what readline programs print:
  * TERM=xterm. A real terminal user has an xterm-like TERM, and with it readline (python3,
    sqlite3 and bc all use libreadline 8 on Debian 12) emits escape sequences (bracketed
    paste on/off around each line, meta-key mode), so the recordings exercise escape bytes
    going through the recorder and back. TERM=dumb would turn those off and test less. The
    xterm terminfo entry is in ncurses-base (priority required), so it is always there.
  * HOME is a fresh temp dir (no ~/.inputrc, ~/.python_history, ~/.sqlite_history,
    ~/.sqliterc of the machine), INPUTRC=/dev/null, LANG/LC_ALL=C.UTF-8.
  * PYTHONSTARTUP, the other PYTHON* variables, BC_ENV_ARGS/BC_LINE_LENGTH, SQLITE_HISTORY,
    COLUMNS/LINES (readline and shutil prefer them to the real window size) and
    CTEST_CAPTURE_IO (recorder policy) are removed. Sanitizer options (ASAN_OPTIONS etc.)
    and PATH are kept.
Stdlib only; works with python3 >= 3.9 (no os.login_tty, which is 3.11+).
"""
import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

TTY_TIMEOUT = float(os.environ.get("CTR_TTY_TIMEOUT", "20"))

_DROPPED_ENV = ("PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHONUSERBASE",
                "PYTHONNOUSERSITE", "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONSAFEPATH",
                "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONIOENCODING",
                "BC_ENV_ARGS", "BC_LINE_LENGTH", "POSIXLY_CORRECT", "SQLITE_HISTORY",
                "COLUMNS", "LINES", "CTEST_CAPTURE_IO", "CTEST_RECORD_CONTROL", "INPUTRC",
                "HISTFILE", "LS_COLORS", "PROMPT_COMMAND", "PS1")


def interactive_env(home, term="xterm", **extra):
    """The environment for a recorded interactive program (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV and not k.startswith("LC_")}
    env.update(HOME=home, TERM=term, INPUTRC="/dev/null", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.update(extra)
    return env


class PtySessionError(AssertionError):
    """A wait timed out or the terminal hit EOF before the expected output."""


def descendants(pid):
    """Pids of every live descendant of pid (read from /proc; best effort)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _visible(data, limit=3000):
    """The tail of a transcript, readable in a failure message."""
    return repr(data[-limit:])


class PtySession:
    """One command on a new pseudo-terminal. Use as a context manager, or call close()."""

    def __init__(self, argv=None, env=None, cwd=None, rows=24, cols=80, attrs=None,
                 timeout=TTY_TIMEOUT, stderr=None):
        """Open a new terminal (window rows x cols) and, when argv is given, start it there
        (see start()). attrs: termios attributes (a tcgetattr list) to put on the terminal
        first, e.g. non-default settings a user has."""
        self.timeout = timeout
        self.argv = None
        self.proc = None
        self.returncode = None
        self.output = b""      # everything read from the master for the current command
        self.pos = 0           # expect() searches from here; advanced past each match
        self.master, self.slave = os.openpty()
        try:
            self.set_size(rows, cols)
            if attrs is not None:
                termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
            self.slave_name = os.ttyname(self.slave)
            if argv is not None:
                self.start(argv, env=env, cwd=cwd, stderr=stderr)
        except BaseException:
            self._close_fds()
            raise

    def start(self, argv, env=None, cwd=None, stderr=None):
        """Start argv as a session leader with this terminal as its controlling terminal and
        its fds 0, 1 and 2 (stderr: a file object for fd 2 instead). One command at a time;
        the terminal (and its settings) outlive it, like a shell's."""
        if self.proc is not None and self.poll() is None:
            raise RuntimeError("a command is still running on this terminal")
        self.argv = [str(a) for a in argv]
        self.output, self.pos, self.returncode = b"", 0, None

        def take_terminal():  # in the child, after setsid (start_new_session)
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            self.argv, stdin=self.slave, stdout=self.slave,
            stderr=stderr if stderr is not None else self.slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=take_terminal, close_fds=True)
        self.pid = self.proc.pid
        return self

    # ------------------------------------------------------------------ context manager
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------- terminal
    def set_size(self, rows, cols):
        """TIOCSWINSZ on the master, as a terminal emulator does when its window changes;
        the kernel sends SIGWINCH to the terminal's foreground process group."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def get_size(self):
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(self.master, termios.TIOCGWINSZ,
                                                             b"\0" * 8))
        return rows, cols

    def termios_attrs(self):
        """tcgetattr of the terminal (the slave the test holds, i.e. the user's terminal)."""
        return termios.tcgetattr(self.slave)

    def stty_a(self):
        """`stty -a` run on the terminal (its stdin is the slave), as text."""
        proc = subprocess.run(["stty", "-a"], stdin=self.slave, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=self.timeout)
        if proc.returncode != 0:
            raise PtySessionError("stty -a failed (%d): %r" % (proc.returncode, proc.stderr))
        return proc.stdout.decode("utf-8", "replace")

    # --------------------------------------------------------------------------- output
    def _read_some(self, timeout):
        """Read what the master has within timeout seconds into self.output. Returns the
        number of bytes read, 0 on timeout, None on EOF (EIO: no slave open any more)."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return 0
        try:
            chunk = os.read(self.master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:
                return None
            raise
        if not chunk:
            return None
        self.output += chunk
        return len(chunk)

    def expect(self, pattern, timeout=None):
        """Wait until `pattern` (bytes: literal; or a compiled bytes regex) occurs in the
        output after the previous match; returns the match (a re.Match) and moves past it.
        Raises PtySessionError (after killing everything) on timeout or EOF."""
        regex = pattern if hasattr(pattern, "search") else re.compile(re.escape(pattern))
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.output, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("%r not seen within %ss" % (regex.pattern, timeout))
            if self._read_some(min(left, 0.5)) is None:
                self._fail("EOF on the terminal before %r" % (regex.pattern,))

    def read_quiet(self, quiet=0.2, timeout=None):
        """Read until nothing arrives for `quiet` seconds (bounded by timeout)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = self._read_some(quiet)
            if not n:
                return
        self._fail("output did not stop within %ss" % timeout)

    def send(self, data):
        """Type `data` (bytes): written to the master in one write, as a terminal emulator
        does with a keystroke (or a paste)."""
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def send_line(self, text):
        """Type a line and press Enter (which sends "\\r", like a real terminal)."""
        self.send(text + b"\r")

    # ------------------------------------------------------------------------ processes
    def poll(self):
        if self.returncode is None:
            self.returncode = self.proc.poll()
        return self.returncode

    def wait(self, timeout=None):
        """Wait for the command to exit, reading the terminal meanwhile (so it never blocks on
        a full pty buffer), then read what is left. Returns Popen's returncode (-N for a
        signal). Raises PtySessionError after killing everything on timeout."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("the command did not exit within %ss" % timeout)
            self._read_some(min(left, 0.05))
        # The slave is still open (we hold it), so there is no EOF: read until quiet. What
        # the command wrote before exiting is already on its way to the master.
        self.read_quiet(0.2)
        return self.returncode

    def signal(self, sig):
        """Send sig to the command alone (not its process group)."""
        _kill(self.pid, sig)

    def kill_all(self):
        """SIGKILL the command, its process group and every descendant (a pty-mode child is
        in a session of its own, so killing the group alone would miss it)."""
        if self.proc is None:
            return
        if self.poll() is None:
            for pid in descendants(self.pid):
                _kill(pid)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _kill(self.pid)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.returncode = self.proc.poll()
        else:
            # The command is gone; its group (orphans left behind) may not be.
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def close(self):
        self.kill_all()
        self._close_fds()

    def _close_fds(self):
        for name in ("master", "slave"):
            fd = getattr(self, name, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)

    def _fail(self, what):
        self.kill_all()
        raise PtySessionError("%s\ncommand: %r (returncode %r)\nterminal output after the last "
                              "match: %s\nwhole transcript tail: %s"
                              % (what, self.argv, self.returncode, _visible(self.output[self.pos:]),
                                 _visible(self.output)))
