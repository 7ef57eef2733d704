"""Stress (ctest label `stress`, `make stress`; not part of `make test`), the issue-8 cases the
1 GiB tests do not cover:

- 16 threads and 8 processes writing interleaved lines to stdout and stderr at once: every
  line intact, each writer's lines in order, counts exact, on the console and in the trace;
- 10 MiB of stdin forwarded while the command writes 100 MiB to stdout: both byte-exact;
- 10,000 spawn-mode record cycles in one process (ctest-replay -j 1 replays 10,000 traces,
  each one a record_command: spawn, pipes, poll loop, writer thread, trace file): no growth
  in descriptors, threads, children or memory. The in-process cycles are tested by
  tests/unit/session_test.cpp and the `fd_leaks_long` ctest (ci/check-fd-leaks).

Measured figures are printed as "[ measured ] ..." lines.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import ctr_helpers as h  # noqa: E402

# The stress ctest hands over only CTEST_RECORD_BIN: ctest-replay is built next to it.
REPLAY_BIN = os.environ.get("CTEST_REPLAY_BIN") or os.path.join(os.path.dirname(h.RECORD_BIN),
                                                                 "ctest-replay")
LINE_RE = re.compile(rb"^([tp])(\d\d) line (\d{6}) ([a-z]*)$")


def measured(text):
    sys.stderr.write("[ measured ] %s\n" % text)
    sys.stderr.flush()


class StressCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ctr-stress-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def trace_cat(self, trace, stream, dest):
        with open(dest, "wb") as out:
            r = subprocess.run([h.TRACE_BIN, "cat", "--stream", stream, trace], stdout=out,
                               stderr=subprocess.PIPE, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])

    @staticmethod
    def sha_file(path):
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        return size, digest.hexdigest()


class ManyWritersTest(StressCase):
    THREADS = 16      # in one process (fixtures/thread_writer.cpp)
    PROCESSES = 8     # fixtures/line_writer.py, one writer each
    LINES = 100000    # per writer: 24 writers x 100k lines of ~50 bytes ~ 120 MB

    def check(self, path, what, parity):
        """Every line intact, each writer in order; returns {(kind, id): count}."""
        last = {}
        with open(path, "rb") as f:
            for raw in f:
                self.assertTrue(raw.endswith(b"\n"), "%s: last line unterminated" % what)
                m = LINE_RE.match(raw[:-1])
                self.assertIsNotNone(m, "%s: torn or foreign line %r" % (what, raw[:200]))
                kind, ident, n = m.group(1), int(m.group(2)), int(m.group(3))
                pad = bytes(ord("a") + (k + ident) % 26 for k in range((n * 7 + ident) % 64))
                self.assertEqual(m.group(4), pad, "%s: damaged line %r" % (what, raw[:200]))
                self.assertEqual(n % 2, parity, "%s: line on the wrong stream %r" % (what, raw))
                key = (kind, ident)
                want = last.get(key, parity - 2) + 2
                self.assertEqual(n, want, "%s: writer %s%02d: line %d after %d"
                                 % (what, kind.decode(), ident, n, want - 2))
                last[key] = n
        return {k: (v - parity) // 2 + 1 for k, v in last.items()}

    def test_16_threads_and_8_processes_interleaved_lines(self):
        tw = h.bin_fixture("thread_writer")[0]
        lw = h.py_fixture("line_writer.py")
        script = ('"$TW" %d %d both & for i in $(seq 0 %d); do "$PY" "$LW" $i %d both & done; '
                  'st=0; for j in $(jobs -p); do wait $j || st=1; done; exit $st'
                  % (self.THREADS, self.LINES, self.PROCESSES - 1, self.LINES))
        trace = self.path("many.ctrace")
        env = dict(os.environ, TW=tw, PY=lw[0], LW=lw[1])
        start = time.monotonic()
        with open(self.path("out.txt"), "wb") as out, open(self.path("err.txt"), "wb") as err:
            r = subprocess.run([h.RECORD_BIN, "-q", "-o", trace, "--", "bash", "-c", script],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                               timeout=900)
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 0)
        self.trace_cat(trace, "stdout", self.path("trace-out.txt"))
        self.trace_cat(trace, "stderr", self.path("trace-err.txt"))
        want = {(b"t", i): self.LINES // 2 for i in range(self.THREADS)}
        want.update({(b"p", i): self.LINES // 2 for i in range(self.PROCESSES)})
        for path, what, parity in (("out.txt", "console stdout", 0),
                                   ("err.txt", "console stderr", 1),
                                   ("trace-out.txt", "trace stdout", 0),
                                   ("trace-err.txt", "trace stderr", 1)):
            self.assertEqual(self.check(self.path(path), what, parity), want, what)
        for a, b in (("out.txt", "trace-out.txt"), ("err.txt", "trace-err.txt")):
            self.assertEqual(self.sha_file(self.path(a)), self.sha_file(self.path(b)),
                             "console and trace differ: %s" % a)
        size = os.path.getsize(self.path("out.txt")) + os.path.getsize(self.path("err.txt"))
        measured("%d threads + %d processes, %d lines, %d bytes: recorded in %.1f s, nothing "
                 "lost or torn" % (self.THREADS, self.PROCESSES,
                                   (self.THREADS + self.PROCESSES) * self.LINES, size, elapsed))


class StdinWhileFloodingTest(StressCase):
    IN_BYTES = 10 * 1024 * 1024
    OUT_BYTES = 100 * 1024 * 1024

    def test_10_mib_stdin_while_the_command_writes_100_mib(self):
        data = h.deterministic_bytes(self.IN_BYTES, seed=81)
        trace = self.path("flood.ctrace")
        proc = subprocess.Popen([h.RECORD_BIN, "-q", "-o", trace, "--"] +
                                h.py_fixture("stdin_vs_flood.py", self.OUT_BYTES),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        errors = []

        def feed():
            try:
                proc.stdin.write(data)
                proc.stdin.close()
            except OSError as e:
                errors.append(e)

        err_chunks = []
        feeder = threading.Thread(target=feed)
        err_reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
        feeder.start()
        err_reader.start()
        digest, size = hashlib.sha256(), 0
        for block in iter(lambda: proc.stdout.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
        feeder.join(600)
        err_reader.join(600)
        self.assertEqual(proc.wait(timeout=600), 0, err_chunks)
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(errors, [])
        report = b"".join(err_chunks).decode().split()
        self.assertEqual(report[0:3], ["stdin", str(self.IN_BYTES), h.sha256(data)],
                         "what the command read")
        self.assertEqual(report[3:5], ["stdout", str(self.OUT_BYTES)])
        self.assertEqual((size, digest.hexdigest()), (self.OUT_BYTES, report[5]), "console")
        self.trace_cat(trace, "stdin", self.path("in.bin"))
        self.trace_cat(trace, "stdout", self.path("out.bin"))
        self.assertEqual(self.sha_file(self.path("in.bin")), (self.IN_BYTES, h.sha256(data)))
        self.assertEqual(self.sha_file(self.path("out.bin")), (self.OUT_BYTES, report[5]))
        measured("10 MiB stdin + 100 MiB stdout at once: both byte-exact in the trace")


def proc_snapshot(pid):
    """(descriptors, threads, RSS KiB, child processes) of a running process, or None."""
    try:
        fds = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
        rss = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
        children = 0
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                children += len(f.read().split())
        return fds, threads, rss, children
    except (OSError, AttributeError):
        return None


class SpawnCyclesTest(StressCase):
    CYCLES = 10000

    def test_10000_spawn_mode_cycles_in_one_process(self):
        if not os.access(REPLAY_BIN, os.X_OK):
            self.skipTest("ctest-replay not built: %s" % REPLAY_BIN)
        folder = self.path("traces")
        os.mkdir(folder)
        base = os.path.join(folder, "base.ctrace")
        r = subprocess.run([h.RECORD_BIN, "-q", "-o", base, "--", "sh", "-c", "echo cycle"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 0)
        for i in range(1, self.CYCLES):
            os.symlink("base.ctrace", os.path.join(folder, "t%05d.ctrace" % i))
        start = time.monotonic()
        with open(self.path("replay.log"), "wb") as log:
            proc = subprocess.Popen([REPLAY_BIN, "-q", "-j", "1", folder], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
            samples = []
            while proc.poll() is None:
                snap = proc_snapshot(proc.pid)
                if snap:
                    samples.append((time.monotonic() - start, snap))
                time.sleep(0.05)
        elapsed = time.monotonic() - start
        with open(self.path("replay.log"), "rb") as f:
            log_text = f.read()
        self.assertEqual(proc.returncode, 0, log_text[-2000:])
        self.assertIn(b"%d same" % self.CYCLES, log_text)
        self.assertGreater(len(samples), 20, "too few samples: the run took %.1f s" % elapsed)
        # Early window: the second tenth of the run (after warm-up); late: the last tenth.
        n = len(samples)
        early = [s for _, s in samples[n // 10: n // 5]]
        late = [s for _, s in samples[-(n // 10):]]
        peak = lambda window, i: max(s[i] for s in window)  # noqa: E731
        self.assertLessEqual(peak(late, 0), peak(early, 0), "descriptor growth")
        self.assertLessEqual(peak(late, 1), peak(early, 1), "thread growth")
        self.assertLessEqual(peak(late, 3), 1, "children left behind")
        # Memory: the per-trace verdicts are kept for the final table (a few hundred bytes
        # each); anything per cycle beyond 2 KiB is a leak.
        growth = peak(late, 2) - peak(early, 2)
        cycles_between = self.CYCLES * 0.75
        self.assertLessEqual(growth, 2 * cycles_between + 4096,
                             "RSS grew %d KiB over ~%d cycles" % (growth, cycles_between))
        measured("%d spawn-mode cycles (ctest-replay -j 1) in %.1f s (%.1f ms each): fds %d -> "
                 "%d, threads %d -> %d, RSS %d -> %d KiB (%+.2f KiB per cycle), children <= %d"
                 % (self.CYCLES, elapsed, elapsed / self.CYCLES * 1000, peak(early, 0),
                    peak(late, 0), peak(early, 1), peak(late, 1), peak(early, 2), peak(late, 2),
                    growth / cycles_between, peak(late, 3)))


if __name__ == "__main__":
    unittest.main()
