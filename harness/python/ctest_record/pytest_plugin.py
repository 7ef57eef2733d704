"""pytest plugin: reports every test to ctest-record over its control channel.

Under `ctest-record pytest ...` it is loaded automatically (ctest-record adds it to
PYTEST_PLUGINS and puts this package on PYTHONPATH; `--no-pytest-plugin` turns that off). By
hand: `pytest -p ctest_record.pytest_plugin`. Without a recorder (no usable
CTEST_RECORD_CONTROL) it does nothing at all.

For each test (pytest's nodeid):
- a `started` test event when pytest starts it (before the terminal shows its line), so
  output written during the test (`-s`, a child process, a C extension) carries its id;
- every captured section (pytest's "Captured stdout call", "Captured stderr setup",
  "Captured log teardown", ...) as a `captured` event, section "stdout call" etc.; pytest
  keeps these out of the console, so they are recorded apart from the console streams;
- a `finished` test event after its teardown, with the outcome: passed, failed, skipped,
  error (setup or teardown failed), xfailed or xpassed, and the duration of setup, call and
  teardown together.

pytest-xdist: workers report nothing themselves; the controller receives every report from
them and sends the events (the workers' own output does not reach the console anyway).
"""
import pytest

from ctest_record import control

_REGISTERED_NAME = "ctest-record-reporter"
_STREAMS = ("stdout", "stderr", "log")
_active = None  # the reporter of the outermost session in this process


def _section_name(title):
    """"Captured stdout call" -> "stdout call"; None for sections of other kinds."""
    words = title.split(" ")
    if len(words) >= 2 and words[0] == "Captured" and words[1] in _STREAMS:
        return " ".join(words[1:])
    return None


class _TestState:
    __slots__ = ("outcome", "duration", "sent_sections")

    def __init__(self):
        self.outcome = None
        self.duration = 0.0
        self.sent_sections = set()


class Reporter:
    """The hooks, registered for one pytest session (see pytest_configure)."""

    def __init__(self, client):
        self.client = client
        self.tests = {}  # nodeid -> _TestState, started and not finished yet

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        self.tests[nodeid] = _TestState()
        self.client.test_started(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        state = self.tests.get(report.nodeid)
        if state is None:  # a report without logstart (e.g. an xdist worker crash)
            state = self.tests[report.nodeid] = _TestState()
            self.client.test_started(report.nodeid)
        state.duration += float(getattr(report, "duration", 0.0) or 0.0)
        state.outcome = _merge_outcome(state.outcome, report)
        # pytest accumulates the sections: the teardown report repeats setup's and call's.
        for title, content in getattr(report, "sections", ()):
            section = _section_name(title)
            if section is None or not content or (title, content) in state.sent_sections:
                continue
            state.sent_sections.add((title, content))
            data = content if isinstance(content, bytes) else \
                str(content).encode("utf-8", "surrogateescape")
            self.client.captured(report.nodeid, section, data)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logfinish(self, nodeid, location):
        self._finish(nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        # Tests that started but never finished (interrupted, a crashed xdist worker).
        for nodeid in list(self.tests):
            self._finish(nodeid)

    def _finish(self, nodeid):
        state = self.tests.pop(nodeid, None)
        if state is None:
            return
        self.client.test_finished(nodeid, state.outcome or "error",
                                  int(round(state.duration * 1e9)))


def _merge_outcome(outcome, report):
    """The test's outcome so far, given one more phase report (setup, call, teardown)."""
    when = getattr(report, "when", None)
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        if when == "call":
            return "failed"
        if outcome in (None, "passed", "skipped", "xfailed", "xpassed"):
            return "error"  # setup or teardown failed: pytest's ERROR
        return outcome      # a call failure followed by a teardown error stays "failed"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    # passed
    if when == "call":
        return "xpassed" if xfail else "passed"
    if outcome is None and when == "setup":
        return None  # decided by the call
    return outcome if outcome is not None else "passed"


def pytest_configure(config):
    global _active
    if _active is not None:
        return  # an inner in-process session (pytester): the outer one is being reported
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller reports its tests
    client = control.connect()
    if client is None:
        return
    reporter = Reporter(client)
    config.pluginmanager.register(reporter, _REGISTERED_NAME)
    _active = (config, reporter)


def pytest_unconfigure(config):
    global _active
    if _active is None or _active[0] is not config:
        return
    reporter = _active[1]
    _active = None
    reporter.pytest_sessionfinish(None, None)
    if config.pluginmanager.is_registered(reporter):
        config.pluginmanager.unregister(reporter)
