"""Exit status contract: the child's status passes through (128+N for signal N), 127/126 for
commands that cannot start, 125 for the recorder's own failures; option parsing stops at the
first non-option word."""
import json
import os
import stat
import unittest

from ctr_helpers import RECORD_BIN, RecordTestCase, py_fixture


class ChildStatusTest(RecordTestCase):

    def test_exit_code_7_passes_through(self):
        r = self.record(py_fixture("exit_code.py", 7))
        self.assertEqual(r.returncode, 7, r.describe())
        self.assertEqual(r.stdout, b"exit_code: exiting with 7\n")
        info, events = self.assert_streams(r.trace, stdout=r.stdout, stderr=b"")
        ex = self.exit_event(events)
        self.assertTrue(ex["exited"])
        self.assertEqual(ex["code"], 7)
        self.assertEqual(ex["signal"], 0)
        self.assertEqual(ex["status"], 7)
        self.assertEqual(ex["spawn_error"], "")
        self.assertGreater(ex["duration_ns"], 0)
        self.assertGreater(ex["max_rss_kib"], 0)
        self.assertEqual(info["exit"]["status"], 7)

    def test_child_killed_by_sigkill_gives_137_and_complete_trace(self):
        r = self.record(py_fixture("kill_self.py", "SIGKILL"))
        self.assertEqual(r.status, 137, r.describe())
        self.assertEqual(r.stdout, b"kill_self: SIGKILL\n")
        info, events = self.assert_streams(r.trace, stdout=r.stdout)
        ex = self.exit_event(events)
        self.assertFalse(ex["exited"])
        self.assertEqual(ex["signal"], 9)
        self.assertEqual(ex["status"], 137)
        self.assertEqual(info["exit"]["signal"], 9)

    def test_command_not_found_gives_127(self):
        name = "no-such-command-ctr-e2e"
        r = self.record([name, "arg"])
        self.assertEqual(r.returncode, 127, r.describe())
        self.assertIn(name.encode(), r.stderr, "the message should name the command")
        self.assertEqual(r.stdout, b"")
        info, events = self.assert_complete(r.trace)
        ex = self.exit_event(events)
        self.assertEqual(ex["status"], 127)
        self.assertNotEqual(ex["spawn_error"], "")
        self.assertEqual(info["start"]["child_pid"], 0)

    def test_not_executable_gives_126(self):
        script = self.path("not-executable.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho should not run\n")
        os.chmod(script, 0o644)
        r = self.record([script])
        self.assertEqual(r.returncode, 126, r.describe())
        self.assertIn(b"not-executable.sh", r.stderr)
        self.assertNotIn(b"should not run", r.stdout)
        info, events = self.assert_complete(r.trace)
        self.assertEqual(self.exit_event(events)["status"], 126)

    def test_directory_as_command_gives_126(self):
        os.mkdir(self.path("adir"))
        r = self.record([self.path("adir")])
        self.assertEqual(r.returncode, 126, r.describe())


