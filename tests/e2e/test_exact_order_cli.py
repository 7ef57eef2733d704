"""ctest-record --order=exact|read: the flag, CTEST_RECORD_ORDER, finding the shim, and what
the command gets (LD_PRELOAD, CTEST_RECORD_SEQUENCER, the inherited shared memory).

These tests do not need the preload shim itself: where a shim must be loaded, a library every
process has anyway (the C library) stands in for it through CTEST_RECORD_SHIM, so the
command's output is unsequenced. The ordering itself is tested with the real shim in
test_exact_order.py."""
import os
import pty
import re
import subprocess
import unittest

from ctr_helpers import RECORD_BIN, RecordTestCase, TIMEOUT

SHELL_REPORT = (
    'printf "preload=%s\\n" "$LD_PRELOAD"; '
    'printf "sequencer=%s\\n" "$CTEST_RECORD_SEQUENCER"; '
    'IFS=: read v rpid fd ino <<EOF\n$CTEST_RECORD_SEQUENCER\nEOF\n'
    'if [ -n "$fd" ]; then '
    'printf "own=%s\\n" "$(readlink /proc/self/fd/$fd)"; '
    'printf "recorder=%s\\n" "$(readlink /proc/$rpid/fd/$fd)"; fi; '
    'echo done >&2')


