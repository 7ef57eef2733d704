"""`python -m ctest_record.unittest [ARGS]`: `python -m unittest [ARGS]` that reports every
test to ctest-record over its control channel.

    ctest-record python3 -m ctest_record.unittest discover -s tests -v

Same arguments, output and exit status as `python -m unittest`. Under ctest-record each test
gets a `started` and a `finished` test event (its `id()`, the outcome: passed, failed, error,
skipped, xfailed for an expected failure, xpassed for an unexpected success, and the time
from startTest to stopTest), and with `-b` (buffer) the output unittest held back is
recorded as `captured` events ("stdout", "stderr"). Without a recorder it is plain unittest.

In your own runner: `unittest.TextTestRunner(resultclass=ctest_record.unittest.RecordingTestResult)`.
"""
# Absolute import (Python 3): this is the standard library's unittest, not this module.
import sys
import time
import unittest

from ctest_record import control

__all__ = ["RecordingTestResult", "RecordingTestRunner", "main"]


class RecordingTestResult(unittest.TextTestResult):
    """A TextTestResult that also reports each test to the recorder (if there is one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = control.connect()
        self._current = None  # (test id, start time, outcome)

    # ------------------------------------------------------------------- start / stop
    def startTest(self, test):
        if self._client is not None:
            test_id = test.id()
            self._client.test_started(test_id)
            self._current = [test_id, time.perf_counter_ns(), "passed"]
        super().startTest(test)

    def stopTest(self, test):
        current = self._current if self._client is not None else None
        if current is not None and current[0] == test.id():
            self._send_buffered(current[0])
        super().stopTest(test)
        if current is not None and current[0] == test.id():
            self._current = None
            self._client.test_finished(current[0], current[2],
                                       time.perf_counter_ns() - current[1])

    def _send_buffered(self, test_id):
        """With -b, unittest holds the test's output in StringIO buffers (and shows it only
        for a failure, in the report): record it as captured sections."""
        if not self.buffer:
            return
        for section, buffer in (("stdout", getattr(self, "_stdout_buffer", None)),
                                ("stderr", getattr(self, "_stderr_buffer", None))):
            if buffer is None:
                continue
            try:
                text = buffer.getvalue()
            except (AttributeError, ValueError):
                continue
            if text:
                self._client.captured(test_id, section, text.encode("utf-8", "surrogateescape"))

    # -------------------------------------------------------------------------- outcomes
    def _outcome(self, test, outcome, overrides=()):
        if self._client is None:
            return
        current = self._current
        if current is not None and current[0] == test.id():
            if current[2] in overrides or current[2] == "passed":
                current[2] = outcome
            return
        # Not inside startTest/stopTest: a setUpClass/setUpModule (or tearDown*) failure or
        # skip, reported by unittest under a name like "setUpClass (module.Class)".
        test_id = test.id() if hasattr(test, "id") else str(test)
        self._client.test_started(test_id)
        self._client.test_finished(test_id, outcome, 0)

    def addError(self, test, err):
        super().addError(test, err)
        self._outcome(test, "error", overrides=("failed", "skipped", "xfailed", "xpassed"))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._outcome(test, "failed", overrides=("skipped", "xfailed", "xpassed"))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            if issubclass(err[0], test.failureException):
                self._outcome(test, "failed", overrides=("skipped",))
            else:
                self._outcome(test, "error", overrides=("failed", "skipped"))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._outcome(test, "skipped")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._outcome(test, "xfailed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._outcome(test, "xpassed")


class RecordingTestRunner(unittest.TextTestRunner):
    """TextTestRunner with RecordingTestResult as its result class."""
    resultclass = RecordingTestResult


def main(argv=None):
    """Run as `python -m unittest` would, with RecordingTestRunner; exits like it."""
    if argv is None:
        argv = list(sys.argv)
    argv = ["python -m ctest_record.unittest"] + list(argv[1:])
    unittest.main(module=None, argv=argv, testRunner=RecordingTestRunner)


if __name__ == "__main__":
    main()
