"""ctest-replay and `ctest-trace diff` end to end (issue 4, docs/cli.md): record real programs
with ctest-record, replay them with the real ctest-replay, and check exit statuses, the
printed verdicts, diffs and first divergences, and the JSON/JUnit reports.

The replay binary comes from CTEST_REPLAY_BIN (default <repo>/build/harness/ctest-replay).
While it does not exist the whole module is skipped with a message saying so; once it exists
every test runs for real.

Interactive recordings (calc.py, drain_prompt.py, sqlite3) are made the way a person would
type: each line is written only after the program's prompt/answer has been read back, so the
trace holds one stdin chunk per line, each recorded after the output that asked for it.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
import unittest
import xml.dom.minidom

from ctr_helpers import (FIXTURES_DIR, PYTHON, TIMEOUT, TRACE_BIN, RecordTestCase, kill_quietly,
                         process_gone, py_fixture)

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(_REPO, "build", "harness",
                                                                 "ctest-replay")
SYSTEM_PYTHON = "/usr/bin/python3"
PYTEST_REPLAYS = 20
VERDICT_RE = re.compile(r"\b(same|REGRESSION|ERROR)\b")


def clean_env(**extra):
    """The test's environment without the variable that turns versioned_output.py into the
    changed program, plus `extra`."""
    env = dict(os.environ)
    env.pop("CTR_VERSIONED_CHANGED", None)
    env.update(extra)
    return env


def first_difference(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            return n
        n += 1
    return n if len(a) != len(b) else None


def dicts_in(obj):
    """Every dict inside a parsed JSON document (depth first)."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from dicts_in(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from dicts_in(v)


