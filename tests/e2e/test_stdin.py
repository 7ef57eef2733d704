"""stdin handling: forwarded pipes, regular files with a shared offset, /dev/null, terminals,
and a console mirror that is live (not flushed at exit)."""
import json
import os
import pty
import subprocess
import unittest

from ctr_helpers import (RECORD_BIN, RecordTestCase, deterministic_bytes, py_fixture, sha256)


class StdinPipeTest(RecordTestCase):

    def test_10_mib_stdin_through_a_pipe_is_forwarded_byte_exact(self):
        data = deterministic_bytes(10 * 1024 * 1024, seed=10)
        r = self.record(py_fixture("echo_stdin.py"), input=data, timeout=90)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        want_report = ("echo_stdin: %d bytes sha256 %s\n" % (len(data), sha256(data))).encode()
        self.assertEqual(r.stderr, want_report, "what the child read (its own report)")
        self.assertEqual(len(r.stdout), len(data))
        self.assertEqual(sha256(r.stdout), sha256(data), "child's echo on the console")
        info = self.info(r.trace)
        self.assertTrue(info["complete"])
        self.assertEqual(sha256(self.cat(r.trace, "stdin")), sha256(data), "recorded stdin")
        self.assertEqual(sha256(self.cat(r.trace, "stdout")), sha256(data), "recorded stdout")
        self.assertEqual(info["streams"]["stdin"]["bytes"], len(data))
        self.assertEqual(info["end"]["counters"]["bytes"]["stdin"], len(data))
        self.assertEqual(info["start"]["stdin_mode"], "forwarded")
        self.assertEqual(info["start"]["isatty"], [False, False, False])

    def test_child_exits_without_reading_stdin_nothing_hangs(self):
        # The recorder's stdin stays open (we never close it): the recorder must still
        # finish when the child exits.
        proc = self.popen(self.recorder_argv(py_fixture("exit_code.py", 3)))
        out = self.read_to_eof(proc.stdout.fileno(), timeout=30)
        self.assertEqual(self.wait_proc(proc, timeout=30), 3, self.read_log(proc))
        self.assertEqual(out, b"exit_code: exiting with 3\n")
        info = self.info(self.path("t.ctrace"))
        self.assertTrue(info["complete"])
        self.assertEqual(info["exit"]["status"], 3)

    def test_child_exits_without_reading_10_mib_of_stdin(self):
        data = deterministic_bytes(10 * 1024 * 1024, seed=11)
        r = self.record(py_fixture("exit_code.py", 0), input=data, timeout=60)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"exit_code: exiting with 0\n")
        info, _ = self.assert_complete(r.trace)
        recorded = self.cat(r.trace, "stdin")
        # Whatever was forwarded (read-ahead is allowed) is a prefix of what we sent.
        self.assertEqual(recorded, data[:len(recorded)])

    def test_smoke_script(self):
        # fixtures/stdout_script.py is the manual smoke test; make sure it keeps working.
        r = self.record(py_fixture("stdout_script.py"), input=b"first\nsecond\n")
        self.assertEqual(r.status, 0, r.describe())
        self.assertIn(b"you said: first\nyou said: second\n", r.stdout)
        self.assertIn(b"read 2 line(s), bye\n", r.stdout)
        self.assertIn(b"stderr line 3\n", r.stderr)
        self.assert_streams(r.trace, stdout=r.stdout, stderr=r.stderr, stdin=b"first\nsecond\n")

    def test_live_mirror_prompt_visible_before_any_input(self):
        proc = self.popen(self.recorder_argv(py_fixture("prompt_wait.py")))
        fd = proc.stdout.fileno()
        # Nothing is written to stdin until the prompt has reached the recorder's stdout.
        seen = self.read_until(fd, b"name? ", timeout=20)
        self.assertEqual(seen, b"name? ")
        proc.stdin.write(b"world\n")
        proc.stdin.flush()
        seen = self.read_to_eof(fd, timeout=30, buf=seen)
        proc.stdin.close()
        self.assertEqual(self.wait_proc(proc), 0, self.read_log(proc))
        self.assertEqual(seen, b"name? hello, world\n")
        info, events = self.assert_streams(self.path("t.ctrace"), stdout=b"name? hello, world\n",
                                           stdin=b"world\n", stderr=b"")
        ios = self.of_kind(events, "io")
        prompt_t = min(e["t_ns"] for e in ios if e["stream"] == "stdout")
        stdin_t = min(e["t_ns"] for e in ios if e["stream"] == "stdin")
        self.assertLess(prompt_t, stdin_t, "the prompt must be recorded before the answer")


