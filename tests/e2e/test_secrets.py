"""Secrets: values of secret-looking environment variables and --redact matches are masked in
the trace (never on the console), --record-env decides how the environment is recorded, and a
replay masks its own run the same way, so masked compares with masked (issue 8)."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctr_helpers import PYTHON, RecordTestCase, TRACE_BIN  # noqa: E402
import test_policy_output  # noqa: E402  (a module, so its tests are not collected twice)
from test_replay import REPLAY_BIN  # noqa: E402

SECRET = "tok-5ecret-8d41c9"

# Prints $MY_API_TOKEN on stdout, then on stderr in two writes 0.2 s apart (split in the
# middle), then echoes its stdin; each write flushed at once.
PRINTER = r"""
import os, sys, time
s = os.environ.get("MY_API_TOKEN", "")
out, err = sys.stdout.buffer, sys.stderr.buffer
out.write(b"token=" + s.encode() + b"\n"); out.flush()
half = len(s) // 2
err.write(b"err " + s[:half].encode()); err.flush()
time.sleep(0.2)
err.write(s[half:].encode() + b" end\n"); err.flush()
out.write(b"stdin: " + sys.stdin.buffer.read()); out.flush()
"""


class SecretsTestCase(RecordTestCase):

    def env(self, **extra):
        env = dict(os.environ, MY_API_TOKEN=SECRET)
        env.update(extra)
        return env

    def trace_tool(self, *args):
        out = subprocess.run([TRACE_BIN] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def notes(self, trace):
        info = json.loads(self.trace_tool("info", "--json", trace))
        return [n["text"] for n in info["notes"]]

    def all_trace_views(self, trace):
        """The trace as bytes every way a reader could see it."""
        with open(trace, "rb") as f:
            raw = f.read()
        return {"raw file": raw,
                "decompressed": test_policy_output.SecretRedactionTest.decompress_frames(self, raw),
                "cat": self.trace_tool("cat", "--stream", "stdin", "--stream", "stdout",
                                       "--stream", "stderr", trace),
                "events": self.trace_tool("events", trace),
                "info": self.trace_tool("info", "--json", trace)}

    def replay(self, trace, env):
        return self.run_argv([REPLAY_BIN, trace], env=env)


class OutputMaskingTest(SecretsTestCase):

    def test_secret_masked_in_trace_split_writes_and_stdin_console_unchanged(self):
        r = self.record([PYTHON, "-c", PRINTER], env=self.env(),
                        input=b"typed " + SECRET.encode() + b"\n")
        self.assertEqual(r.returncode, 0, r.describe())
        # The console shows what the program printed.
        self.assertEqual(r.stdout, ("token=%s\nstdin: typed %s\n" % (SECRET, SECRET)).encode())
        self.assertIn(("err %s end\n" % SECRET).encode(), r.stderr)
        # The trace holds no copy, in any view.
        for what, blob in self.all_trace_views(r.trace).items():
            self.assertNotIn(SECRET.encode(), blob, "secret found in %s" % what)
        self.assertEqual(self.trace_tool("cat", "--stream", "stdout", r.trace),
                         b"token=***\nstdin: typed ***\n")
        self.assertEqual(self.trace_tool("cat", "--stream", "stderr", r.trace), b"err *** end\n")
        self.assertEqual(self.trace_tool("cat", "--stream", "stdin", r.trace), b"typed ***\n")
        notes = self.notes(r.trace)
        self.assertTrue(any(n.startswith("output masked: values of ") for n in notes), notes)
        # stdout, stderr (split across two writes), stdin and the echo of stdin.
        self.assertIn("masked 4 occurrences of 1 secret value, 0 --redact matches", notes)

    def test_no_redact_records_output_as_is(self):
        r = self.record([PYTHON, "-c", PRINTER], options=["--no-redact"], env=self.env())
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(self.trace_tool("cat", "--stream", "stdout", r.trace),
                         ("token=%s\nstdin: " % SECRET).encode())
        self.assertFalse([n for n in self.notes(r.trace) if "masked" in n])

    def test_values_shorter_than_six_bytes_are_not_masked(self):
        r = self.record([PYTHON, "-c", PRINTER], env=self.env(MY_API_TOKEN="abcde"))
        self.assertEqual(self.trace_tool("cat", "--stream", "stdout", r.trace),
                         b"token=abcde\nstdin: ")
        self.assertIn("masked 0 occurrences of 0 secret values, 0 --redact matches",
                      self.notes(r.trace))

    def test_redact_patterns(self):
        program = "print('id=12345 ok id=9'); print('user=alice')"
        r = self.record([PYTHON, "-c", program],
                        options=["--redact", "id=[0-9]+", "--redact", "alice"], env=self.env())
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, b"id=12345 ok id=9\nuser=alice\n")
        self.assertEqual(self.trace_tool("cat", r.trace), b"*** ok ***\nuser=***\n")
        notes = self.notes(r.trace)
        self.assertIn("masked 0 occurrences of 1 secret value, 3 --redact matches", notes)
        start = [n for n in notes if n.startswith("output masked")][0]
        self.assertEqual(start.splitlines()[1:], ["--redact id=[0-9]+", "--redact alice"])

    def test_bad_redact_pattern_is_a_usage_error(self):
        r = self.record([PYTHON, "-c", "pass"], options=["--redact", "("])
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(b"--redact: bad regex '('", r.stderr)
        r = self.record([PYTHON, "-c", "pass"], options=["--redact", "x", "--no-redact"])
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(b"--no-redact and --redact", r.stderr)


class RecordEnvTest(SecretsTestCase):

    def start_env(self, trace):
        for line in self.trace_tool("events", trace).splitlines():
            event = json.loads(line)
            if event.get("kind") == "start":
                return {v["name"]: v for v in event["env"]}
        self.fail("no start event")

    def test_safe_is_the_default(self):
        r = self.record([PYTHON, "-c", "pass"], env=self.env(CTR_E2E_PLAIN="plain-1"))
        env = self.start_env(r.trace)
        self.assertTrue(env["MY_API_TOKEN"]["redacted"])
        self.assertEqual(env["MY_API_TOKEN"]["value"], "")
        self.assertEqual(env["CTR_E2E_PLAIN"]["value"], "plain-1")

    def test_all_records_every_value_with_a_warning(self):
        r = self.record([PYTHON, "-c", "pass"], options=["--record-env=all"], env=self.env())
        self.assertEqual(r.returncode, 0, r.describe())
        env = self.start_env(r.trace)
        self.assertEqual(env["MY_API_TOKEN"], {"name": "MY_API_TOKEN", "value": SECRET,
                                               "redacted": False})
        self.assertIn(b"record-env all", r.stderr)  # shown even with -q: a warning

    def test_none_keeps_only_the_formatting_variables(self):
        for options, extra in ((["--record-env", "none"], {}), ([], {"CTEST_RECORD_ENV": "none"})):
            r = self.record([PYTHON, "-c", "pass"], options=options,
                            env=self.env(LC_ALL="C", TZ="UTC", CTR_E2E_PLAIN="plain-1", **extra))
            self.assertEqual(r.returncode, 0, r.describe())
            env = self.start_env(r.trace)
            self.assertEqual(env["LC_ALL"]["value"], "C")
            self.assertEqual(env["TZ"]["value"], "UTC")
            self.assertNotIn("MY_API_TOKEN", env)
            self.assertNotIn("CTR_E2E_PLAIN", env)
            self.assertNotIn("PATH", env)
            self.assertTrue(any("record-env none" in n for n in self.notes(r.trace)))

    def test_bad_values_are_usage_errors(self):
        r = self.record([PYTHON, "-c", "pass"], options=["--record-env=most"])
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(b"--record-env takes safe, all or none", r.stderr)
        r = self.record([PYTHON, "-c", "pass"], env=self.env(CTEST_RECORD_ENV="most"))
        self.assertEqual(r.returncode, 125, r.describe())
        self.assertIn(b"CTEST_RECORD_ENV", r.stderr)


@unittest.skipUnless(os.access(REPLAY_BIN, os.X_OK), "ctest-replay not built")
class ReplayMaskingTest(SecretsTestCase):

    def test_replay_with_a_different_secret_is_same(self):
        r = self.record([PYTHON, "-c", PRINTER], env=self.env(), input=b"x\n")
        self.assertEqual(r.returncode, 0, r.describe())
        replay = self.replay(r.trace, self.env(MY_API_TOKEN="another-token-value-0042"))
        self.assertEqual(replay.returncode, 0, replay.describe())

    def test_unmasked_recording_replayed_with_a_different_secret_differs(self):
        r = self.record([PYTHON, "-c", PRINTER], options=["--no-redact"], env=self.env())
        replay = self.replay(r.trace, self.env(MY_API_TOKEN="another-token-value-0042"))
        self.assertEqual(replay.returncode, 1, replay.describe())

    def test_recorded_redact_patterns_apply_to_the_replay(self):
        program = "import os; print('session', os.environ['CTR_E2E_SESSION'])"
        r = self.record([PYTHON, "-c", program], options=["--redact", "session [0-9a-f]+"],
                        env=self.env(CTR_E2E_SESSION="1f2e"))
        self.assertEqual(self.trace_tool("cat", r.trace), b"***\n")
        replay = self.replay(r.trace, self.env(CTR_E2E_SESSION="99ab"))
        self.assertEqual(replay.returncode, 0, replay.describe())


if __name__ == "__main__":
    unittest.main()
