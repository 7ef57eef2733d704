"""ctest-trace play and export on real recordings (docs/cli.md): play writes the exact bytes
with the recorded pauses (scaled by --speed, capped by --max-wait; loose bounds only);
export --format asciicast makes a cast that Debian's asciinema plays (`asciinema cat`, run on
a pty this test creates, since asciinema opens /dev/tty); export --format text strips
escape sequences."""
import errno
import json
import os
import pty
import select
import time
import unittest

from ctr_helpers import TIMEOUT, TRACE_BIN, RecordTestCase, py_fixture

ASCIINEMA = "/usr/bin/asciinema"  # Debian's package (ci/install-deps.sh); has its own shebang

HELLO = "héllo \x1b[1mbold\x1b[0m\n".encode()


def run_on_pty(argv, timeout=TIMEOUT):
    """Runs argv in a new session whose controlling terminal is a fresh pty; returns (status,
    everything it wrote to the terminal)."""
    pid, fd = pty.fork()  # the child: setsid() and the pty's slave as fds 0/1/2 and /dev/tty
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError as e:  # EIO: the child closed the terminal
                if e.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            out += data
    finally:
        os.close(fd)
    if time.monotonic() >= deadline:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


class TraceExportTest(RecordTestCase):

    def recorded(self, gap=0.5):
        r = self.record(py_fixture("paced_output.py", gap))
        self.assertEqual(r.status, 0, r.describe())
        return r.trace

    def test_play_writes_exact_bytes_with_the_recorded_pauses(self):
        trace = self.recorded(0.5)
        start = time.monotonic()
        r = self.run_argv([TRACE_BIN, "play", "--speed", "5", trace])
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, HELLO + b"world\n")
        self.assertEqual(r.stderr, b"warn\n")
        self.assertGreaterEqual(elapsed, 0.08, "a 0.5 s pause at --speed 5 takes about 0.1 s")
        self.assertLess(elapsed, 2.0)

    def test_play_max_wait_caps_the_pauses(self):
        trace = self.recorded(0.5)
        start = time.monotonic()
        # Uncapped, --speed 0.25 would make the 0.5 s pause last 2 s.
        r = self.run_argv([TRACE_BIN, "play", "--speed", "0.25", "--max-wait", "0", trace])
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, HELLO + b"world\n")
        self.assertLess(elapsed, 1.5)

    def test_play_usage_errors(self):
        trace = self.recorded(0)
        for args in (["--speed", "0"], ["--speed", "-2"], ["--max-wait", "x"]):
            with self.subTest(args=args):
                rc, out, err = self.trace_tool(["play"] + args + [trace])
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, b"")
                self.assertIn(b"ctest-trace: error:", err)

    def test_asciicast_is_valid_and_asciinema_plays_it(self):
        trace = self.recorded(0.5)
        cast = self.path("run.cast")
        rc, out, err = self.trace_tool(["export", "--format", "asciicast", "-o", cast, trace])
        self.assertEqual((rc, out), (0, b""), err)
        with open(cast, "rb") as f:
            lines = f.read().decode("utf-8").splitlines()
        header = json.loads(lines[0])
        self.assertEqual(header["version"], 2)
        self.assertEqual((header["width"], header["height"]), (80, 24), "pipe recording")
        self.assertIsInstance(header["timestamp"], int)
        self.assertIn("paced_output.py", header["command"])
        events = [json.loads(line) for line in lines[1:]]
        self.assertTrue(all(e[1] == "o" for e in events), events)
        times = [e[0] for e in events]
        self.assertEqual(times, sorted(times))
        self.assertGreaterEqual(times[-1] - times[0], 0.4, "the pause is kept")
        output = "".join(e[2] for e in events)
        # stdout and stderr are separate pipes: "world" and "warn" may come in either order.
        self.assertEqual(sorted(output.splitlines(keepends=True)),
                         ["h\u00e9llo \x1b[1mbold\x1b[0m\r\n", "warn\r\n", "world\r\n"])
        # The same file on stdout.
        rc, out, err = self.trace_tool(["export", "--format", "asciicast", trace])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.decode("utf-8").splitlines(), lines)

        if not os.access(ASCIINEMA, os.X_OK):
            self.skipTest("%s not installed (ci/install-deps.sh installs asciinema)" % ASCIINEMA)
        status, shown = run_on_pty([ASCIINEMA, "cat", cast])
        self.assertEqual(status, 0, shown)
        self.assertIn("héllo \x1b[1mbold\x1b[0m".encode(), shown)
        self.assertIn(b"world", shown)
        self.assertIn(b"warn", shown)

    def test_text_export_strips_escape_sequences(self):
        trace = self.recorded(0)
        rc, text, err = self.trace_tool(["export", "--format", "text", trace])
        self.assertEqual(rc, 0, err)
        lines = text.decode("utf-8").splitlines(keepends=True)
        self.assertEqual(lines[0], "héllo bold\n")
        self.assertEqual(sorted(lines[1:]), ["warn\n", "world\n"], "either order (two pipes)")
        target = self.path("out.txt")
        rc, out, err = self.trace_tool(["export", "--format", "text", "-o", target, trace])
        self.assertEqual((rc, out), (0, b""), err)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), text)

    def test_export_usage_and_environment_errors(self):
        trace = self.recorded(0)
        rc, _, err = self.trace_tool(["export", trace])
        self.assertEqual(rc, 2, err)
        rc, _, err = self.trace_tool(["export", "--format", "gif", trace])
        self.assertEqual(rc, 2, err)
        rc, _, err = self.trace_tool(["export", "--format", "text", "-o",
                                      self.path("no", "such", "dir", "x.txt"), trace])
        self.assertEqual(rc, 3, err)


if __name__ == "__main__":
    unittest.main()
