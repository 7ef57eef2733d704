"""End to end: trace compression. The default is adaptive (level 1 while the compressors keep
up); --compression-level fixes the level. Whatever the level, the trace reads back byte for
byte."""
import os
import unittest

from ctr_helpers import RecordTestCase, deterministic_bytes


class CompressionTest(RecordTestCase):

    def setUp(self):
        super().setUp()
        lines = b"".join(b"tests/test_mod.py::test_%d PASSED [%3d%%]\n" % (i, i % 100)
                         for i in range(60000))
        self.data = lines + deterministic_bytes(1 << 16)
        self.input = self.path("input.bin")
        with open(self.input, "wb") as f:
            f.write(self.data)

    def record_cat(self, options, trace):
        result = self.record(["cat", self.input], options=options, trace=trace)
        self.assertEqual(result.status, 0, result.describe())
        self.assertBytesEqual(self.cat(result.trace, "stdout"), self.data, "trace stdout")
        return os.path.getsize(result.trace)

    def test_fixed_levels_trade_size_for_speed_and_lose_nothing(self):
        smallest = self.record_cat(["--compression-level", "19"], "l19.ctrace")
        fastest = self.record_cat(["--compression-level", "-100"], "lm100.ctrace")
        default = self.record_cat([], "default.ctrace")
        self.assertLess(smallest, fastest)
        self.assertLess(smallest, len(self.data) / 4)
        self.assertLessEqual(default, fastest)
        # A fixed level never adapts, so there is never a note about faster levels.
        notes = [e["text"] for e in self.events(self.path("l19.ctrace")) if e["kind"] == "note"]
        self.assertFalse([n for n in notes if "compression fell behind" in n], notes)

    def test_bad_level_is_a_usage_error(self):
        for bad in ("20", "-101", "fast"):
            result = self.run_argv(self.recorder_argv(["true"], options=["--compression-level", bad]))
            self.assertEqual(result.status, 125, result.describe())
            self.assertIn(b"--compression-level", result.stderr)


if __name__ == "__main__":
    unittest.main()