class StdinFileTest(RecordTestCase):

    def write_file(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_regular_file_is_handed_to_the_child_and_consumed_bytes_recorded(self):
        data = deterministic_bytes(1024 * 1024 + 17, seed=3)
        path = self.write_file("input.bin", data)
        with open(path, "rb") as f:
            r = self.record(py_fixture("echo_stdin.py"), stdin=f)
        self.assertEqual(r.status, 0, r.describe()[:3000])
        self.assertEqual(sha256(r.stdout), sha256(data))
        info, _ = self.assert_streams(r.trace, stdin=data, stdout=data)
        self.assertEqual(info["start"]["stdin_mode"], "file")

    def test_child_sees_the_file_itself_as_fd_0(self):
        path = self.write_file("input.txt", b"abc\n")
        with open(path, "rb") as f:
            r = self.record(py_fixture("fd_list.py"), stdin=f)
        self.assertEqual(r.status, 0, r.describe())
        fds = json.loads(r.stdout)["fds"]
        self.assertEqual(fds["0"], os.path.realpath(path), "child's stdin: %r" % fds)

    def test_partial_read_leaves_shared_offset_and_records_only_consumed_bytes(self):
        path = self.write_file("lines.txt", b"first line\nsecond line\nthird\n")
        with open(path, "rb") as f:
            r = self.record(py_fixture("read_one_line.py"), stdin=f)
            offset = os.lseek(f.fileno(), 0, os.SEEK_CUR)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"read_one_line: first line\n")
        self.assertEqual(offset, len(b"first line\n"), "shared file offset after the run")
        self.assert_streams(r.trace, stdin=b"first line\n", stdout=r.stdout)

    def test_starting_offset_is_respected(self):
        # The recorded stdin is what the child consumed, from where the offset was at start.
        path = self.write_file("lines.txt", b"skip me\nread me\nleave me\n")
        with open(path, "rb") as f:
            os.lseek(f.fileno(), len(b"skip me\n"), os.SEEK_SET)
            r = self.record(py_fixture("read_one_line.py"), stdin=f)
            offset = os.lseek(f.fileno(), 0, os.SEEK_CUR)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"read_one_line: read me\n")
        self.assertEqual(offset, len(b"skip me\nread me\n"))
        self.assert_streams(r.trace, stdin=b"read me\n", stdout=r.stdout)

    def run_loop(self, child_fixture, nlines):
        lines = ["case-%02d" % i for i in range(nlines)]
        self.write_file("list", ("\n".join(lines) + "\n").encode())
        os.mkdir(self.path("traces"))
        script = r'''
set -u
n=0
while IFS= read -r t; do
  n=$((n+1))
  echo "loop: $t"
  "$REC" -q -o "traces/$n.ctrace" -- "$PY" "$FIX" "$t" || echo "loop: status $?"
done < list
echo "loop: done after $n"
'''
        env = dict(os.environ, REC=RECORD_BIN, PY=py_fixture(child_fixture)[0],
                   FIX=py_fixture(child_fixture)[1])
        r = self.run_argv(["bash", "-c", script], env=env)
        self.assertEqual(r.status, 0, r.describe())
        return lines, r

    def test_while_read_loop_sees_every_line(self):
        lines, r = self.run_loop("print_argv.py", 6)
        want = b"".join(b"loop: %s\n[\"%s\"]\n" % (t.encode(), t.encode()) for t in lines)
        want += b"loop: done after 6\n"
        self.assertEqual(r.stdout, want)
        for n, t in enumerate(lines, 1):
            trace = self.path("traces", "%d.ctrace" % n)
            info, _ = self.assert_streams(trace, stdin=b"", stdout=("[\"%s\"]\n" % t).encode())
            self.assertEqual(info["start"]["stdin_mode"], "file")

    def test_while_read_loop_child_consuming_one_line_each(self):
        lines, r = self.run_loop("read_one_line.py", 6)
        # The loop reads lines 0, 2, 4; each child consumes exactly the next one.
        want = b""
        for i in range(0, 6, 2):
            want += b"loop: %s\nread_one_line: %s\n" % (lines[i].encode(), lines[i + 1].encode())
        want += b"loop: done after 3\n"
        self.assertEqual(r.stdout, want)
        for n in range(1, 4):
            trace = self.path("traces", "%d.ctrace" % n)
            consumed = ("%s\n" % lines[2 * n - 1]).encode()
            self.assert_streams(trace, stdin=consumed,
                                stdout=b"read_one_line: " + consumed)


class NoStdinTest(RecordTestCase):

    def check(self, flag):
        path = self.path("input.txt")
        with open(path, "wb") as f:
            f.write(b"must not be read\n")
        with open(path, "rb") as f:
            r = self.record(py_fixture("fd_list.py"), options=[flag], stdin=f)
            offset = os.lseek(f.fileno(), 0, os.SEEK_CUR)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(json.loads(r.stdout)["fds"]["0"], "/dev/null")
        self.assertEqual(offset, 0, "the recorder must not touch its stdin with %s" % flag)
        info, _ = self.assert_streams(r.trace, stdin=b"", stdout=r.stdout)
        self.assertEqual(info["start"]["stdin_mode"], "null")

    def test_short_flag(self):
        self.check("-n")

    def test_long_flag(self):
        self.check("--no-stdin")

    def test_no_stdin_with_a_pipe_that_never_closes(self):
        proc = self.popen(self.recorder_argv(py_fixture("echo_stdin.py"), options=["-n"]))
        out = self.read_to_eof(proc.stdout.fileno(), timeout=30)
        self.assertEqual(self.wait_proc(proc, timeout=30), 0, self.read_log(proc))
        self.assertEqual(out, b"")


class StdinTerminalTest(RecordTestCase):

    def test_terminal_stdin_is_forwarded_and_recorded(self):
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        try:
            proc = self.popen(self.recorder_argv(py_fixture("read_one_line.py")), stdin=slave)
        finally:
            os.close(slave)
        os.write(master, b"typed on a tty\n")
        out = self.read_to_eof(proc.stdout.fileno(), timeout=30)
        # The terminal stays open: the recorder must not wait for more input.
        self.assertEqual(self.wait_proc(proc, timeout=30), 0, self.read_log(proc))
        self.assertEqual(out, b"read_one_line: typed on a tty\n")
        info = self.info(self.path("t.ctrace"))
        self.assertTrue(info["complete"])
        self.assertEqual(info["start"]["isatty"], [True, False, False])
        self.assertEqual(info["start"]["stdin_mode"], "forwarded")
        self.assertTrue(self.cat(self.path("t.ctrace"), "stdin").startswith(b"typed on a tty\n"))


if __name__ == "__main__":
    unittest.main()
