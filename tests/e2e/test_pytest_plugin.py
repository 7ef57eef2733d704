"""End to end: the pytest plugin (harness/python/ctest_record/pytest_plugin.py) under the real
ctest-record, on the bundled suite fixtures/pytest_suite (every outcome, output through print,
os.write and logging, in setup, call and teardown, parametrised tests).

Every line a fixture test writes starts with "<<NODEID>>", so the tests check that with `-s`
it sits in an io event whose context is that test, and without `-s` that it comes back as a
`captured` event of that test with the exact bytes. The console streams in the trace must be
byte-equal to what the console showed, and the console must look as it does without the
recorder. pytest comes from a Python that has it (Debian's python3-pytest is seen by
/usr/bin/python3 only); without any, the tests are skipped.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import unittest

from ctr_helpers import FIXTURES_DIR, PYTHON, RECORDER_PREFIX, RecordTestCase, io_payload

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_DIR = os.environ.get("CTEST_RECORD_PYTHONPATH") or os.path.join(_REPO, "harness", "python")
SUITE_DIR = os.path.join(FIXTURES_DIR, "pytest_suite")
MODULE = "test_plugin_suite.py"
MARK = re.compile(rb"<<([^<>\n]*)>>")

# Node id (without "test_plugin_suite.py::") -> outcome, in the order pytest runs them.
EXPECTED = [
    ("test_passes", "passed"),
    ("test_fails", "failed"),
    ("test_prints", "passed"),
    ("test_phases", "passed"),
    ("test_skipped", "skipped"),
    ("test_skips_itself", "skipped"),
    ("test_xfail", "xfailed"),
    ("test_xpass", "xpassed"),
    ("test_setup_error", "error"),
    ("test_teardown_error", "error"),
    ("test_param[1]", "passed"),
    ("test_param[2]", "passed"),
    ("test_param[3]", "failed"),
]


def nodeid(name):
    return MODULE + "::" + name


def m(name, text):
    """The line the fixture writes: '<<NODEID>> text\\n' (bytes)."""
    return ("<<%s>> %s\n" % (nodeid(name), text)).encode()


# Captured sections of the run without -s: (test, section) -> exact bytes. "log" sections are
# pytest-formatted and checked apart.
EXPECTED_CAPTURED = [
    ("test_fails", "stdout call", m("test_fails", "stdout before failing")),
    ("test_prints", "stdout call", m("test_prints", "print to stdout") +
     m("test_prints", "os.write to fd 1") + m("test_prints", "unicode \u00e9\u4e2d\u2603")),
    ("test_prints", "stderr call", m("test_prints", "print to stderr") +
     m("test_prints", "os.write to fd 2")),
    ("test_phases", "stdout setup", m("test_phases", "stdout in setup")),
    ("test_phases", "stdout call", m("test_phases", "stdout in call")),
    ("test_phases", "stdout teardown", m("test_phases", "stdout in teardown")),
    ("test_skips_itself", "stdout call", m("test_skips_itself", "stdout before skipping")),
    ("test_xfail", "stdout call", m("test_xfail", "stdout in an expected failure")),
    ("test_xpass", "stdout call", m("test_xpass", "stdout in an unexpected pass")),
    ("test_setup_error", "stdout setup", m("test_setup_error", "stdout before the setup error")),
    ("test_teardown_error", "stdout call",
     m("test_teardown_error", "stdout in a test whose teardown fails")),
    ("test_teardown_error", "stderr teardown",
     m("test_teardown_error", "stderr in the failing teardown")),
    ("test_param[1]", "stdout call", m("test_param[1]", "param 1")),
    ("test_param[2]", "stdout call", m("test_param[2]", "param 2")),
    ("test_param[3]", "stdout call", m("test_param[3]", "param 3")),
]


def _runs(argv):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _python_with_pytest():
    seen = []
    for candidate in (PYTHON, "/usr/bin/python3", shutil.which("python3")):
        if candidate and candidate not in seen:
            seen.append(candidate)
            if _runs([candidate, "-c", "import pytest"]):
                return candidate
    return None


PYTEST_PYTHON = _python_with_pytest()


def pytest_executables():
    """pytest, pytest-3, py.test on PATH that actually run."""
    found = []
    for name in ("pytest", "pytest-3", "py.test"):
        path = shutil.which(name)
        if path and _runs([path, "--version"]):
            found.append(name)
    return found


def normalize_console(data):
    """pytest's console output with the run's duration blanked."""
    return re.sub(rb" in \d+(\.\d+)?s( \(\d+:\d+:\d+\))? ", b" in Xs ", data)


def clean_env(**extra):
    """Our environment without anything that would change how pytest runs or what it loads."""
    env = dict(os.environ)
    for name in ("PYTEST_PLUGINS", "PYTHONPATH", "PYTEST_ADDOPTS", "CTEST_RECORD_CONTROL",
                 "PY_COLORS", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


@unittest.skipIf(PYTEST_PYTHON is None, "no Python with pytest found (install python3-pytest)")
class PytestPluginTest(RecordTestCase):

    def setUp(self):
        super().setUp()
        self.suite = self.path("suite")
        shutil.copytree(SUITE_DIR, self.suite, ignore=shutil.ignore_patterns("__pycache__"))

    def pytest(self, *args, python=None):
        return [python or PYTEST_PYTHON, "-m", "pytest", "-p", "no:cacheprovider"] + list(args)

    def record_suite(self, *args, options=(), command=None, env=None):
        result = self.record(command or self.pytest(*args), options=options, cwd=self.suite,
                             env=env or clean_env())
        self.assertEqual(result.status, 1, result.describe())  # the suite has failures
        self.assertEqual(self.recorder_lines(result.stderr), [], result.describe())
        _, events = self.assert_complete(result.trace)
        return result, events

    def plain_run(self, *args, env=None):
        """The same pytest run without the recorder (nor the plugin)."""
        result = self.run_argv(self.pytest(*args), cwd=self.suite, env=env or clean_env())
        self.assertEqual(result.status, 1, result.describe())
        return result

    def assert_test_events(self, events, expected=EXPECTED, producer=None):
        """Every test has exactly a started and then a finished event, in pytest's order,
        with the right outcome, a plausible duration and the pytest process as producer."""
        tests = self.of_kind(events, "test")
        self.assertEqual([(t["phase"], t["test_id"]) for t in tests],
                         [(p, nodeid(name)) for name, _ in expected for p in ("started", "finished")])
        finished = tests[1::2]
        self.assertEqual([(t["test_id"], t["outcome"]) for t in finished],
                         [(nodeid(name), outcome) for name, outcome in expected])
        for t in finished:
            self.assertGreater(t["duration_ns"], 0, t)
            self.assertLess(t["duration_ns"], 30 * 10**9, t)
        if producer is None:
            producer = self.start_event(events)["child_pid"]
        self.assertEqual({t["producer"] for t in tests}, {producer})
        return tests

    def assert_console_recorded(self, result, events):
        """The trace's console streams are exactly what the console showed."""
        self.assertBytesEqual(self.cat(result.trace, "stdout"), result.stdout, "stdout")
        self.assertBytesEqual(self.cat(result.trace, "stderr"), result.stderr, "stderr")
        self.assertBytesEqual(self.stream_from_events(events, "stdout"), result.stdout,
                              "stdout io events")

    def marks_by_context(self, events):
        """[(context, mark)] for every "<<mark>>" in the io events, per stream, in order;
        consecutive events with the same context are joined first, so a mark split across
        two reads is still found whole."""
        seen = []
        for stream in ("stdout", "stderr"):
            runs = []
            for e in self.of_kind(events, "io"):
                if e["stream"] != stream:
                    continue
                if runs and runs[-1][0] == e["context"]:
                    runs[-1][1] += io_payload(e)
                else:
                    runs.append([e["context"], io_payload(e)])
            for context, data in runs:
                seen += [(context, mk.group(1).decode()) for mk in MARK.finditer(data)]
        return seen

    # ----------------------------------------------------------------------------- tests
    def test_every_test_has_started_and_finished_events_with_its_outcome(self):
        result, events = self.record_suite()
        self.assert_test_events(events)
        self.assert_console_recorded(result, events)
        # The console looks exactly as without the recorder.
        plain = self.plain_run()
        self.assertBytesEqual(normalize_console(result.stdout), normalize_console(plain.stdout),
                              "console stdout with the recorder vs without")
        self.assertEqual(result.stderr, plain.stderr)

    def test_captured_sections_become_captured_events_of_their_test(self):
        result, events = self.record_suite()
        tests = self.assert_test_events(events)
        captured = self.of_kind(events, "captured")
        for c in captured:
            self.assertIn("text", c, "captured bytes are valid UTF-8 here: %r" % c)
            self.assertEqual(c["size"], len(c["text"].encode()))
        plain = [c for c in captured if not c["section"].startswith("log")]
        self.assertEqual([(c["test_id"], c["section"], c["text"].encode()) for c in plain],
                         [(nodeid(t), s, data) for t, s, data in EXPECTED_CAPTURED])
        logs = [c for c in captured if c["section"].startswith("log")]
        self.assertEqual([(c["test_id"], c["section"]) for c in logs],
                         [(nodeid("test_prints"), "log call")])
        self.assertIn("<<%s>> a log record" % nodeid("test_prints"), logs[0]["text"])
        self.assertIn("WARNING", logs[0]["text"])
        # Each captured event sits between its test's started and finished events.
        position = {id(e): i for i, e in enumerate(events)}
        span = {}
        for t in tests:
            span.setdefault(t["test_id"], []).append(position[id(t)])
        for c in captured:
            begin, end = span[c["test_id"]]
            self.assertTrue(begin < position[id(c)] < end, c)
        # Captured output of passing tests never reached the console, nor its console streams.
        self.assertNotIn(b"<<%s>>" % nodeid("test_prints").encode(), result.stdout + result.stderr)
        self.assertNotIn(b"<<%s>>" % nodeid("test_prints").encode(),
                         self.cat(result.trace, "stdout", "stderr"))
        self.assert_console_recorded(result, events)

    def test_with_dash_s_output_carries_the_context_of_its_test(self):
        result, events = self.record_suite("-s")
        self.assert_test_events(events)
        marks = self.marks_by_context(events)
        expected_marks = sum(len(re.findall(rb"<<", data)) for _, _, data in EXPECTED_CAPTURED)
        self.assertEqual(len(marks), expected_marks, marks)
        self.assertEqual([(c, mk) for c, mk in marks if c != mk], [])
        # Only pytest's log capture is left; stdout and stderr went to the console.
        self.assertEqual({c["section"] for c in self.of_kind(events, "captured")}, {"log call"})
        # pytest's own header is outside any test.
        header = [e for e in self.of_kind(events, "io") if b"test session starts" in io_payload(e)]
        self.assertEqual([e["context"] for e in header], [""])
        self.assert_console_recorded(result, events)

    def test_verbose_lines_belong_to_their_test(self):
        result, events = self.record_suite("-v", "-k", "test_passes or test_fails")
        self.assert_test_events(events, [("test_passes", "passed"), ("test_fails", "failed")])
        text = {}
        for e in self.of_kind(events, "io"):
            text[e["context"]] = text.get(e["context"], b"") + io_payload(e)
        self.assertIn(b"%s PASSED" % nodeid("test_passes").encode(), text[nodeid("test_passes")])
        self.assertIn(b"%s FAILED" % nodeid("test_fails").encode(), text[nodeid("test_fails")])
        self.assert_console_recorded(result, events)

    def test_no_pytest_plugin_gives_no_test_events(self):
        result, events = self.record_suite(options=["--no-pytest-plugin"])
        self.assertEqual(self.of_kind(events, "test"), [])
        self.assertEqual(self.of_kind(events, "captured"), [])
        self.assertEqual({e["context"] for e in self.of_kind(events, "io")}, {""})
        self.assert_console_recorded(result, events)
        plain = self.plain_run()
        self.assertBytesEqual(normalize_console(result.stdout), normalize_console(plain.stdout),
                              "console stdout")

    def test_every_way_of_starting_pytest_activates_it(self):
        commands = [(name, [name, "-p", "no:cacheprovider", "-k", "test_passes"])
                    for name in pytest_executables()]
        commands.append(("%s -m pytest" % PYTEST_PYTHON, self.pytest("-k", "test_passes")))
        commands.append(("%s -B -m pytest" % PYTEST_PYTHON,
                         [PYTEST_PYTHON, "-B", "-m", "pytest", "-k", "test_passes"]))
        if os.path.basename(os.path.realpath(PYTEST_PYTHON)).startswith("python3."):
            versioned = os.path.realpath(PYTEST_PYTHON)  # e.g. /usr/bin/python3.11
            commands.append((versioned + " -m pytest", self.pytest("-k", "test_passes",
                                                                   python=versioned)))
        self.assertGreaterEqual(len(commands), 2)
        for what, command in commands:
            with self.subTest(command=what):
                result = self.record(command, cwd=self.suite, env=clean_env(),
                                     trace="%d.ctrace" % len(self._groups))
                self.assertEqual(result.status, 0, result.describe())
                _, events = self.assert_complete(result.trace)
                self.assert_test_events(events, [("test_passes", "passed")])

    def test_an_existing_pytest_plugins_value_is_kept(self):
        extra = self.path("extra")
        os.mkdir(extra)
        with open(os.path.join(extra, "my_header_plugin.py"), "w") as f:
            f.write("def pytest_report_header(config):\n    return 'my_header_plugin loaded'\n")
        env = clean_env(PYTEST_PLUGINS="my_header_plugin", PYTHONPATH=extra)
        result, events = self.record_suite(env=env)
        self.assertIn(b"my_header_plugin loaded", result.stdout)
        self.assert_test_events(events)

    def test_a_missing_package_is_one_warning_and_a_run_without_the_plugin(self):
        env = clean_env(CTEST_RECORD_PYTHONPATH=self.path("nowhere"))
        result = self.record(self.pytest(), cwd=self.suite, env=env)
        self.assertEqual(result.status, 1, result.describe())
        lines = self.recorder_lines(result.stderr)
        self.assertEqual(len(lines), 1, result.describe())
        self.assertIn(b"warning", lines[0])
        self.assertIn(self.path("nowhere").encode(), lines[0])
        _, events = self.assert_complete(result.trace)
        self.assertEqual(self.of_kind(events, "test"), [])

    def test_a_stale_control_variable_is_ignored_silently(self):
        """The plugin loaded by hand in a pytest that is not under this recorder: whatever
        CTEST_RECORD_CONTROL says, the run is plain pytest with no message."""
        plain = self.plain_run()
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        pipe = os.fstat(r)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        sock = os.fstat(a.fileno())
        cases = [
            ("unset", None, ()),
            ("closed descriptor", "fd:150:%d:%d" % (sock.st_dev, sock.st_ino), ()),
            ("a pipe", "fd:%d:%d:%d" % (r, pipe.st_dev, pipe.st_ino), (r,)),
            ("another inode", "fd:%d:%d:%d" % (a.fileno(), sock.st_dev, sock.st_ino + 1),
             (a.fileno(),)),
            ("another form", "unix:/nonexistent", ()),
        ]
        for what, value, fds in cases:
            with self.subTest(what):
                env = clean_env(PYTEST_PLUGINS="ctest_record.pytest_plugin", PYTHONPATH=PACKAGE_DIR)
                if value is not None:
                    env["CTEST_RECORD_CONTROL"] = value
                result = self.run_argv(self.pytest(), cwd=self.suite, env=env, pass_fds=fds)
                self.assertEqual(result.status, 1, result.describe())
                self.assertNotIn(RECORDER_PREFIX, result.stdout + result.stderr)
                self.assertBytesEqual(normalize_console(result.stdout),
                                      normalize_console(plain.stdout), "stdout (%s)" % what)

    def test_the_plugin_loaded_by_hand_under_the_recorder(self):
        """`pytest -p ctest_record.pytest_plugin` through a wrapper that is not recognised as
        pytest (sh -c): the channel is inherited, so the tests are reported all the same."""
        env = clean_env(PYTHONPATH=PACKAGE_DIR)
        command = ["sh", "-c", 'exec "$0" -m pytest -p no:cacheprovider '
                   '-p ctest_record.pytest_plugin "$@"', PYTEST_PYTHON]
        result, events = self.record_suite(command=command, env=env)
        self.assert_test_events(events)


if __name__ == "__main__":
    unittest.main()