def scalars_in(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from scalars_in(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from scalars_in(v)
    else:
        yield obj


class ReplayTestCase(RecordTestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(REPLAY_BIN, os.X_OK):
            raise unittest.SkipTest("ctest-replay not built yet: %s (build it or set CTEST_REPLAY_BIN)"
                                    % REPLAY_BIN)
        super().setUpClass()

    # ----------------------------------------------------------------------------- helpers
    def replay(self, *args, cwd=None, env=None, timeout=TIMEOUT):
        """Run `ctest-replay ARGS` (stdin /dev/null, stdout/stderr captured)."""
        return self.run_argv([REPLAY_BIN] + [str(a) for a in args], cwd=cwd,
                             env=env if env is not None else clean_env(), timeout=timeout)

    @staticmethod
    def text(r):
        return (r.stdout + b"\n" + r.stderr).decode("utf-8", "replace")

    def assert_status(self, r, want, what):
        self.assertEqual(r.status, want, "%s: ctest-replay exited %d, want %d\n%s"
                         % (what, r.status, want, r.describe()))

    def record_ok(self, command, trace, **kw):
        kw.setdefault("env", clean_env())
        r = self.record(command, trace=trace, **kw)
        self.assertEqual(r.status, 0, "recording failed: " + r.describe())
        self.assert_complete(r.trace)
        return r

    def record_interactive(self, command, steps, trace, env=None, cwd=None, timeout=30.0):
        """Record `command` while typing into it: for each (marker, data) in steps, wait until
        `marker` (bytes, or None for "nothing") appears in the output after the previous
        marker, then write `data`. Then close stdin and read to EOF. Returns the console
        output (the recorder's stdout)."""
        proc = self.popen(self.recorder_argv(command, trace=trace),
                          env=env if env is not None else clean_env(), cwd=cwd)
        fd = proc.stdout.fileno()
        seen, pos = b"", 0
        for marker, data in steps:
            if marker is not None:
                seen, pos = self.read_past(fd, marker, seen, pos, timeout)
            proc.stdin.write(data)
            proc.stdin.flush()
        proc.stdin.close()
        seen = self.read_to_eof(fd, timeout=timeout, buf=seen)
        self.assertEqual(self.wait_proc(proc, timeout=timeout), 0,
                         "recording failed: %r" % self.read_log(proc)[-2000:])
        self.assert_complete(self.path(trace))
        return seen

    def read_past(self, fd, marker, seen, pos, timeout):
        """Read fd into `seen` until `marker` occurs at or after `pos`; returns (seen, the
        offset just past that occurrence). Fails the test on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            i = seen.find(marker, pos)
            if i >= 0:
                return seen, i + len(marker)
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("%r not seen within %ss; got %r" % (marker, timeout, seen[-2000:]))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.fail("EOF before %r; got %r" % (marker, seen[-2000:]))
                seen += chunk

    def summary_lines(self, r, name):
        """Lines of ctest-replay's output that name trace file `name` and carry a verdict."""
        return [line for line in self.text(r).splitlines()
                if name in line and VERDICT_RE.search(line)]

    def assert_summary(self, r, name, verdict):
        lines = self.summary_lines(r, name)
        self.assertEqual(len(lines), 1, "want exactly one summary line for %s, got %r\n%s"
                         % (name, lines, self.text(r)[-4000:]))
        self.assertEqual(VERDICT_RE.search(lines[0]).group(1), verdict, lines[0])

    def assert_names_divergence(self, r, stream, offset):
        """Some line names the first divergence: the stream, the byte offset and the time
        offset in the recording (a number with a unit: s, ms, us, ns)."""
        pat = re.compile(r"\b%d\b" % offset)
        when = re.compile(r"\b\d+(\.\d+)?\s?(s|ms|us|ns)\b")
        lines = [l for l in self.text(r).splitlines()
                 if stream in l and pat.search(l) and when.search(pat.sub("", l))]
        self.assertTrue(lines, "no line names the first divergence (%s, byte %d, time offset):"
                        "\n%s" % (stream, offset, self.text(r)[-4000:]))

    def assert_diff_lines(self, r, removed, added):
        lines = self.text(r).splitlines()
        self.assertTrue(any(l.startswith("-") and removed in l for l in lines),
                        "no '-' diff line with %r:\n%s" % (removed, self.text(r)[-4000:]))
        self.assertTrue(any(l.startswith("+") and added in l for l in lines),
                        "no '+' diff line with %r:\n%s" % (added, self.text(r)[-4000:]))
        self.assertIn("@@", self.text(r), "no unified diff hunk header")


# =========================================================================================
class ReplayVerdictTest(ReplayTestCase):
    """Unchanged program -> 0; changed output, stderr or status -> 1 with diff and divergence."""

    def setUp(self):
        super().setUp()
        self.rec = self.record_ok(py_fixture("versioned_output.py"), "v.ctrace")
        self.recorded_stdout = self.cat(self.rec.trace, "stdout")

    def test_unchanged_program_replays_same(self):
        r = self.replay(self.rec.trace)
        self.assert_status(r, 0, "plain replay of an unchanged program")
        self.assert_summary(r, "v.ctrace", "same")
        # -v prints the command it runs; --merged also compares the interleaving.
        r = self.replay("-v", "--merged", self.rec.trace)
        self.assert_status(r, 0, "-v --merged replay")
        self.assertIn("versioned_output.py", self.text(r), "-v must print the command it runs")

    def test_changed_stdout_is_a_regression_with_diff_and_first_divergence(self):
        r = self.replay(self.rec.trace, "--", *py_fixture("versioned_output.py", "--changed"))
        self.assert_status(r, 1, "replay against the changed program")
        self.assert_summary(r, "v.ctrace", "REGRESSION")
        self.assert_diff_lines(r, "result: 42", "result: 43")
        self.assertIn("line 10: the quick brown fox", self.text(r), "diff context line missing")
        offset = self.recorded_stdout.index(b"result: 42") + len(b"result: 4")
        self.assertEqual(offset, first_difference(
            self.recorded_stdout, self.recorded_stdout.replace(b"result: 42", b"result: 43")))
        self.assert_names_divergence(r, "stdout", offset)
        self.assertNotIn("-versioned_output: done", self.text(r), "stderr did not change")

    def test_changed_stderr_only(self):
        r = self.replay(self.rec.trace, "--",
                        *py_fixture("versioned_output.py", "--changed-stderr"))
        self.assert_status(r, 1, "replay with only stderr changed")
        self.assert_diff_lines(r, "versioned_output: done", "versioned_output: finished")
        self.assert_names_divergence(r, "stderr", len(b"versioned_output: "))

    def test_changed_exit_status(self):
        r = self.replay(self.rec.trace, "--", *py_fixture("versioned_output.py", "--exit", 3))
        self.assert_status(r, 1, "replay with a different exit status")
        self.assertRegex(self.text(r), r"(?i)exit|status", "the exit status change is not named")
        self.assertRegex(self.text(r), r"\b3\b")


# =========================================================================================
class ReplayNormalizeTest(ReplayTestCase):
    """Volatile output (durations, dates, addresses, paths) and a real pytest run replay clean."""

    def test_list_normalizers(self):
        r = self.replay("--list-normalizers")
        self.assert_status(r, 0, "--list-normalizers")
        names = self.normalizer_names(r)
        self.assertGreaterEqual(len(names), 5, "expected the built-ins of issue 4 (durations, "
                                "dates, hex addresses, paths, CRLF): %r" % r.stdout)

    def normalizer_names(self, r):
        return [m.group(1) for m in re.finditer(r"(?m)^\s*([a-z][a-z0-9_.-]*)\b",
                                                r.stdout.decode("utf-8", "replace"))]

    def test_volatile_output_replays_clean(self):
        os.mkdir(self.path("a"))
        rec = self.record_ok(py_fixture("volatile_output.py"), "vol.ctrace", cwd=self.path("a"))
        for n in range(3):
            r = self.replay(rec.trace, cwd=self.path("a"))
            self.assert_status(r, 0, "replay %d of volatile_output.py in the recorded cwd" % n)
        # Control: with every built-in off the same replay must differ, or the clean
        # verdicts above prove nothing.
        listed = self.replay("--list-normalizers")
        self.assert_status(listed, 0, "--list-normalizers")
        off = []
        for name in self.normalizer_names(listed):
            off += ["--no-normalize", name]
        r = self.replay(*(off + [rec.trace]), cwd=self.path("a"))
        self.assert_status(r, 1, "volatile_output.py with every normaliser off (%r)" % off)

    def test_volatile_output_replays_clean_in_another_directory(self):
        # The recorded cwd vs the current one: --cwd DIR and running from DIR.
        os.mkdir(self.path("a"))
        os.mkdir(self.path("elsewhere"))
        rec = self.record_ok(py_fixture("volatile_output.py"), "vol.ctrace", cwd=self.path("a"))
        r = self.replay("--cwd", self.path("elsewhere"), rec.trace)
        self.assert_status(r, 0, "volatile_output.py replayed with --cwd elsewhere")
        r = self.replay(rec.trace, cwd=self.path("elsewhere"))
        self.assert_status(r, 0, "volatile_output.py replayed from another directory")

    def test_pytest_suite_recorded_once_replays_clean_20_times(self):
        try:
            probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pytest"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            probe = None
        if probe is None or probe.returncode != 0:
            self.skipTest("%s cannot import pytest" % SYSTEM_PYTHON)
        env = clean_env(PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTEST_ADDOPTS", None)
        command = [SYSTEM_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-s",
                   "--durations=1", os.path.join(FIXTURES_DIR, "replay_suite")]
        rec = self.record_ok(command, "pytest.ctrace", env=env)
        out = self.cat(rec.trace, "stdout")
        self.assertIn(b"6 passed", out)
        self.assertIn(b"/pytest-", out, "the suite must print its tmp_path")
        self.assertRegex(out, rb"\d\.\d+s call", "the suite must print pytest durations")
        false_alarms = []
        start = time.monotonic()
        for n in range(PYTEST_REPLAYS):
            r = self.replay(rec.trace, env=env)
            if r.status != 0:
                false_alarms.append("replay %d exited %d:\n%s" % (n + 1, r.status,
                                                                 self.text(r)[-3000:]))
        elapsed = time.monotonic() - start
        self.assertEqual(false_alarms, [], "%d of %d replays of an unchanged pytest run were "
                         "not clean (%.1fs in all)" % (len(false_alarms), PYTEST_REPLAYS, elapsed))


# =========================================================================================
class ReplayStdinTest(ReplayTestCase):
    """stdin-driven programs replay clean with --stdin all, timed:10 and causal."""

    MODES = ("all", "timed:10", "causal")

    def replay_modes(self, trace, modes=MODES):
        for mode in modes:
            r = self.replay("--stdin", mode, trace)
            self.assert_status(r, 0, "--stdin %s" % mode)

    def test_calc_replays_clean_in_every_stdin_mode(self):
        lines = [b"1+2\n", b"6*7\n", b"(10-4)//4\n", b"quit\n"]
        out = self.record_interactive(py_fixture("calc.py"), [(b"> ", l) for l in lines],
                                      "calc.ctrace")
        self.assertEqual(out, b"> = 3\n> = 42\n> = 1\n> bye (3 lines)\n")
        self.assert_streams(self.path("calc.ctrace"), stdout=out, stdin=b"".join(lines))
        self.replay_modes(self.path("calc.ctrace"))

    def test_sqlite3_with_sql_on_stdin_replays_clean_in_every_stdin_mode(self):
        sqlite3 = shutil.which("sqlite3")
        if not sqlite3:
            self.skipTest("sqlite3 not installed")
        steps = [
            (None, b"CREATE TABLE t(a INTEGER, b TEXT); "
                   b"INSERT INTO t VALUES (1, 'one'), (2, 'two'); SELECT count(*) FROM t;\n"),
            (b"2\n", b"SELECT a, b FROM t ORDER BY a;\n"),
            (b"2|two\n", b"SELECT sum(a) * 10 FROM t;\n"),
            (b"30\n", b"SELECT upper(b) FROM t WHERE a = 1;\n"),
        ]
        out = self.record_interactive([sqlite3, ":memory:"], steps, "sql.ctrace")
        self.assertEqual(out, b"2\n1|one\n2|two\n30\nONE\n")
        self.replay_modes(self.path("sql.ctrace"))

    def test_drain_prompt_clean_with_causal_and_differs_with_all(self):
        lines = [b"red\n", b"green\n", b"blue\n", b"quit\n"]
        out = self.record_interactive(py_fixture("drain_prompt.py"), [(b"? ", l) for l in lines],
                                      "drain.ctrace")
        self.assertEqual(out, b"? answer 1: red\n? answer 2: green\n? answer 3: blue\n"
                              b"? done (3 answers)\n")
        trace = self.path("drain.ctrace")
        for n in range(3):
            r = self.replay("--stdin", "causal", trace)
            self.assert_status(r, 0, "drain_prompt.py, --stdin causal, run %d" % (n + 1))
            self.assertNotRegex(self.text(r), r"(?i)fall(ing)? ?back|timed out",
                                "causal feeding must not have fallen back")
        r = self.replay("--stdin", "all", trace)
        self.assert_status(r, 1, "drain_prompt.py, --stdin all (type-ahead is discarded)")
        self.assertIn("discarded", self.text(r), "the diff should show the discarded input")

    def test_child_that_never_reads_stdin_does_not_hang_replay(self):
        data = b"x" * (1024 * 1024)
        rec = self.record(py_fixture("exit_code.py", 0), trace="noread.ctrace", input=data,
                          env=clean_env())
        self.assertEqual(rec.status, 0, rec.describe())
        self.assert_complete(rec.trace)
        self.replay_modes(rec.trace)


# =========================================================================================
class ReplayUpdateTest(ReplayTestCase):

    def test_update_round_trip_with_keep_old(self):
        rec = self.record_ok(py_fixture("versioned_output.py"), "u.ctrace")
        with open(rec.trace, "rb") as f:
            original = f.read()
        changed = py_fixture("versioned_output.py", "--changed")
        r = self.replay("--update", "--keep-old", rec.trace, "--", *changed)
        self.assertIn(r.status, (0, 1), "--update: " + r.describe())
        self.assertTrue(os.path.exists(rec.trace + ".old"), "--keep-old must leave TRACE.old")
        with open(rec.trace + ".old", "rb") as f:
            self.assertEqual(f.read(), original, "TRACE.old must be the previous trace, unchanged")
        self.assert_complete(rec.trace)
        self.assertIn(b"result: 43", self.cat(rec.trace, "stdout"))
        self.assertEqual(sorted(f for f in os.listdir(self.tmp) if f.startswith("u.ctrace")),
                         ["u.ctrace", "u.ctrace.old"], "temp files left behind")
        r = self.replay(rec.trace, "--", *changed)
        self.assert_status(r, 0, "replay of the changed command after --update")
        r = self.replay(rec.trace)
        self.assert_status(r, 0, "plain replay (recorded argv) after --update")
        r = self.replay(rec.trace, "--", *py_fixture("versioned_output.py"))
        self.assert_status(r, 1, "the old program against the updated trace")
        rc, out, err = self.trace_tool(["diff", rec.trace + ".old", rec.trace])
        self.assertEqual(rc, 1, "ctest-trace diff old new: %r %r" % (out[-2000:], err[-2000:]))

    def test_update_without_keep_old_keeps_stdin(self):
        lines = [b"2+2\n", b"9*9\n", b"quit\n"]
        self.record_interactive(py_fixture("calc.py"), [(b"> ", l) for l in lines], "c.ctrace")
        trace = self.path("c.ctrace")
        changed = py_fixture("calc.py", "--prompt", "calc> ")
        r = self.replay(trace, "--", *changed)
        self.assert_status(r, 1, "calc.py with another prompt before --update")
        r = self.replay("--update", trace, "--", *changed)
        self.assertIn(r.status, (0, 1), "--update: " + r.describe())
        self.assertFalse(os.path.exists(trace + ".old"), "TRACE.old without --keep-old")
        self.assertEqual([f for f in os.listdir(self.tmp) if f.startswith("c.ctrace")],
                         ["c.ctrace"], "temp files left behind")
        self.assert_streams(trace, stdout=b"calc> = 4\ncalc> = 81\ncalc> bye (2 lines)\n",
                            stdin=b"".join(lines))
        for mode in ("all", "causal"):
            r = self.replay("--stdin", mode, trace)
            self.assert_status(r, 0, "plain replay after --update, --stdin %s" % mode)


# =========================================================================================
class ReplayTimeoutTest(ReplayTestCase):

    def test_hung_program_and_its_child_are_killed_at_timeout(self):
        rec = self.record_ok(py_fixture("hang_with_child.py", "--no-hang"), "hang.ctrace")
        pidfile = self.path("pids")
        self.addCleanup(self._kill_pidfile, pidfile)
        r = self.replay("--timeout", "2", rec.trace, "--",
                        *py_fixture("hang_with_child.py", "--pidfile", pidfile), timeout=60)
        self.assert_status(r, 1, "a hung program is a regression")
        self.assertLess(r.elapsed, 20, "--timeout 2 took %.1fs" % r.elapsed)
        self.assertTrue(os.path.exists(pidfile), "the fixture never started: " + r.describe())
        with open(pidfile) as f:
            pids = [int(p) for p in f.read().split()]
        self.assertEqual(len(pids), 2)
        self.assertRegex(self.text(r), r"(?i)time(d)?[ -]?out", "the timeout is not reported")
        self.assertIn("child pid=%d" % pids[1], self.text(r),
                      "what the program printed before the timeout is not shown")
        deadline = time.monotonic() + 5
        while not all(process_gone(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [p for p in pids if not process_gone(p)]
        self.assertEqual(alive, [], "still running after ctest-replay exited (parent %d, child "
                         "%d)" % tuple(pids))

    @staticmethod
    def _kill_pidfile(pidfile):
        try:
            with open(pidfile) as f:
                for p in f.read().split():
                    kill_quietly(int(p))
        except OSError:
            pass


# =========================================================================================
class ReplayFolderTest(ReplayTestCase):
    NAMES = ("alpha", "bravo", "charlie", "delta")

    def setUp(self):
        super().setUp()
        self.folder = self.path("traces")
        os.mkdir(self.folder)
        for name in self.NAMES:
            self.record_ok(py_fixture("versioned_output.py", "--name", name),
                           os.path.join(self.folder, name + ".ctrace"))

    def test_folder_with_two_jobs(self):
        r = self.replay("-j", "2", self.folder)
        self.assert_status(r, 0, "folder of 4 unchanged traces")
        for name in self.NAMES:
            self.assert_summary(r, name + ".ctrace", "same")
        r = self.replay("-j", "2", self.folder, env=clean_env(CTR_VERSIONED_CHANGED="charlie"))
        self.assert_status(r, 1, "folder with one regression")
        for name in self.NAMES:
            self.assert_summary(r, name + ".ctrace", "REGRESSION" if name == "charlie" else "same")
        self.assert_diff_lines(r, "result: 42", "result: 43")

    def test_json_and_junit_reports(self):
        # Into folders that do not exist yet, as CI report paths often are.
        json_path, junit_path = self.path("reports", "report.json"), self.path("reports", "xml", "report.xml")
        r = self.replay("-j", "2", "--json", json_path, "--junit", junit_path, self.folder,
                        env=clean_env(CTR_VERSIONED_CHANGED="charlie"))
        self.assert_status(r, 1, "folder with one regression, with reports")
        with open(json_path) as f:
            report = json.load(f)
        recorded = self.cat(os.path.join(self.folder, "charlie.ctrace"), "stdout")
        offset = recorded.index(b"result: 42") + len(b"result: 4")
        for name in self.NAMES:
            want = "regression" if name == "charlie" else "same"
            entries = [d for d in dicts_in(report)
                       if any(isinstance(v, str) and v.endswith(name + ".ctrace")
                              for v in d.values())]
            outcomes = set()
            for d in entries:
                outcomes |= {v.lower() for v in d.values() if isinstance(v, str)
                             and v.lower() in ("same", "regression", "error")}
            self.assertEqual(outcomes, {want}, "JSON verdict of %s: %r" % (name, entries))
            if name == "charlie":
                values = list(scalars_in(entries))
                self.assertIn("stdout", values, "JSON first divergence stream: %r" % entries)
                self.assertIn(offset, values, "JSON first divergence offset %d: %r"
                              % (offset, entries))
        self.assertTrue(any(v for d in dicts_in(report) for k, v in d.items()
                            if "normali" in k.lower()),
                        "JSON report must list the normalisers used: %r" % report)

        dom = xml.dom.minidom.parse(junit_path)
        suites = dom.getElementsByTagName("testsuite")
        self.assertEqual(len(suites), 4, "one testsuite per trace")
        for name in self.NAMES:
            mine = [s for s in suites if name in s.getAttribute("name")
                    or any(name in c.getAttribute("name") + c.getAttribute("classname")
                           for c in s.getElementsByTagName("testcase"))]
            self.assertEqual(len(mine), 1, "testsuite for %s" % name)
            suite = mine[0]
            cases = suite.getElementsByTagName("testcase")
            self.assertEqual(len(cases), 1, "one testcase per trace (%s)" % name)
            failures = cases[0].getElementsByTagName("failure")
            errors = cases[0].getElementsByTagName("error")
            self.assertEqual(errors, [], "no errors expected (%s)" % name)
            if suite.hasAttribute("tests"):
                self.assertEqual(suite.getAttribute("tests"), "1")
            if name == "charlie":
                self.assertEqual(len(failures), 1, "the regression is a failure")
                body = "".join(n.data for n in failures[0].childNodes
                               if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE))
                body += failures[0].getAttribute("message")
                self.assertIn("result: 43", body, "failure text = the diff")
                if suite.hasAttribute("failures"):
                    self.assertEqual(suite.getAttribute("failures"), "1")
            else:
                self.assertEqual(failures, [], "%s is not a failure" % name)
                if suite.hasAttribute("failures"):
                    self.assertEqual(suite.getAttribute("failures"), "0")


# =========================================================================================
class TraceDiffTest(ReplayTestCase):

    def test_ctest_trace_diff(self):
        a = self.record_ok(py_fixture("versioned_output.py"), "a.ctrace").trace
        b = self.record_ok(py_fixture("versioned_output.py"), "b.ctrace").trace
        c = self.record_ok(py_fixture("versioned_output.py", "--changed"), "c.ctrace").trace
        rc, out, err = self.trace_tool(["diff", a, b])
        self.assertEqual(rc, 0, "two recordings of the same program: %r %r" % (out, err))
        rc, out, err = self.trace_tool(["diff", a, c])
        self.assertEqual(rc, 1, "different recordings: %r %r" % (out, err))
        self.assertIn(b"result: 43", out + err, "the diff must be shown")
        # The same normalisers as ctest-replay: volatile output recorded twice is the same.
        v1 = self.record_ok(py_fixture("volatile_output.py"), "v1.ctrace").trace
        v2 = self.record_ok(py_fixture("volatile_output.py"), "v2.ctrace").trace
        rc, out, err = self.trace_tool(["diff", v1, v2])
        self.assertEqual(rc, 0, "volatile_output.py recorded twice: %r %r"
                         % (out[-3000:], err[-2000:]))


# =========================================================================================
class ReplayErrorsTest(ReplayTestCase):

    def setUp(self):
        super().setUp()
        self.good = self.record_ok(py_fixture("versioned_output.py"), "good.ctrace").trace

    def test_usage_errors_exit_2(self):
        bad_rules = self.path("bad.rules")
        with open(bad_rules, "w") as f:
            f.write("# comment\nnormalize (unclosed=>x\n")
        cases = [
            (["--no-such-option", self.good], "--no-such-option"),
            (["--normalize", "(unclosed=>x", self.good], "(unclosed"),
            (["--normalize", "no arrow here", self.good], "no arrow here"),
            (["--ignore-lines", "[z-a", self.good], "[z-a"),
            (["--stdin", "sometimes", self.good], "sometimes"),
            (["--no-normalize", "no-such-normalizer", self.good], "no-such-normalizer"),
            (["--rules", bad_rules, self.good], "bad.rules"),
            ([], None),
        ]
        for args, named in cases:
            r = self.replay(*args)
            self.assert_status(r, 2, "usage error %r" % args)
            if named is not None:
                self.assertIn(named, r.stderr.decode("utf-8", "replace"),
                              "the message must name the bad value (%r)" % args)

    def make_incomplete_trace(self, name):
        """A trace whose recorder was SIGKILLed while the command ran (no end record)."""
        proc = self.popen(self.recorder_argv(py_fixture("ready_sleep.py", "--lines", 5),
                                             trace=name), env=clean_env())
        m, _ = self.read_until_re(proc.stdout.fileno(), rb"READY pid=(\d+)\n", timeout=20)
        self.addCleanup(kill_quietly, int(m.group(1)))
        os.kill(proc.pid, signal.SIGKILL)
        self.wait_proc(proc)
        os.killpg(proc.pid, signal.SIGKILL)
        path = self.path(name)
        self.assertFalse(self.info(path, complete=False)["complete"])
        return path

    def test_missing_incomplete_and_unreadable_traces_exit_3(self):
        incomplete = self.make_incomplete_trace("killed.ctrace")
        with open(self.good, "rb") as f:
            data = f.read()
        truncated = self.path("truncated.ctrace")
        with open(truncated, "wb") as f:
            f.write(data[:len(data) // 2])
        garbage = self.path("garbage.ctrace")
        with open(garbage, "wb") as f:
            f.write(b"this is not a trace\n" * 10)
        for path in (self.path("missing.ctrace"), incomplete, truncated, garbage):
            r = self.replay(path)
            self.assert_status(r, 3, "trace %s" % os.path.basename(path))
            self.assertIn(os.path.basename(path), self.text(r), "the trace must be named")
        r = self.replay(self.good, "--", self.path("no-such-program"))
        self.assert_status(r, 3, "missing command")
        self.assertIn("no-such-program", self.text(r))

    def test_folder_with_an_incomplete_trace_exits_3(self):
        folder = self.path("traces")
        os.mkdir(folder)
        shutil.copy(self.good, os.path.join(folder, "good.ctrace"))
        incomplete = self.make_incomplete_trace("killed.ctrace")
        shutil.copy(incomplete, os.path.join(folder, "killed.ctrace"))
        r = self.replay("-j", "2", folder, env=clean_env(CTR_VERSIONED_CHANGED="default"))
        self.assert_status(r, 3, "folder with an incomplete trace and a regression")
        self.assert_summary(r, "killed.ctrace", "ERROR")
        self.assert_summary(r, "good.ctrace", "REGRESSION")


if __name__ == "__main__":
    unittest.main()
