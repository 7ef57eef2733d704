"""Stress (ctest label `stress`, `make stress`; not part of `make test`): 1 GiB of output
through ctest-record, in large writes (cat's 128 KiB, and exactly 1 MiB per write(2) from a
producer that prints its own checksum) and in line-sized writes. Trace bytes and console bytes
must equal what the producer wrote, compared by SHA-256 (large writes) and by exact line
accounting (line writes, 22 threads). Takes about a minute on a 2-core machine.
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import ctr_helpers as h  # noqa: E402

GIB = 1 << 30


def sha256_of_stream(cmd, **kwargs):
    """Runs cmd, hashing its stdout as it streams (no 1 GiB buffer in memory)."""
    digest = hashlib.sha256()
    size = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, **kwargs) as proc:
        while True:
            block = proc.stdout.read(1 << 20)
            if not block:
                break
            digest.update(block)
            size += len(block)
        status = proc.wait(timeout=600)
    return status, size, digest.hexdigest()


class OneGibibyte(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ctr-stress-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))

    def assert_gib_as_produced(self, expected, console_size, console_sha, trace):
        """1 GiB on the console and in the trace's stdout, both with the producer's SHA-256."""
        self.assertEqual(console_size, GIB)
        self.assertEqual(console_sha, expected, "console bytes differ from the producer's")
        status, size, recorded = sha256_of_stream([h.TRACE_BIN, "cat", "--stream", "stdout", trace])
        self.assertEqual(status, 0)
        self.assertEqual(size, GIB)
        self.assertEqual(recorded, expected, "trace bytes differ from the producer's")

    def test_1_gib_in_large_writes_is_lossless(self):
        source = os.path.join(self.tmp, "source.bin")
        with open(source, "wb") as out:
            for i in range(GIB // (1 << 20)):
                out.write(hashlib.shake_256(b"ctr-stress-%d" % i).digest(1 << 20))
        with open(source, "rb") as f:
            expected = hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else None
        if expected is None:
            digest = hashlib.sha256()
            with open(source, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            expected = digest.hexdigest()
        trace = os.path.join(self.tmp, "big.ctrace")
        status, size, console = sha256_of_stream([h.RECORD_BIN, "-q", "-o", trace, "--", "cat", source])
        self.assertEqual(status, 0)
        self.assert_gib_as_produced(expected, size, console, trace)

    def test_1_gib_in_1_mib_writes_is_lossless(self):
        # The producer writes 1,024 blocks with one write(2) of exactly 1 MiB each and prints
        # the SHA-256 of what it wrote (on stderr, recorded too); console and trace must match.
        trace = os.path.join(self.tmp, "mib.ctrace")
        started = time.monotonic()
        status, size, console = sha256_of_stream(
            [h.RECORD_BIN, "-q", "-o", trace, "--"] + h.py_fixture("block_writer.py", 1024, 1 << 20),
            stderr=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
        self.assertEqual(status, 0)
        recorded_err = subprocess.run([h.TRACE_BIN, "cat", "--stream", "stderr", trace],
                                      stdout=subprocess.PIPE, timeout=60, check=True).stdout
        m = re.match(rb"block_writer: (\d+) bytes in (\d+) writes \((\d+) short\) sha256=([0-9a-f]{64})\n$",
                     recorded_err)
        self.assertIsNotNone(m, recorded_err)
        produced, writes, short, expected = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4).decode()
        self.assertEqual((produced, writes, short), (GIB, 1024, 0), "the producer must write 1 MiB per write(2)")
        self.assert_gib_as_produced(expected, size, console, trace)
        print("[ measured ] 1 GiB in 1 MiB writes: %.1f s through ctest-record, trace %d bytes, "
              "bytes lost: 0" % (elapsed, os.path.getsize(trace)), file=sys.stderr)

    def test_1_gib_in_line_writes_from_22_threads(self):
        # thread_writer numbers lines with six digits; 22 x 999999 lines of ~49 bytes ~ 1 GiB.
        threads, lines = 22, 999999
        trace = os.path.join(self.tmp, "lines.ctrace")
        with open(os.path.join(self.tmp, "console.txt"), "wb") as console:
            r = subprocess.run([h.RECORD_BIN, "-q", "-o", trace, "--"] +
                               h.bin_fixture("thread_writer", threads, lines),
                               stdout=console, timeout=900)
        self.assertEqual(r.returncode, 0)
        for path, cmd in (("console", None), ("trace", [h.TRACE_BIN, "cat", "--stream", "stdout", trace])):
            counts = [0] * threads
            if cmd is None:
                stream = open(os.path.join(self.tmp, "console.txt"), "rb")
                proc = None
            else:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
                stream = proc.stdout
            with stream:
                for line in stream:
                    tid = int(line[1:3])
                    self.assertEqual(int(line.split()[2]), counts[tid], "%s: thread %d out of order" % (path, tid))
                    counts[tid] += 1
            if proc:
                self.assertEqual(proc.wait(timeout=600), 0)
            self.assertEqual(counts, [lines] * threads, path)


if __name__ == "__main__":
    unittest.main()
