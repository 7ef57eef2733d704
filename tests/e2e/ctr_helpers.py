"""Shared helpers for the ctest-record end-to-end tests.

The tests run the real binaries on the programs in fixtures/ and read every trace back
through the real reader (`ctest-trace events|cat|info --json`), so what they check is what
a user would get. Paths come from the environment (set by tests/CMakeLists.txt, test `e2e`)
and default to /work/main/build/... so a developer can run

    python3 -m unittest discover -s tests/e2e -v

by hand. Stdlib only; works with any python3 >= 3.9.
"""
import base64
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BUILD = os.path.join(_REPO, "build")

RECORD_BIN = os.environ.get("CTEST_RECORD_BIN") or os.path.join(_BUILD, "harness", "ctest-record")
TRACE_BIN = os.environ.get("CTEST_TRACE_BIN") or os.path.join(_BUILD, "harness", "ctest-trace")
FIXTURES_DIR = os.environ.get("CTR_FIXTURES_DIR") or os.path.join(_REPO, "fixtures")
FIXTURE_BIN_DIR = os.environ.get("CTR_FIXTURE_BIN_DIR") or os.path.join(_BUILD, "fixtures")
PYTHON = sys.executable or "python3"

# Every subprocess gets a timeout, so a hang fails a test instead of wedging CI.
TIMEOUT = float(os.environ.get("CTR_E2E_TIMEOUT", "60"))

RECORDER_PREFIX = b"ctest-record:"


def py_fixture(name, *args):
    """Command line that runs fixtures/NAME with the interpreter running the tests."""
    return [PYTHON, os.path.join(FIXTURES_DIR, name)] + [str(a) for a in args]


def bin_fixture(name, *args):
    """Command line for a compiled fixture (built into <build>/fixtures)."""
    return [os.path.join(FIXTURE_BIN_DIR, name)] + [str(a) for a in args]


def kill_quietly(pid, sig=signal.SIGKILL):
    """Send sig to pid, ignoring a process that is already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def process_gone(pid):
    """True when pid no longer exists or is a zombie (an orphan whose reaper is slow, or a
    container init that never reaps, must not count as a survivor)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] in "ZX"
    except (OSError, ValueError, IndexError):
        return True


