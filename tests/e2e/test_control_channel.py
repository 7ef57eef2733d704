"""End to end: ctest-record's control channel (docs/control-protocol.md), driven by
fixtures/control_probe.py speaking the protocol with no library. Every byte the probe writes
is marked "<<test id>>" ("<<>>" outside tests) and must land in an io event whose context is
that test, with the test events exactly between what was written before and after them."""
import re
import unittest

from ctr_helpers import RECORD_BIN, TIMEOUT, RecordTestCase, io_payload, py_fixture

MARK = re.compile(rb"<<([^<>\n]*)>>")


class ControlChannelTest(RecordTestCase):

    def marks_by_context(self, events):
        """[(context, mark)] for every mark in every io event, in trace order."""
        seen = []
        for e in events:
            if e.get("kind") == "io" and e["stream"] in ("stdout", "stderr"):
                for m in MARK.finditer(io_payload(e)):
                    seen.append((e["context"], m.group(1).decode()))
        return seen

    def test_every_byte_is_in_the_context_of_the_test_that_wrote_it(self):
        n = 60
        result = self.record(py_fixture("control_probe.py", "rounds", n))
        self.assertEqual(result.status, 0, result.describe())
        _, events = self.assert_complete(result.trace)
        marks = self.marks_by_context(events)
        self.assertGreater(len(marks), n * 4)
        wrong = [(c, m) for c, m in marks if c != m]
        self.assertEqual(wrong[:5], [], "%d marks in the wrong context" % len(wrong))
        tests = self.of_kind(events, "test")
        self.assertEqual([(t["phase"], t["test_id"]) for t in tests],
                         [(p, "t%d" % i) for i in range(n) for p in ("started", "finished")])
        for i, t in enumerate(tests[1::2]):
            self.assertEqual(t["outcome"], "failed" if i % 3 == 0 else "passed")
            self.assertEqual(t["duration_ns"], 1000 * i)
        captured = self.of_kind(events, "captured")
        self.assertEqual([(c["test_id"], c["section"], c["text"]) for c in captured],
                         [("t%d" % i, "stdout call", "captured %d\n" % i) for i in range(n)])
        # Captured sections are not console bytes: the console streams are exactly the console.
        self.assertBytesEqual(self.stream_from_events(events, "stdout"), result.stdout, "stdout")
        self.assertNotIn(b"captured 1\n", result.stdout)
        self.assertEqual({t["producer"] for t in tests}, {self.start_event(events)["child_pid"]})

    def test_a_forked_child_uses_its_own_connection(self):
        result = self.record(py_fixture("control_probe.py", "fork"))
        self.assertEqual(result.status, 0, result.describe())
        _, events = self.assert_complete(result.trace)
        self.assertEqual([(c, m) for c, m in self.marks_by_context(events) if c != m], [])
        tests = [(t["phase"], t["test_id"]) for t in self.of_kind(events, "test")]
        self.assertEqual(tests, [("started", "parent"), ("started", "child"),
                                 ("finished", "child"), ("finished", "parent")])
        producers = {t["test_id"]: t["producer"] for t in self.of_kind(events, "test")}
        self.assertNotEqual(producers["parent"], producers["child"])

    def test_the_channel_is_offered_only_while_capturing(self):
        result = self.record(py_fixture("control_probe.py", "env"))
        self.assertRegex(result.stdout, rb"^fd:\d+:\d+:\d+\nusable\n$")
        result = self.record(py_fixture("control_probe.py", "env"), options=["--no-capture-io"])
        self.assertEqual(result.stdout, b"<unset>\nunusable\n")

    def test_replies_keep_coming_while_another_thread_floods_the_pipe(self):
        result = self.record(py_fixture("control_probe.py", "flood", 50), timeout=120)
        self.assertEqual(result.status, 0, result.describe())
        # 155 MB of JSON lines: 31 s for a TSan build of ctest-trace on an idle machine.
        _, events = self.assert_complete(result.trace, timeout=max(TIMEOUT, 300))
        self.assertEqual(len(self.of_kind(events, "test")), 100)
        self.assertBytesEqual(self.stream_from_events(events, "stdout"), result.stdout, "stdout")

    def test_nested_recorders_each_offer_their_own_channel(self):
        inner_trace = self.path("inner.ctrace")
        result = self.record([RECORD_BIN, "-q", "-o", inner_trace, "--"] +
                             py_fixture("control_probe.py", "rounds", 3))
        self.assertEqual(result.status, 0, result.describe())
        _, outer = self.assert_complete(result.trace)
        _, inner = self.assert_complete(inner_trace)
        self.assertEqual(len(self.of_kind(inner, "test")), 6)
        self.assertEqual(self.of_kind(outer, "test"), [])


if __name__ == "__main__":
    unittest.main()
