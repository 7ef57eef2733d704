"""Lossless capture: bytes the fixture wrote == bytes in the trace == bytes on the console."""
import json
import os
import re
import unittest

from ctr_helpers import (RecordTestCase, bin_fixture, deterministic_bytes, py_fixture, sha256)

ALL_BYTES = bytes(range(256))
INVALID_UTF8 = b"\xff\xfe\xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xc0\xaf"


class ExactBytesTest(RecordTestCase):

    def test_nul_invalid_utf8_all_byte_values_no_final_newline(self):
        segments = [
            ("out", b"hello\x00world\n"),
            ("err", INVALID_UTF8),
            ("out", ALL_BYTES),
            ("err", b"\x00\x00 stderr with NULs\n"),
            ("out", b"caf\xc3\xa9 \xe2\x9c\x93 then a lone \x80 and no final newline"),
            ("err", b"stderr also ends without newline"),
        ]
        want_out = b"".join(d for s, d in segments if s == "out")
        want_err = b"".join(d for s, d in segments if s == "err")
        args = ["%s:%s" % (s, d.hex()) for s, d in segments]
        r = self.record(py_fixture("emit_bytes.py", *args))
        self.assertEqual(r.status, 0, r.describe())
        self.assertBytesEqual(r.stdout, want_out, "console stdout")
        # -q: nothing but the child's bytes on the console's stderr.
        self.assertBytesEqual(r.stderr, want_err, "console stderr")
        info, events = self.assert_streams(r.trace, stdout=want_out, stderr=want_err, stdin=b"")
        # Every io event is either valid-UTF-8 text or base64, never both, and names a stream.
        for e in self.of_kind(events, "io"):
            self.assertIn(e["stream"], ("stdin", "stdout", "stderr"))
            self.assertEqual(("text" in e) + ("base64" in e), 1, e)
            self.assertIsInstance(e["t_ns"], int)
        # Bytes that are not UTF-8 must come as base64 (nothing replaced with U+FFFD).
        self.assertTrue(any("base64" in e for e in self.of_kind(events, "io")),
                        "invalid UTF-8 was recorded but no io event uses base64")
        for e in self.of_kind(events, "io"):
            if "text" in e:
                self.assertNotIn("\ufffd", e["text"])
        exit_ev = self.exit_event(events)
        self.assertTrue(exit_ev["exited"])
        self.assertEqual(exit_ev["code"], 0)
        self.assertEqual(exit_ev["status"], 0)
        self.assertEqual(info["exit"]["status"], 0)

    def test_utf8_chunk_is_text(self):
        data = "gr\u00fc\u00dfe \u2713 \U0001F600 tab\there\n".encode("utf-8")
        r = self.record(py_fixture("emit_bytes.py", "out:" + data.hex()))
        self.assertEqual(r.status, 0, r.describe())
        self.assertBytesEqual(r.stdout, data, "console stdout")
        info, events = self.assert_streams(r.trace, stdout=data, stderr=b"")
        ios = [e for e in self.of_kind(events, "io") if e["stream"] == "stdout"]
        self.assertTrue(ios)
        for e in ios:
            self.assertIn("text", e, "valid UTF-8 should be given as text: %r" % e)
        self.assertEqual("".join(e["text"] for e in ios), data.decode("utf-8"))

    def test_empty_output(self):
        r = self.record(py_fixture("emit_bytes.py"))
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"")
        self.assertEqual(r.stderr, b"")
        info, events = self.assert_streams(r.trace, stdout=b"", stderr=b"", stdin=b"")
        self.assertEqual(info["streams"]["stdout"]["chunks"], 0)

    def test_recorder_messages_never_in_recorded_streams(self):
        # -v makes the recorder chatty; none of it may end up in the child's streams.
        out, err = b"out line\n", b"err line\n"
        r = self.record(py_fixture("emit_bytes.py", "out:" + out.hex(), "err:" + err.hex()),
                        options=["-v"], quiet=False)
        self.assertEqual(r.status, 0, r.describe())
        self.assertBytesEqual(r.stdout, out, "console stdout")
        self.assertTrue(self.recorder_lines(r.stderr), "expected the recorder's own lines on stderr")
        child_err = b"".join(line + b"\n" for line in r.stderr.split(b"\n")[:-1]
                             if not line.startswith(b"ctest-record:"))
        self.assertBytesEqual(child_err, err, "console stderr without the recorder's lines")
        self.assert_streams(r.trace, stdout=out, stderr=err)
        self.assert_no_recorder_text(self.cat(r.trace, "stdout", "stderr"), "the trace")


