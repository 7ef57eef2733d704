"""Size limits and trace files (issue 8): `ctest-record --max-trace-size` keeps the head and the
tail of runaway output with a note saying what was cut (the console still gets everything;
`ctest-trace info` and `ctest-replay` say the trace was cut; a replay compares head with head
and tail with tail), and `--keep N` retention of default-named traces. Atomic replacement of an
existing `-o` file and the loaders' bounds are tested in test_faults.py."""
import os
import unittest

from ctr_helpers import RecordTestCase
from test_faults import REPLAY_BIN

LIMIT = 64 * 1024
# 200,000 numbered lines on stdout (1.3 MB), 20,000 on stderr: far beyond LIMIT.
FLOOD = ("import sys\n"
         "for i in range(200000): sys.stdout.write('line %d\\n' % i)\n"
         "sys.stdout.flush()\n"
         "for i in range(20000): sys.stderr.write('err %d\\n' % i)\n")


class MaxTraceSizeTest(RecordTestCase):

    def record_flood(self, script=FLOOD, trace="cut.ctrace"):
        r = self.record(["python3", "-c", script], options=["--max-trace-size", "64K"],
                        trace=trace)
        self.assertEqual(r.status, 0, r.describe())
        return r

    def test_head_and_tail_are_kept_with_the_cut_noted_and_the_console_whole(self):
        r = self.record_flood()
        want_out = "".join("line %d\n" % i for i in range(200000)).encode()
        want_err = "".join("err %d\n" % i for i in range(20000)).encode()
        self.assertEqual(r.stdout, want_out, "the console gets everything")
        self.assertEqual(r.stderr.count(b"output cut by --max-trace-size 65536"), 2, r.stderr)
        info, _ = self.assert_complete(r.trace)
        cuts = {c["stream"]: c for c in info["cuts"]}
        self.assertEqual(set(cuts), {"stdout", "stderr"})
        kept = 0
        for stream, want in (("stdout", want_out), ("stderr", want_err)):
            rc, got, err = self.trace_tool(["cat", "--stream", stream, r.trace])
            self.assertEqual(rc, 0, err)
            cut = cuts[stream]
            self.assertEqual(cut["limit"], LIMIT)
            self.assertEqual(cut["bytes"], cut["to"] - cut["from"])
            self.assertEqual(got, want[:cut["from"]] + want[cut["to"]:], stream)
            self.assertEqual(info["streams"][stream]["bytes"], len(got))
            # The end counters say what the command produced.
            self.assertEqual(info["end"]["counters"]["bytes"][stream], len(want))
            kept += len(got)
        self.assertLessEqual(kept, LIMIT)
        self.assertEqual(cuts["stdout"]["from"], LIMIT // 2, "the head is the first half")
        rc, text, _ = self.trace_tool(["info", r.trace])
        self.assertRegex(text.decode(), r"status:\s+complete; output CUT by --max-trace-size")

    def test_under_the_limit_nothing_is_cut(self):
        r = self.record(["printf", "hello\\n"], options=["--max-trace-size", "4K"])
        self.assertEqual(r.status, 0, r.describe())
        info, _ = self.assert_complete(r.trace)
        self.assertEqual(info["cuts"], [])
        self.assertNotIn(b"cut", r.stderr)

    def test_replay_of_a_cut_trace_compares_head_and_tail(self):
        if not os.access(REPLAY_BIN, os.X_OK):
            self.skipTest("ctest-replay not built")
        r = self.record_flood()
        rep = self.run_argv([REPLAY_BIN, r.trace])
        self.assertEqual(rep.status, 0, rep.describe())
        self.assertIn(b"the recording was cut by --max-trace-size 65536", rep.stdout)
        # A change in the tail (the last stderr line) is still seen.
        changed = FLOOD.replace("range(20000)", "range(19999)")
        rep = self.run_argv([REPLAY_BIN, r.trace, "--", "python3", "-c", changed])
        self.assertEqual(rep.status, 1, rep.describe())
        self.assertIn(b"-err 19999", rep.stdout)

    def test_bad_sizes_are_usage_errors(self):
        for size, why in (("10X", "optional K, M or G suffix"), ("100", "at least 4K")):
            r = self.record(["true"], options=["--max-trace-size", size])
            self.assertEqual(r.status, 125, r.describe())
            self.assertIn(why.encode(), r.stderr)


class KeepTest(RecordTestCase):

    def test_keep_removes_only_the_oldest_default_traces_of_the_program(self):
        folder = self.path("traces")
        os.mkdir(folder)
        old = ["true-2020010%dT000000Z-1%d.ctrace" % (d, d) for d in range(1, 5)]
        others = ["sh-20200101T000000Z-1.ctrace", "true-golden.ctrace", "notes.txt"]
        for name in old + others:
            with open(os.path.join(folder, name), "w") as f:
                f.write("x")
        r = self.record(["true"], options=["--keep", "2"], trace=None,
                        extra_env={"CTEST_TRACE_DIR": folder}, quiet=False)
        self.assertEqual(r.status, 0, r.describe())
        left = sorted(os.listdir(folder))
        new = [n for n in left if n.startswith("true-") and n not in old + others]
        self.assertEqual(len(new), 1, left)
        self.assertEqual(left, sorted([new[0], old[-1]] + others))
        for name in old[:-1]:
            self.assertIn(("removed %s/%s" % (folder, name)).encode(), r.stderr)

    def test_keep_with_output_is_a_usage_error(self):
        r = self.record(["true"], options=["--keep", "2"])
        self.assertEqual(r.status, 125, r.describe())
        self.assertIn(b"--keep only applies to default trace names", r.stderr)


if __name__ == "__main__":
    unittest.main()
