"""ctest-record --order=exact end to end, with the real preload shim (libctrecord_order.so):
the trace's stdout and stderr chunks are in the order they were written, with the writing
pid and tid; bytes written without the shim are kept, flagged unsequenced.

Skipped when the shim is not built. CTR_ORDER_RUNS sets how many times the many-writers
fixture is recorded (default 10; the stress target uses 1000)."""
import json
import os
import re
import subprocess
import sys
import unittest

from ctr_helpers import (FIXTURES_DIR, PYTHON, RECORD_BIN, RecordTestCase, bin_fixture,
                         io_payload)

REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(
    os.path.dirname(RECORD_BIN), "ctest-replay")

SHIM = os.environ.get("CTEST_RECORD_SHIM") or os.path.normpath(
    os.path.join(os.path.dirname(RECORD_BIN), "..", "recorder", "libctrecord_order.so"))
RUNS = int(os.environ.get("CTR_ORDER_RUNS", "10"))
PACKAGE_DIR = os.environ.get("CTEST_RECORD_PYTHONPATH") or os.path.join(
    os.path.dirname(FIXTURES_DIR), "harness", "python")

ALTERNATE = r"""
import subprocess, sys
def lines(first, last):
    for i in range(first, last):
        print("o%d" % i, flush=True)
        print("e%d" % i, file=sys.stderr, flush=True)
lines(0, 50)
# A child that lost the inherited descriptor (close_fds) finds the shared memory through
# /proc/<recorder>/fd/N.
code = "import sys\nfor i in range(50, 100):\n print('o%d' % i, flush=True)\n print('e%d' % i, file=sys.stderr, flush=True)\n"
subprocess.run([sys.executable, "-c", code], close_fds=True, check=True)
"""


def output_chunks(events):
    return [e for e in events if e["kind"] == "io" and e["stream"] in ("stdout", "stderr")]