class LargeOutputTest(RecordTestCase):

    def test_64_mib_stdout(self):
        size = 64 * 1024 * 1024
        r = self.record(py_fixture("random_data.py", size), timeout=120)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        report = r.stderr.decode().split()
        self.assertEqual(len(report), 2, "fixture report on stderr: %r" % r.stderr[:500])
        self.assertEqual(int(report[0]), size)
        want_sha = report[1]
        self.assertEqual(len(r.stdout), size, "console got %d bytes" % len(r.stdout))
        self.assertEqual(sha256(r.stdout), want_sha, "console stdout checksum")
        info = self.info(r.trace)
        self.assertTrue(info["complete"])
        recorded = self.cat(r.trace, "stdout")
        self.assertEqual(len(recorded), size, "trace holds %d stdout bytes" % len(recorded))
        self.assertEqual(sha256(recorded), want_sha, "trace stdout checksum")
        self.assertEqual(info["streams"]["stdout"]["bytes"], size)
        self.assertEqual(info["end"]["counters"]["bytes"]["stdout"], size)
        self.assertEqual(info["streams"]["stderr"]["bytes"], len(r.stderr))
        self.assertEqual(info["end"]["counters"]["dropped_chunks"], 0)
        self.assertEqual(info["end"]["counters"]["dropped_bytes"], 0)
        self.assertEqual(info["exit"]["status"], 0)

    def test_both_streams_interleaved_beyond_pipe_buffer(self):
        # 8 MiB on each stream, alternating 64 KiB pieces: draining one stream before the
        # other would deadlock.
        size = 8 * 1024 * 1024
        report = self.path("report.json")
        r = self.record(py_fixture("random_data.py", size, size, "--seed", 7, "--report", report),
                        timeout=90)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        with open(report) as f:
            want = json.load(f)
        for name, console in (("stdout", r.stdout), ("stderr", r.stderr)):
            self.assertEqual(want[name]["bytes"], size)
            self.assertEqual(len(console), size, "console %s length" % name)
            self.assertEqual(sha256(console), want[name]["sha256"], "console %s checksum" % name)
            recorded = self.cat(r.trace, name)
            self.assertEqual(sha256(recorded), want[name]["sha256"], "trace %s checksum" % name)
        info = self.info(r.trace)
        self.assertTrue(info["complete"])
        self.assertEqual(info["end"]["counters"]["dropped_chunks"], 0)


class NonBlockingConsoleTest(RecordTestCase):

    def test_nonblocking_console_pipe_gets_every_byte(self):
        # The recorder's stdout is a non-blocking pipe that fills up: EAGAIN must be handled
        # (wait and retry), never turned into lost bytes.
        size = 8 * 1024 * 1024
        r_fd, w_fd = os.pipe()
        os.set_blocking(w_fd, False)
        try:
            proc = self.popen(self.recorder_argv(py_fixture("random_data.py", size)), stdin=None,
                              stdout=w_fd)
        finally:
            os.close(w_fd)
        self.addCleanup(os.close, r_fd)
        console = self.read_to_eof(r_fd, timeout=60)
        self.assertEqual(self.wait_proc(proc), 0, self.read_log(proc))
        count, want_sha = self.read_log(proc).split()[:2]
        self.assertEqual(int(count), size)
        self.assertEqual(len(console), size)
        self.assertEqual(sha256(console), want_sha.decode(), "console checksum")
        self.assertEqual(sha256(self.cat(self.path("t.ctrace"), "stdout")), want_sha.decode())


LINE_RE = re.compile(rb"^t(\d\d) line (\d{6}) ([a-z]*)$")


class ThreadedWritersTest(RecordTestCase):
    THREADS = 8
    LINES = 5000

    def check_lines(self, data, what, expect_parity=None):
        """Every line intact, per-thread order kept, counts exact. Returns lines per thread."""
        self.assertTrue(data.endswith(b"\n"), "%s does not end with a newline" % what)
        per_thread = {}
        for raw in data[:-1].split(b"\n"):
            m = LINE_RE.match(raw)
            self.assertIsNotNone(m, "%s: torn or foreign line %r" % (what, raw[:200]))
            t, n, pad = int(m.group(1)), int(m.group(2)), m.group(3)
            want_pad = bytes(ord("a") + (k + t) % 26 for k in range((n * 7 + t) % 64))
            self.assertEqual(pad, want_pad, "%s: damaged padding in %r" % (what, raw[:200]))
            if expect_parity is not None:
                self.assertEqual(n % 2, expect_parity, "%s: line on the wrong stream %r" % (what, raw))
            seq = per_thread.setdefault(t, [])
            if seq:
                self.assertGreater(n, seq[-1], "%s: thread %d out of order (%d after %d)"
                                   % (what, t, n, seq[-1]))
            seq.append(n)
        return per_thread

    def test_eight_threads_stdout(self):
        tw = bin_fixture("thread_writer")
        if not os.access(tw[0], os.X_OK):
            self.fail("fixture not built: %s" % tw[0])
        r = self.record(tw + [self.THREADS, self.LINES], timeout=90)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        self.assertEqual(r.stderr, b"")
        per_thread = self.check_lines(r.stdout, "console stdout")
        self.assertEqual(sorted(per_thread), list(range(self.THREADS)))
        for t, seq in per_thread.items():
            self.assertEqual(seq, list(range(self.LINES)), "thread %d lines" % t)
        # The trace holds exactly what the console got, in the same order.
        self.assert_streams(r.trace, stdout=r.stdout, stderr=b"")

    def test_eight_threads_alternating_stdout_stderr(self):
        tw = bin_fixture("thread_writer")
        if not os.access(tw[0], os.X_OK):
            self.fail("fixture not built: %s" % tw[0])
        r = self.record(tw + [self.THREADS, self.LINES, "both"], timeout=90)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        out = self.check_lines(r.stdout, "console stdout", expect_parity=0)
        err = self.check_lines(r.stderr, "console stderr", expect_parity=1)
        for t in range(self.THREADS):
            self.assertEqual(out[t], list(range(0, self.LINES, 2)), "thread %d stdout lines" % t)
            self.assertEqual(err[t], list(range(1, self.LINES, 2)), "thread %d stderr lines" % t)
        self.assert_streams(r.trace, stdout=r.stdout, stderr=r.stderr)


if __name__ == "__main__":
    unittest.main()
