"""In-process capture from Python: the ctest_record package (ctypes over libctrecord_c.so).

Capture redirects the process's own fds 0/1/2, so every scenario runs in a child Python
(fixtures/inprocess_python.py MODE ...) whose real stdout/stderr are this test's pipes (the
"console"); the trace is read back through the real reader (ctest-trace). The library comes
from CTEST_RECORD_LIB (set by the e2e test in tests/CMakeLists.txt) or the default build.
"""
import hashlib
import json
import os
import re
import unittest

from ctr_helpers import RecordTestCase, io_payload, py_fixture

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_DIR = os.path.join(_REPO, "harness", "python")
LIB = os.environ.get("CTEST_RECORD_LIB") or os.path.join(
    _REPO, "build", "recorder", "capi", "libctrecord_c.so")


def sanitizer_env(lib_path):
    """A sanitizer build's library cannot be dlopen'ed by an uninstrumented Python unless the
    sanitizer runtime is loaded first: preload it (found by the soname the library needs)."""
    with open(lib_path, "rb") as f:
        data = f.read()
    m = re.search(rb"lib(asan|tsan)\.so\.\d+", data)
    if not m:
        return {}
    # libstdc++ too: the runtime finds the real __cxa_throw only in libraries loaded at start.
    env = {"LD_PRELOAD": m.group(0).decode() + " libstdc++.so.6"}
    if m.group(1) == b"asan":
        # Python itself is not built for leak checking; our code is checked by the unit tests.
        env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    return env