@unittest.skipUnless(os.path.isfile(SHIM), "the --order=exact shim is not built: %s" % SHIM)
class ExactOrderTest(RecordTestCase):

    def setUp(self):
        super().setUp()
        self.env = dict(os.environ)
        for name in ("CTEST_RECORD_ORDER", "LD_PRELOAD", "CTEST_RECORD_SEQUENCER",
                     "CTEST_RECORD_CONTROL"):
            self.env.pop(name, None)
        self.env["CTEST_RECORD_SHIM"] = SHIM

    def record_exact(self, command, trace="t.ctrace", order="exact", **kw):
        r = self.record(command, ["--order=" + order], trace=trace, env=self.env, **kw)
        self.assertEqual(r.status, 0, r.describe())
        info, events = self.assert_complete(r.trace)
        self.assertBytesEqual(self.stream_from_events(events, "stdout"), r.stdout, "stdout")
        self.assertBytesEqual(self.stream_from_events(events, "stderr"), r.stderr, "stderr")
        return r, events

    def assert_all_exact_in_order(self, events):
        last = 0
        for e in output_chunks(events):
            self.assertEqual(e.get("order"), "exact", e)
            self.assertGreaterEqual(e["seq"], last, e)
            last = e["seq"] + e["writes"] - 1

    @staticmethod
    def merged_lines(events):
        """(stream, line) in trace order (a line may come in several writes: print() without
        buffering writes the text and the newline apart)."""
        runs = []
        for e in output_chunks(events):
            if runs and runs[-1][0] == e["stream"]:
                runs[-1][1] += io_payload(e)
            else:
                runs.append([e["stream"], io_payload(e)])
        return [(stream, line) for stream, data in runs for line in data.decode().splitlines()]

    def test_many_threads_and_processes_are_recorded_in_their_write_order(self):
        modes = "write,writev,stdio,dprintf,cout"
        for run in range(RUNS):
            r, events = self.record_exact(bin_fixture("order_writer", "--modes", modes),
                                          trace="run%d.ctrace" % run)
            self.assert_all_exact_in_order(events)
            counters = []
            for e in output_chunks(events):
                for line in io_payload(e).decode().splitlines():
                    counter, pid, tid, letter = line.split()
                    self.assertEqual((int(pid), int(tid)), (e["producer"], e["tid"]), line)
                    self.assertEqual(letter, "o" if e["stream"] == "stdout" else "e", line)
                    counters.append(int(counter))
            self.assertEqual(counters, list(range(4 * 8 * 100)), "run %d out of order" % run)
            os.unlink(r.trace)

    def test_read_order_keeps_no_order_fields(self):
        # For the docs: how often the order a reader sees differs from the write order.
        differing = 0
        for run in range(RUNS):
            r, events = self.record_exact(bin_fixture("order_writer"), order="read",
                                          trace="read%d.ctrace" % run)
            self.assertFalse([e for e in output_chunks(events) if "order" in e])
            counters = [int(line.split()[0]) for _, line in self.merged_lines(events)]
            differing += counters != sorted(counters)
            os.unlink(r.trace)
        sys.stderr.write("\n[read order: %d of %d runs out of write order] " % (differing, RUNS))

    def test_python_prints_and_a_child_that_closed_its_descriptors(self):
        r, events = self.record_exact([PYTHON, "-c", ALTERNATE])
        self.assert_all_exact_in_order(events)
        want = []
        for i in range(100):
            want += [("stdout", "o%d" % i), ("stderr", "e%d" % i)]
        self.assertEqual(self.merged_lines(events), want)
        start = self.start_event(events)
        pids = {e["producer"] for e in output_chunks(events)}
        self.assertEqual(len(pids), 2)  # the command and its child
        self.assertIn(start["child_pid"], pids)

    def test_a_duplicated_descriptor_is_sequenced_too(self):
        r, events = self.record_exact(["sh", "-c", "exec 3>&2; echo a; echo b >&3; echo c"])
        self.assert_all_exact_in_order(events)
        self.assertEqual(self.merged_lines(events),
                         [("stdout", "a"), ("stderr", "b"), ("stdout", "c")])

    def test_a_static_binary_is_unsequenced_with_every_byte_kept(self):
        ldconfig = "/sbin/ldconfig"
        probe = subprocess.run(["file", "-L", ldconfig], capture_output=True)
        if probe.returncode != 0 or b"static" not in probe.stdout:
            self.skipTest("no static %s here" % ldconfig)
        r, events = self.record_exact(
            ["sh", "-c", "echo before; %s --version; echo after" % ldconfig])
        chunks = output_chunks(events)
        orders = [(e["order"], io_payload(e)) for e in chunks]
        self.assertEqual(orders[0], ("exact", b"before\n"))
        self.assertEqual(orders[-1], ("exact", b"after\n"))
        middle = b"".join(data for order, data in orders[1:-1])
        self.assertEqual({order for order, _ in orders[1:-1]}, {"unsequenced"})
        self.assertTrue(middle.startswith(b"ldconfig"), middle[:100])
        info = self.info(r.trace)
        summary = [n for n in self.of_kind(events, "note") if n["text"].startswith("order: exact:")]
        self.assertEqual(len(summary), 1)
        self.assertIn("2 sequenced writes", summary[0]["text"])
        self.assertIn("%d bytes" % len(middle), summary[0]["text"])
        self.assertTrue(info)

    def replay(self, *args):
        return self.run_argv([REPLAY_BIN] + [str(a) for a in args], env=self.env)

    def test_replay_merged_compares_write_order_with_write_order(self):
        # Many alternating lines with no delay: read order would swap some of them (see
        # test_read_order_keeps_no_order_fields), so only an exact replay can say "same"
        # again and again.
        program = ("import os\n"
                   "for i in range(300):\n"
                   "    os.write(1, b'o%d\\n' % i)\n"
                   "    os.write(2, b'e%d\\n' % i)\n")
        r, events = self.record_exact([PYTHON, "-c", program])
        self.assert_all_exact_in_order(events)
        for _ in range(5):
            same = self.replay("--merged", r.trace)
            self.assertEqual(same.status, 0, same.describe())
            self.assertNotIn(b"read order", same.stdout + same.stderr)
        # The same lines, but each pair written stderr first: per stream nothing changed, the
        # merged order did.
        swapped = program.replace("os.write(1, b'o%d\\n' % i)\n    os.write(2, b'e%d\\n' % i)",
                                  "os.write(2, b'e%d\\n' % i)\n    os.write(1, b'o%d\\n' % i)")
        self.assertNotEqual(swapped, program)
        per_stream = self.replay(r.trace, "--", PYTHON, "-c", swapped)
        self.assertEqual(per_stream.status, 0, per_stream.describe())
        merged = self.replay("--merged", r.trace, "--", PYTHON, "-c", swapped)
        self.assertEqual(merged.status, 1, merged.describe())
        self.assertIn(b"merged", merged.stdout + merged.stderr)


    def test_two_different_copies_of_the_shim_in_one_process_do_not_deadlock(self):
        # An installed ctest-record recording a job that runs another one (with its own
        # libctrecord_order.so): both copies are preloaded into the inner command and share
        # one sequencer. The inner copy's lock call must see the lock its thread holds.
        import shutil
        copy = os.path.join(self.tmp, "copy", "libctrecord_order.so")
        os.makedirs(os.path.dirname(copy))
        shutil.copy(SHIM, copy)
        env = dict(self.env)
        env["CTEST_RECORD_SHIM"] = copy
        # In a sanitizer build the inner ctest-record runs with the outer shim preloaded.
        asan = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        inner = [RECORD_BIN, "-q", "--order=exact", "-o", os.path.join(self.tmp, "inner.ctrace"),
                 "--", "sh", "-c", "echo out; echo err >&2; echo out2"]
        inner_env = "CTEST_RECORD_SHIM=%s" % SHIM
        r = self.record(["env", inner_env] + inner, ["--order=exact"], env=env, timeout=60)
        self.assertEqual(r.status, 0, r.describe())
        self.assertEqual(r.stdout, b"out\nout2\n")
        self.assertEqual(r.stderr, b"err\n")

    def test_writev_errors_and_fortified_dprintf_are_those_of_libc(self):
        # ctypes resolves writev and __dprintf_chk through the global scope: the shim's.
        program = (
            "import ctypes, os\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.writev(1, None, 3); print('writev', r, os.strerror(ctypes.get_errno()))\n"
            "r = libc.writev(1, None, -1); print('writev', r, os.strerror(ctypes.get_errno()))\n"
            "n = libc.__dprintf_chk(2, 1, b'chk %d\\n', 42); print('dprintf_chk', n, flush=True)\n")
        plain = subprocess.run([PYTHON, "-c", program], capture_output=True, env=self.env)
        r, events = self.record_exact([PYTHON, "-c", program])
        self.assertEqual((r.stdout, r.stderr), (plain.stdout, plain.stderr))
        self.assertIn(b"writev -1 Bad address", r.stdout)
        self.assertIn(b"writev -1 Invalid argument", r.stdout)
        chk = [e for e in output_chunks(events) if io_payload(e) == b"chk 42\n"]
        self.assertEqual([e["order"] for e in chk], ["exact"])

    def test_unittest_output_keeps_the_context_of_its_test(self):
        suite = os.path.join(FIXTURES_DIR, "unittest_suite")
        env = dict(self.env)
        env["PYTHONPATH"] = PACKAGE_DIR
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        r = self.record([PYTHON, "-m", "ctest_record.unittest", "test_unit_suite"],
                        ["--order=exact"], env=env, cwd=suite)
        self.assertEqual(r.status, 1, r.describe())  # the suite has deliberate failures
        _, events = self.assert_complete(r.trace)
        self.assertTrue(self.of_kind(events, "test"))
        marks = 0
        for e in output_chunks(events):
            self.assertIn(e.get("order"), ("exact", "unsequenced"), e)
            for m in re.finditer(rb"<<([^>]*)>>", io_payload(e)):
                self.assertEqual(m.group(1).decode(), e["context"], e)
                marks += 1
        self.assertGreater(marks, 10)


if __name__ == "__main__":
    unittest.main()
