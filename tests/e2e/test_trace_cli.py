"""ctest-trace on damaged input and its exit statuses: 0 ok, 1 incomplete/damaged (after
printing what it could read, naming the offset), 2 usage, 3 cannot open."""
import json
import os
import re
import unittest

from ctr_helpers import TRACE_BIN, RecordTestCase, py_fixture


class TraceReaderCliTest(RecordTestCase):

    def recorded(self):
        """A complete trace of 3 MiB of incompressible stdout: several frames (frames are
        flushed at ~1 MiB), so cutting it keeps whole frames in front of the cut."""
        r = self.record(py_fixture("random_data.py", 3 * 1024 * 1024))
        self.assertEqual(r.status, 0, r.describe()[:2000])
        info, _ = self.assert_streams(r.trace, stdout=r.stdout)
        self.assertGreaterEqual(info["frames"], 3, "expected several frames: %r" % info["frames"])
        with open(r.trace, "rb") as f:
            return r.trace, f.read(), r.stdout

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_truncated_trace_reports_offset_and_prints_what_it_can(self):
        trace, raw, lines = self.recorded()
        for cut in (len(raw) - 1, len(raw) - 20, len(raw) // 2):
            with self.subTest(cut=cut):
                path = self.write("cut-%d.ctrace" % cut, raw[:cut])
                rc, out, err = self.trace_tool(["events", path])
                self.assertEqual(rc, 1, err)
                first = json.loads(out.split(b"\n")[0]) if out else {}
                self.assertEqual(first.get("kind"), "start", "start event still printed: %r" % out[:200])
                self.assertRegex(err.decode(errors="replace"), r"offset \d+", "message should name the offset")
                info = self.info(path, complete=False)
                self.assertFalse(info["complete"])
                self.assertIsNotNone(info["error_offset"])
                self.assertLessEqual(info["error_offset"], cut)
                rc, out, err = self.trace_tool(["cat", "--stream", "stdout", path])
                self.assertEqual(rc, 1, err)
                self.assertEqual(out, lines[:len(out)], "what cat prints is an exact prefix")

    def test_corrupt_byte_in_a_frame(self):
        trace, raw, lines = self.recorded()
        pos = len(raw) // 2
        damaged = raw[:pos] + bytes([raw[pos] ^ 0xFF]) + raw[pos + 1:]
        path = self.write("corrupt.ctrace", damaged)
        rc, out, err = self.trace_tool(["events", path])
        self.assertEqual(rc, 1, err)
        self.assertRegex(err.decode(errors="replace"), r"offset \d+")
        self.assertEqual(json.loads(out.split(b"\n")[0])["kind"], "start")
        info = self.info(path, complete=False)
        self.assertFalse(info["complete"])
        self.assertIsNotNone(info["error_offset"])
        self.assertLessEqual(info["error_offset"], pos)
        rc, out, err = self.trace_tool(["cat", "--stream", "stdout", path])
        self.assertEqual(rc, 1, err)
        self.assertTrue(out, "frames before the damage are still readable")
        self.assertEqual(out, lines[:len(out)], "nothing after the damage, nothing altered")

    def test_not_a_trace(self):
        path = self.write("garbage.ctrace", b"this is not a trace file at all\n" * 10)
        for cmd in (["info", path], ["events", path], ["cat", path]):
            with self.subTest(cmd=cmd[0]):
                rc, out, err = self.trace_tool(cmd)
                self.assertEqual(rc, 1, err)
                self.assertRegex(err.decode(errors="replace"), r"offset 0\b")

    def test_empty_file(self):
        path = self.write("empty.ctrace", b"")
        rc, out, err = self.trace_tool(["info", path])
        self.assertEqual(rc, 1, err)

    def test_missing_file_exit_3(self):
        missing = self.path("missing.ctrace")
        rc, out, err = self.trace_tool(["info", missing])
        self.assertEqual(rc, 3, err)
        self.assertIn(missing.encode(), err)
        self.assertIn(b"No such file or directory", err)

    def test_usage_errors_exit_2(self):
        trace, _, _ = self.recorded()
        for cmd in ([], ["frobnicate", trace], ["cat", "--stream", "stdlog", trace], ["info"]):
            with self.subTest(cmd=cmd):
                rc, out, err = self.trace_tool(cmd)
                self.assertEqual(rc, 2, err)
                self.assertTrue(err.strip())

    def test_cat_default_and_order(self):
        r = self.record(py_fixture("emit_bytes.py", "out:" + b"A1\n".hex(), "err:" + b"B1\n".hex()))
        self.assertEqual(r.status, 0, r.describe())
        both = self.cat(r.trace)
        self.assertEqual(sorted(both.splitlines()), [b"A1", b"B1"], both)
        self.assertEqual(self.cat(r.trace, "stderr"), b"B1\n")
        self.assertEqual(self.cat(r.trace, "stdin"), b"")

    def test_closed_stdout_ends_by_sigpipe(self):
        # docs/cli.md: `ctest-trace cat t.ctrace | head -c 10` stops quietly with status 141,
        # even when ctest-trace inherited an ignored SIGPIPE.
        trace, raw, lines = self.recorded()
        for prefix in ("", "trap '' PIPE; "):
            with self.subTest(prefix=prefix):
                script = prefix + '"$TB" cat "$T" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"'
                r = self.run_argv(["bash", "-c", script],
                                  env=dict(os.environ, TB=TRACE_BIN, T=trace))
                self.assertEqual(r.stdout, b"141\n", r.describe())
                self.assertEqual(r.stderr, b"", "stops quietly")

    def test_text_info(self):
        r = self.record(py_fixture("exit_code.py", 3))
        rc, out, err = self.trace_tool(["info", r.trace])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.decode(), r"status\W+3\b")
        self.assertIn(b"exit_code.py", out)


if __name__ == "__main__":
    unittest.main()