class InProcessPythonTest(RecordTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(LIB):
            raise unittest.SkipTest("C API library not found: %s (build first or set CTEST_RECORD_LIB)" % LIB)
        cls.child_env = dict(os.environ)
        cls.child_env.update({"CTEST_RECORD_LIB": LIB, "PYTHONPATH": PACKAGE_DIR,
                              "PYTHONDONTWRITEBYTECODE": "1"})
        cls.child_env.pop("CTEST_CAPTURE_IO", None)
        cls.child_env.update(sanitizer_env(LIB))

    def run_mode(self, mode, *args, input=None, extra_env=None, timeout=None, trace="t.ctrace"):
        """Run the fixture in MODE with TMP/trace; returns (Result, the RESULT json)."""
        env = dict(self.child_env)
        env.update(extra_env or {})
        kw = {"timeout": timeout} if timeout else {}
        r = self.run_argv(py_fixture("inprocess_python.py", mode, self.path(trace), *args),
                          input=input, env=env, trace=self.path(trace), **kw)
        self.assertEqual(r.returncode, 0, r.describe())
        at = r.stdout.rfind(b"RESULT ")
        self.assertTrue(at >= 0 and r.stdout.endswith(b"\n"), "no RESULT line\n" + r.describe())
        return r, json.loads(r.stdout[at + len(b"RESULT "):])

    @staticmethod
    def console(r):
        """The child's stdout without the RESULT line."""
        return r.stdout[:r.stdout.rindex(b"RESULT ")]

    def assert_in_process_start(self, info, capture_io=True):
        self.assertEqual(info["start"]["capture_mode"], "in-process")
        self.assertEqual(info["start"]["capture_io"], capture_io)

    # ------------------------------------------------------------------------------- bytes
    def test_print_os_write_binary_stderr_stdin_and_a_child(self):
        r, res = self.run_mode("basic", input=b"one line of input\n")
        out = (b"print line\n"
               b"os.write line\n"
               b"bytes \x00 NUL \xff\xfe invalid utf-8\n"
               b"read from stdin: one line of input\n"
               b"child stdout\n"
               b"last line, not flushed by hand\n")
        err = b"stderr via sys.stderr\nstderr via os.write\nchild stderr\n"
        info, events = self.assert_streams(r.trace, stdout=out, stderr=err,
                                           stdin=b"one line of input\n")
        self.assert_in_process_start(info)
        self.assert_no_recorder_text(self.cat(r.trace, "stdout", "stderr"), "the trace")
        # The console saw every byte, then what was written after stop (not in the trace).
        self.assertBytesEqual(self.console(r), out + b"after stop: console only\n", "console stdout")
        self.assertBytesEqual(r.stderr, err, "console stderr")
        self.assertEqual(res["context"], "")

    def test_output_far_beyond_the_pipe_buffer(self):
        size = 8 * 1024 * 1024
        data = hashlib.shake_256(b"inprocess-bulk").digest(size)
        r, res = self.run_mode("bulk", size)
        self.assertEqual(res["size"], size)
        self.assert_streams(r.trace, stdout=data, stderr=b"", stdin=b"")
        self.assertBytesEqual(self.console(r), data, "console stdout")

    # ----------------------------------------------------------------------------- context
    def test_set_context_stamps_chunks(self):
        r, res = self.run_mode("context")
        info, events = self.assert_complete(r.trace)
        runs = {"stdout": [], "stderr": []}  # per stream: [context, bytes] with merged runs
        for e in self.of_kind(events, "io"):
            self.assertIn("context", e)
            run = runs[e["stream"]]
            if run and run[-1][0] == e["context"]:
                run[-1][1] += io_payload(e)
            else:
                run.append([e["context"], io_payload(e)])
        self.assertEqual(runs["stdout"], [
            ["test_a", b"a1\na2\na3 (left in Python's buffer)\n"],
            ["test_b", b"b1\n"],
            ["test_a", b"a4\n"],
            ["", b"no context\n"],
        ])
        self.assertEqual(runs["stderr"], [["test_b", b"b2 on stderr\n"]])
        self.assertEqual(res, {"seen_b": "test_b", "after": ""})

    # -------------------------------------------------------------------- start/stop loops
    def test_500_start_stop_cycles_leave_the_descriptors_as_they_were(self):
        # stdin is a pipe that stays open and silent: stop must not wait for it.
        cycles = 500
        proc = self.popen(py_fixture("inprocess_python.py", "loop", self.path("t.ctrace"), cycles),
                          env=self.child_env)
        out = self.read_to_eof(proc.stdout.fileno(), timeout=240)
        self.assertEqual(self.wait_proc(proc), 0, self.read_log(proc)[-3000:])
        want = b"".join(b"cycle %d\n" % i for i in range(cycles))
        self.assertTrue(out.startswith(want), "console saw every cycle: %r" % out[-300:])
        res = json.loads(out[len(want):].split(b"RESULT ", 1)[1])
        self.assertEqual(res["after"]["std"], res["before"]["std"],
                         "fds 0/1/2: same files (dev, inode, type), status flags, FD_CLOEXEC")
        self.assertEqual(res["after"]["fds"], res["before"]["fds"], "/proc/self/fd after the loop")
        self.assertEqual(self.read_log(proc), b"".join(b"e%d\n" % i for i in range(cycles)))
        # The trace holds the last cycle only (each start truncates it).
        self.assert_streams(self.path("t.ctrace"), stdout=b"cycle %d\n" % (cycles - 1),
                            stderr=b"e%d\n" % (cycles - 1), stdin=b"")

    # ------------------------------------------------------------------------------ errors
    def test_starting_twice_is_a_usage_error(self):
        r, res = self.run_mode("twice")
        self.assertEqual(res["errors"]["other"][0], "UsageError", res)
        self.assertEqual(res["errors"]["same"][0], "UsageError", res)
        self.assertFalse(res["second_exists"], "the refused start created no trace file")
        self.assert_streams(r.trace, stdout=b"inside\n", stderr=b"")

    def test_bad_ctest_capture_io_is_a_usage_error_and_changes_nothing(self):
        r, res = self.run_mode("start-error", extra_env={"CTEST_CAPTURE_IO": "maybe"})
        self.assertEqual(res["error"][0], "UsageError", res)
        self.assertIn("CTEST_CAPTURE_IO", res["error"][1])
        self.assertIn("maybe", res["error"][1])
        self.assertTrue(res["same"], "descriptors unchanged after the failed start")
        self.assertFalse(res["trace_exists"], "no trace file left behind")
        self.assertEqual(self.console(r), b"after the failed start\n")

    def test_unwritable_trace_path_is_an_environment_error(self):
        # A path under a regular file cannot be created.
        with open(self.path("file"), "w"):
            pass
        r, res = self.run_mode("start-error", trace=os.path.join("file", "t.ctrace"))
        self.assertEqual(res["error"][0], "CaptureEnvironmentError", res)
        self.assertIn(os.path.join(self.tmp, "file"), res["error"][1])
        self.assertTrue(res["same"], "descriptors unchanged after the failed start")

    def test_missing_library_names_what_was_tried(self):
        missing = self.path("nowhere", "libctrecord_c.so")
        r, res = self.run_mode("start-error", extra_env={"CTEST_RECORD_LIB": missing})
        self.assertEqual(res["error"][0], "LibraryNotFound", res)
        self.assertIn("CTEST_RECORD_LIB=" + missing, res["error"][1])
        self.assertTrue(res["same"])
        self.assertFalse(res["trace_exists"])

    def test_a_capture_left_active_is_stopped_at_exit(self):
        r, res = self.run_mode("exit-without-stop")
        self.assertEqual(self.console(r), b"never stopped by hand\n")
        self.assert_streams(r.trace, stdout=b"never stopped by hand\nRESULT {}\n", stderr=b"")

    def test_c_api_rejects_bad_arguments_with_status_codes(self):
        r, res = self.run_mode("c-arguments")
        got = res["got"]
        for name, needle in (("null_path", "trace_path"), ("empty_path", "trace_path"),
                             ("bad_capture_io", "capture_io"), ("null_out", "out"),
                             ("stop_null", "session")):
            self.assertEqual(got[name][0], 1, "%s: CTRECORD_USAGE_ERROR expected: %r" % (name, got[name]))
            self.assertIn(needle, got[name][1], name)
        self.assertEqual(got["set_context_without_session"], 0)
        self.assertEqual(got["current_context"], "ctx")
        self.assertEqual(got["version"], 1)
        self.assertFalse(res["trace_exists"])

    # ------------------------------------------------------------------------------ policy
    def check_policy(self, capture_io, env, captured, source):
        r, _ = self.run_mode("policy", capture_io, extra_env=env)
        self.assertEqual(self.console(r), b"policy output\n")
        self.assertIn(b"policy stderr\n", r.stderr)
        info, events = self.assert_complete(r.trace)
        self.assert_in_process_start(info, capture_io=captured)
        got = info["start"]["policy_source"]  # "default", "env CTEST_CAPTURE_IO=0", "option ..."
        self.assertEqual(got.split(" ", 1)[0], source, "policy_source %r" % got)
        if captured:
            self.assert_streams(r.trace, stdout=b"policy output\n", stderr=b"policy stderr\n")
        else:
            self.assertEqual(self.of_kind(events, "io"), [], "capture off: no io events")
            lines = [l for l in self.recorder_lines(r.stderr) if b"captur" in l.lower()]
            self.assertEqual(len(lines), 1, "exactly one log line says capture is off: %r" % r.stderr)
        return r

    def test_capture_io_false_writes_a_trace_without_io(self):
        self.check_policy("off", {}, captured=False, source="option")

    def test_env_capture_io_0_turns_capture_off(self):
        self.check_policy("none", {"CTEST_CAPTURE_IO": "0"}, captured=False, source="env")

    def test_explicit_capture_io_beats_the_env(self):
        self.check_policy("on", {"CTEST_CAPTURE_IO": "0"}, captured=True, source="option")


if __name__ == "__main__":
    unittest.main()