def shell_status(returncode):
    """The status a shell would show ($?): Popen's -N (killed by signal N) becomes 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def deterministic_bytes(size, seed=42):
    """`size` reproducible pseudo-random bytes (all 256 values occur)."""
    out = bytearray()
    block = hashlib.sha256(b"ctr-e2e-%d" % seed).digest()
    counter = 0
    while len(out) < size:
        # 32 KiB per round from a SHAKE stream: fast enough for tens of MiB.
        out += hashlib.shake_256(block + counter.to_bytes(8, "little")).digest(32768)
        counter += 1
    return bytes(out[:size])


def io_payload(event):
    """Raw bytes of one io event as printed by `ctest-trace events`."""
    if "base64" in event:
        return base64.b64decode(event["base64"], validate=True)
    return event["text"].encode("utf-8")


class Result:
    """Outcome of one recorder run."""

    def __init__(self, argv, returncode, stdout, stderr, trace, elapsed):
        self.argv = argv
        self.returncode = returncode
        self.status = shell_status(returncode)
        self.stdout = stdout
        self.stderr = stderr
        self.trace = trace
        self.elapsed = elapsed

    def describe(self):
        return "argv=%r status=%d\n--- stdout (first 2000 bytes) ---\n%r\n--- stderr ---\n%r" % (
            self.argv, self.status, self.stdout[:2000], self.stderr[-4000:])


class RecordTestCase(unittest.TestCase):
    """Base class: a fresh temp dir per test, cleaned up afterwards, and every process group
    a test starts is killed at the end even if the test failed half way."""

    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        for path in (RECORD_BIN, TRACE_BIN):
            if not os.access(path, os.X_OK):
                raise unittest.SkipTest("binary not found: %s (build first or set CTEST_RECORD_BIN/CTEST_TRACE_BIN)" % path)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ctr-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self._groups = []
        self.addCleanup(self._kill_groups)

    def _kill_groups(self):
        for pgid in self._groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    # ----------------------------------------------------------------- running the recorder
    def recorder_argv(self, command, options=(), trace="t.ctrace", quiet=True, dashdash=True):
        argv = [RECORD_BIN]
        if quiet:
            argv.append("-q")
        if trace is not None:
            argv += ["-o", trace if os.path.isabs(trace) else self.path(trace)]
        argv += list(options)
        if dashdash:
            argv.append("--")
        return argv + list(command)

    def run_argv(self, argv, input=None, stdin=None, env=None, extra_env=None, cwd=None,
                 timeout=TIMEOUT, pass_fds=(), trace=None, preexec_fn=None):
        """Run argv in its own session (so cleanup can kill everything it started), capture
        stdout and stderr, fail the test on timeout."""
        argv = [str(a) for a in argv]
        if env is None:
            env = dict(os.environ)
        if extra_env:
            env.update(extra_env)
        if input is not None:
            stdin = subprocess.PIPE
        elif stdin is None:
            stdin = subprocess.DEVNULL
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=cwd or self.tmp, pass_fds=pass_fds,
                                start_new_session=True, preexec_fn=preexec_fn)
        self._groups.append(proc.pid)
        try:
            out, err = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            self.fail("timed out after %ss: %r\nstdout tail: %r\nstderr tail: %r"
                      % (timeout, argv, out[-2000:], err[-2000:]))
        return Result(argv, proc.returncode, out, err, trace, time.monotonic() - start)

    def record(self, command, options=(), trace="t.ctrace", quiet=True, dashdash=True, **kw):
        """Run `ctest-record [-q] -o TMP/trace OPTIONS -- COMMAND`."""
        argv = self.recorder_argv(command, options, trace, quiet, dashdash)
        trace_path = None
        if trace is not None:
            trace_path = trace if os.path.isabs(trace) else self.path(trace)
        return self.run_argv(argv, trace=trace_path, **kw)

    def popen(self, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=None, cwd=None,
              preexec_fn=None):
        """Start argv in its own session; stderr goes to a file (read it with read_log)."""
        self._log_path = self.path("popen-stderr-%d.log" % len(self._groups))
        log = open(self._log_path, "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=log, env=env,
                                cwd=cwd or self.tmp, start_new_session=True,
                                preexec_fn=preexec_fn)
        self._groups.append(proc.pid)
        proc.log_path = self._log_path
        for f in (proc.stdin, proc.stdout):
            if f is not None:
                self.addCleanup(f.close)
        return proc

    @staticmethod
    def read_log(proc):
        with open(proc.log_path, "rb") as f:
            return f.read()

    def wait_proc(self, proc, timeout=TIMEOUT):
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            self.fail("process did not exit within %ss: %r" % (timeout, proc.args))

    def read_until(self, fd, marker, timeout=20.0, buf=b""):
        """Read from fd until `marker` is in what was read; return everything read.
        Fails the test on EOF or timeout."""
        return self.read_until_re(fd, re.escape(marker), timeout, buf)[1]

    def read_until_re(self, fd, pattern, timeout=20.0, buf=b""):
        """Read from fd (select, then os.read) until the regex `pattern` (bytes) matches what
        was read. Returns (match, everything read). Fails the test on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, buf)
            if m:
                return m, buf
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("%r not seen within %ss; got %r" % (pattern, timeout, buf[-2000:]))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.fail("EOF before %r; got %r" % (pattern, buf[-2000:]))
            buf += chunk

    def read_to_eof(self, fd, timeout=TIMEOUT, buf=b""):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("no EOF within %ss; got %r" % (timeout, buf[-2000:]))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return buf
            buf += chunk

    # -------------------------------------------------------------------- reading traces
    def _trace_tool(self, args, timeout=TIMEOUT):
        proc = subprocess.run([TRACE_BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    def trace_tool(self, args, timeout=TIMEOUT):
        """Run `ctest-trace ARGS`; returns (returncode, stdout, stderr)."""
        return self._trace_tool(args, timeout)

    def events(self, trace, complete=True, timeout=TIMEOUT):
        """Events of a trace via `ctest-trace events` (JSON Lines). With complete=True the
        reader must exit 0; with complete=False it must exit 1 (incomplete trace)."""
        rc, out, err = self._trace_tool(["events", trace], timeout)
        self.assertEqual(rc, 0 if complete else 1,
                         "ctest-trace events %s exited %d; stderr: %r" % (trace, rc, err[-2000:]))
        events = []
        for n, line in enumerate(out.splitlines()):
            try:
                events.append(json.loads(line))
            except ValueError as e:
                self.fail("ctest-trace events line %d is not JSON (%s): %r" % (n + 1, e, line[:300]))
        return events

    def info(self, trace, complete=True):
        rc, out, err = self._trace_tool(["info", "--json", trace])
        self.assertEqual(rc, 0 if complete else 1,
                         "ctest-trace info --json %s exited %d; stderr: %r" % (trace, rc, err[-2000:]))
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("ctest-trace info --json output is not JSON (%s): %r" % (e, out[:1000]))

    def cat(self, trace, *streams):
        args = ["cat"]
        for s in streams:
            args += ["--stream", s]
        rc, out, err = self._trace_tool(args + [trace])
        self.assertEqual(rc, 0, "ctest-trace cat %r exited %d; stderr: %r" % (streams, rc, err[-2000:]))
        return out

    @staticmethod
    def of_kind(events, kind):
        return [e for e in events if e.get("kind") == kind]

    def stream_from_events(self, events, stream):
        """Concatenated raw bytes of one stream's io events, checking each event's size."""
        data = bytearray()
        for e in self.of_kind(events, "io"):
            if e["stream"] != stream:
                continue
            payload = io_payload(e)
            self.assertEqual(len(payload), e["size"], "io event size does not match payload: %r" % e)
            data += payload
        return bytes(data)

    def start_event(self, events):
        starts = self.of_kind(events, "start")
        self.assertEqual(len(starts), 1, "expected exactly one start event")
        self.assertEqual(events[0].get("kind"), "start", "the first event must be the start event")
        return starts[0]

    def exit_event(self, events):
        exits = self.of_kind(events, "exit")
        self.assertEqual(len(exits), 1, "expected exactly one exit event, got %r" % exits)
        return exits[0]

    def assert_complete(self, trace, timeout=TIMEOUT):
        """The trace is complete (ends with an end event), per both info and events."""
        info = self.info(trace, complete=True)
        self.assertTrue(info["complete"], "trace not complete: %r" % info)
        events = self.events(trace, complete=True, timeout=timeout)
        self.assertEqual(events[-1].get("kind"), "end", "last event is not the end event")
        return info, events

    def assert_streams(self, trace, stdout=None, stderr=None, stdin=None):
        """Recorded stream bytes equal the expected ones, via `cat` and via `events`, and the
        info counters agree with them. Returns (info, events)."""
        info, events = self.assert_complete(trace)
        for name, want in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
            if want is None:
                continue
            got_cat = self.cat(trace, name)
            self.assertBytesEqual(got_cat, want, "ctest-trace cat --stream %s" % name)
            self.assertBytesEqual(self.stream_from_events(events, name), want,
                                  "io events of %s" % name)
            self.assertEqual(info["streams"][name]["bytes"], len(want), "info streams.%s.bytes" % name)
            self.assertEqual(info["end"]["counters"]["bytes"][name], len(want),
                             "end counters bytes.%s" % name)
        self.assertEqual(info["end"]["counters"]["dropped_chunks"], 0)
        self.assertEqual(info["end"]["counters"]["dropped_bytes"], 0)
        return info, events

    def assertBytesEqual(self, got, want, what):
        if got == want:
            return
        if len(got) + len(want) > 4096:
            prefix = 0
            for a, b in zip(got, want):
                if a != b:
                    break
                prefix += 1
            self.fail("%s differs: got %d bytes (sha256 %s), want %d bytes (sha256 %s); first "
                      "difference at offset %d: got %r, want %r"
                      % (what, len(got), sha256(got), len(want), sha256(want), prefix,
                         got[prefix:prefix + 64], want[prefix:prefix + 64]))
        self.assertEqual(got, want, what)

    def recorder_lines(self, stderr):
        """The recorder's own log lines on its stderr."""
        return [line for line in stderr.split(b"\n") if line.startswith(RECORDER_PREFIX)]

    def assert_no_recorder_text(self, data, what):
        self.assertNotIn(RECORDER_PREFIX, data, "recorder message leaked into %s" % what)