def loaded_library(name_re):
    """Path of a library this Python process has mapped (e.g. the C library), or None."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(name_re, os.path.basename(path)):
                return path
    return None


def report(stdout):
    return dict(line.split("=", 1) for line in stdout.decode().splitlines() if "=" in line)


class ExactOrderCliTest(RecordTestCase):

    def setUp(self):
        super().setUp()
        self.libc = loaded_library(r"^libc[.-].*so")
        if not self.libc or " " in self.libc or ":" in self.libc:
            self.skipTest("no usable C library path in /proc/self/maps")
        self.env = dict(os.environ)
        for name in ("CTEST_RECORD_ORDER", "CTEST_RECORD_SHIM", "LD_PRELOAD",
                     "CTEST_RECORD_SEQUENCER"):
            self.env.pop(name, None)

    def notes(self, trace):
        return [e["text"] for e in self.of_kind(self.events(trace), "note")]

    def test_the_command_loads_the_shim_and_inherits_the_shared_memory(self):
        self.env["CTEST_RECORD_SHIM"] = self.libc
        r = self.record(["sh", "-c", SHELL_REPORT], ["--order=exact"], env=self.env)
        self.assertEqual(r.status, 0, r.describe())
        got = report(r.stdout)
        self.assertEqual(got["preload"], self.libc)
        events = self.events(r.trace)
        start = self.start_event(events)
        m = re.fullmatch(r"1:(\d+):(\d+):(\d+)", got["sequencer"])
        self.assertIsNotNone(m, got)
        self.assertEqual(int(m.group(1)), start["recorder_pid"])
        self.assertGreaterEqual(int(m.group(2)), 3)
        # The command has the memfd at that number, and so has the recorder (for a process
        # that closed it: Python's subprocess close_fds).
        self.assertTrue(got["own"].startswith("/memfd:ctest-record-order"), got)
        self.assertEqual(got["recorder"], got["own"])
        # Nothing of the environment we add reaches the trace's start event.
        names = {v["name"] for v in start["env"]}
        self.assertNotIn("CTEST_RECORD_SEQUENCER", names)
        notes = [e["text"] for e in self.of_kind(events, "note")]
        self.assertIn("order: exact (LD_PRELOAD %s)" % self.libc, notes)
        summary = [n for n in notes if n.startswith("order: exact: ")]
        self.assertEqual(len(summary), 1, notes)
        # No shim really loaded: every byte is kept, flagged unsequenced.
        self.assertIn("0 sequenced writes", summary[0])
        self.assertEqual(self.stream_from_events(events, "stdout"), r.stdout)
        self.assertEqual(self.stream_from_events(events, "stderr"), b"done\n")

    def test_an_existing_ld_preload_is_kept_in_front(self):
        other = loaded_library(r"^libm[.-].*so") or loaded_library(r"^libz[.-].*so")
        if not other:
            self.skipTest("no second library to preload")
        self.env["CTEST_RECORD_SHIM"] = self.libc
        self.env["LD_PRELOAD"] = other
        # ctest-record itself inherits that LD_PRELOAD: an ASan build of it must not refuse to
        # start because a library comes before its runtime.
        asan = self.env.get("ASAN_OPTIONS", "")
        self.env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        r = self.record(["sh", "-c", SHELL_REPORT], ["--order=exact"], env=self.env)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(report(r.stdout)["preload"], other + " " + self.libc)

    def test_ctest_record_order_turns_it_on_and_the_flag_wins(self):
        self.env["CTEST_RECORD_SHIM"] = self.libc
        self.env["CTEST_RECORD_ORDER"] = "exact"
        r = self.record(["sh", "-c", SHELL_REPORT], env=self.env, trace="env.ctrace")
        self.assertEqual(r.status, 0, r.describe())
        self.assertTrue(report(r.stdout)["sequencer"].startswith("1:"))
        self.assertIn("order: exact (LD_PRELOAD %s)" % self.libc, self.notes(r.trace))
        r = self.record(["sh", "-c", SHELL_REPORT], ["--order=read"], env=self.env,
                        trace="flag.ctrace")
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(report(r.stdout), {"preload": "", "sequencer": ""})
        self.assertFalse([n for n in self.notes(r.trace) if n.startswith("order:")])

    def test_read_order_is_the_default_and_leaves_the_environment_alone(self):
        self.env["CTEST_RECORD_SHIM"] = os.path.join(self.tmp, "not-needed.so")
        r = self.record(["sh", "-c", SHELL_REPORT], env=self.env)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(report(r.stdout), {"preload": "", "sequencer": ""})
        self.assertFalse([n for n in self.notes(r.trace) if n.startswith("order:")])

    def test_exact_order_on_a_terminal_mode_is_a_usage_error_naming_the_fix(self):
        self.env["CTEST_RECORD_SHIM"] = self.libc
        for tty in ("always", "stdout"):
            r = self.record(["true"], ["--order=exact", "--tty=" + tty], env=self.env)
            self.assertEqual(r.status, 125, r.describe())
            for words in (b"--tty=" + tty.encode(), b"--tty=never", b"--order=read"):
                self.assertIn(words, r.stderr)
            self.assertFalse(os.path.exists(r.trace), "a trace was written")

    def test_at_a_terminal_auto_means_pipes_in_exact_order(self):
        self.env["CTEST_RECORD_SHIM"] = self.libc
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        try:
            proc = subprocess.Popen(
                self.recorder_argv(["sh", "-c", "[ -t 1 ] && echo tty || echo pipe"],
                                   ["--order=exact"]),
                stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp,
                start_new_session=True)
        finally:
            os.close(slave)
        self._groups.append(proc.pid)
        _, err = proc.communicate(timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, err)
        events = self.events(self.path("t.ctrace"))
        self.assertEqual(self.stream_from_events(events, "stdout"), b"pipe\n")
        self.assertFalse(self.of_kind(events, "terminal"))

    def test_bad_order_values_are_usage_errors(self):
        r = self.record(["true"], ["--order=sorted"], env=self.env)
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(b"--order takes read or exact, not 'sorted'", r.stderr)
        self.env["CTEST_RECORD_ORDER"] = "sorted"
        r = self.record(["true"], env=self.env)
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(b"CTEST_RECORD_ORDER", r.stderr)
        r = self.record(["true"], ["--order=read"], env=self.env)
        self.assertEqual(r.status, 0, r.describe())

    def test_a_missing_shim_is_an_error_naming_the_path(self):
        missing = os.path.join(self.tmp, "missing.so")
        self.env["CTEST_RECORD_SHIM"] = missing
        r = self.record(["true"], ["--order=exact"], env=self.env)
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(missing.encode() + b": No such file or directory", r.stderr)
        self.assertFalse(os.path.exists(r.trace), "a trace was written")
        # Without I/O capture there is nothing to order: no shim is needed.
        r = self.record(["true"], ["--order=exact", "--no-capture-io"], env=self.env,
                        trace="nocapture.ctrace")
        self.assertEqual(r.status, 0, r.describe())
        self.assertTrue(any("--order=exact has no effect" in n for n in self.notes(r.trace)))

    def test_a_shim_path_ld_preload_cannot_carry_is_refused(self):
        folder = os.path.join(self.tmp, "with space")
        os.mkdir(folder)
        shim = os.path.join(folder, "libctrecord_order.so")
        open(shim, "wb").close()
        self.env["CTEST_RECORD_SHIM"] = shim
        r = self.record(["true"], ["--order=exact"], env=self.env)
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(b"space or a colon", r.stderr)
        self.assertIn(shim.encode(), r.stderr)


if __name__ == "__main__":
    unittest.main()