class RecorderFailureTest(RecordTestCase):

    def assert_usage_error(self, argv, must_name, extra_env=None):
        r = self.run_argv(argv, extra_env=extra_env)
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(must_name.encode(), r.stderr, "message should name %r" % must_name)
        self.assertEqual(r.stdout, b"", "the child must not have run")
        return r

    def test_bad_flag(self):
        self.assert_usage_error([RECORD_BIN, "--no-such-flag", "--"] + py_fixture("exit_code.py", 0),
                                "--no-such-flag")

    def test_bad_short_flag(self):
        self.assert_usage_error([RECORD_BIN, "-Z"] + py_fixture("exit_code.py", 0), "-Z")

    def test_bad_grace_value(self):
        self.assert_usage_error([RECORD_BIN, "--grace", "soon", "--"] + py_fixture("exit_code.py", 0),
                                "--grace")

    def test_missing_option_argument(self):
        self.assert_usage_error([RECORD_BIN, "-o"], "-o")

    def test_missing_command(self):
        r = self.run_argv([RECORD_BIN, "-o", self.path("t.ctrace")])
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertTrue(r.stderr.strip(), "expected a message")

    def test_bad_capture_io_value(self):
        self.assert_usage_error(self.recorder_argv(py_fixture("exit_code.py", 0)),
                                "CTEST_CAPTURE_IO", extra_env={"CTEST_CAPTURE_IO": "maybe"})

    def test_unwritable_output_path(self):
        bad = self.path("no-such-dir", "sub", "t.ctrace")
        r = self.assert_usage_error(self.recorder_argv(py_fixture("exit_code.py", 0), trace=bad), bad)
        self.assertIn(b"No such file or directory", r.stderr, "errno text expected")

    def test_output_path_is_a_directory(self):
        r = self.run_argv(self.recorder_argv(py_fixture("exit_code.py", 0), trace=self.tmp))
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(self.tmp.encode(), r.stderr)

    def test_dev_full_child_succeeds_gives_125(self):
        out = b"console output must survive a full disk\n" * 100
        r = self.record(py_fixture("emit_bytes.py", "out:" + out.hex(), "err:" + b"err\n".hex()),
                        trace="/dev/full")
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertEqual(r.stdout, out, "the child ran and its console output is intact")
        self.assertIn(b"err\n", r.stderr, r.describe())
        self.assertIn(b"incomplete", r.stderr.lower(), "message must say the trace is incomplete")

    def test_dev_full_child_fails_child_status_wins(self):
        r = self.record(py_fixture("exit_code.py", 7), trace="/dev/full")
        self.assertEqual(r.returncode, 7, r.describe())
        self.assertEqual(r.stdout, b"exit_code: exiting with 7\n")
        self.assertIn(b"incomplete", r.stderr.lower(), "message must say the trace is incomplete")

    def test_dev_full_large_output_still_reaches_console(self):
        # Far beyond any buffer: the writer failing must not stall the child.
        size = 4 * 1024 * 1024
        r = self.record(py_fixture("random_data.py", size), trace="/dev/full", timeout=60)
        self.assertEqual(r.returncode, 125, r.describe()[:2000])
        self.assertEqual(len(r.stdout), size)


class OptionParsingTest(RecordTestCase):

    def argv_script(self):
        path = self.path("show-args.sh")
        with open(path, "w") as f:
            f.write('#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\n')
        os.chmod(path, 0o755)
        return path

    def test_options_end_with_double_dash(self):
        script = self.argv_script()
        r = self.record([script, "-v", "-q", "--", "-o", "x"], dashdash=True)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, b"[-v]\n[-q]\n[--]\n[-o]\n[x]\n")
        info, events = self.assert_complete(r.trace)
        self.assertEqual(info["start"]["argv"], [script, "-v", "-q", "--", "-o", "x"])

    def test_options_end_at_first_non_option_word(self):
        script = self.argv_script()
        r = self.record([script, "-v", "--grace", "9", "-o", self.path("other.ctrace")],
                        dashdash=False)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, ("[-v]\n[--grace]\n[9]\n[-o]\n[%s]\n" % self.path("other.ctrace")).encode())
        self.assertFalse(os.path.exists(self.path("other.ctrace")),
                         "the child's -o must not be taken by the recorder")
        info, _ = self.assert_complete(r.trace)
        self.assertEqual(info["start"]["argv"][1:], ["-v", "--grace", "9", "-o", self.path("other.ctrace")])
        self.assertIn(info["start"]["executable"], (script, os.path.realpath(script)))

    def test_python_fixture_gets_its_flags(self):
        for dashdash in (True, False):
            with self.subTest(dashdash=dashdash):
                r = self.record(py_fixture("print_argv.py", "-v", "-n", "--no-capture-io"),
                                dashdash=dashdash, trace="t%d.ctrace" % dashdash)
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertEqual(json.loads(r.stdout), ["-v", "-n", "--no-capture-io"])
                info, events = self.assert_complete(r.trace)
                self.assertTrue(info["start"]["capture_io"])
                self.assertEqual(self.stream_from_events(events, "stdout"), r.stdout)

    def test_help_and_version(self):
        for flag in ("-h", "--help"):
            r = self.run_argv([RECORD_BIN, flag])
            self.assertEqual(r.returncode, 0, r.describe())
            self.assertIn(b"--no-capture-io", r.stdout + r.stderr)
        r = self.run_argv([RECORD_BIN, "--version"])
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertTrue((r.stdout + r.stderr).strip())


if __name__ == "__main__":
    unittest.main()
