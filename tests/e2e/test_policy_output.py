"""Capture policy (--no-capture-io, CTEST_CAPTURE_IO), trace location and naming, the trace
path line and -q, secret redaction, and descriptor hygiene."""
import calendar
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
import unittest

from ctr_helpers import RecordTestCase, py_fixture

OUT = b"policy fixture stdout\n"
ERR = b"policy fixture stderr\n"


def emit_cmd():
    return py_fixture("emit_bytes.py", "out:" + OUT.hex(), "err:" + ERR.hex())


class CapturePolicyTest(RecordTestCase):

    def assert_source(self, info, source):
        # policy_source is "default", "env" or "flag", optionally followed by the detail
        # (e.g. "env CTEST_CAPTURE_IO=0").
        got = info["start"]["policy_source"]
        self.assertEqual(got.split(" ", 1)[0], source, "policy_source %r" % got)

    def check_off(self, options=(), env=None, source=None, why=None):
        # Not quiet: the line saying capture is off may be informational.
        r = self.record(py_fixture("exit_code.py", 4), options=options, extra_env=env, quiet=False)
        self.assertEqual(r.returncode, 4, r.describe())
        self.assertEqual(r.stdout, b"exit_code: exiting with 4\n", "console output unchanged")
        info, events = self.assert_complete(r.trace)
        self.assertEqual(self.of_kind(events, "io"), [], "capture off: no io events")
        self.assertFalse(info["start"]["capture_io"])
        if source is not None:
            self.assert_source(info, source)
        ex = self.exit_event(events)
        self.assertEqual(ex["status"], 4)
        self.assertEqual(info["exit"]["code"], 4)
        lines = [l for l in self.recorder_lines(r.stderr)
                 if b"captur" in l.lower() and r.trace.encode() not in l]
        self.assertEqual(len(lines), 1, "exactly one log line says capture is off; stderr: %r" % r.stderr)
        if why is not None:
            self.assertIn(why.encode(), lines[0], "the line should say why capture is off")
        return r, info

    def test_no_capture_io_flag(self):
        self.check_off(options=["--no-capture-io"], source="flag", why="--no-capture-io")

    def test_env_capture_io_0(self):
        self.check_off(env={"CTEST_CAPTURE_IO": "0"}, source="env", why="CTEST_CAPTURE_IO")

    def test_flag_beats_env(self):
        self.check_off(options=["--no-capture-io"], env={"CTEST_CAPTURE_IO": "1"}, source="flag")
        r = self.record(emit_cmd(), options=["--capture-io"], extra_env={"CTEST_CAPTURE_IO": "0"},
                        trace="on.ctrace")
        self.assertEqual(r.returncode, 0, r.describe())
        info, _ = self.assert_streams(r.trace, stdout=OUT, stderr=ERR)
        self.assertTrue(info["start"]["capture_io"])
        self.assert_source(info, "flag")

    def test_env_capture_io_1_and_default(self):
        for env, source in (({"CTEST_CAPTURE_IO": "1"}, "env"), ({}, "default")):
            with self.subTest(env=env):
                clean = {k: v for k, v in os.environ.items() if k != "CTEST_CAPTURE_IO"}
                clean.update(env)
                r = self.record(emit_cmd(), env=clean, trace="t-%s.ctrace" % source)
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertEqual(r.stderr, ERR, "capture on: no log line about it under -q")
                info, _ = self.assert_streams(r.trace, stdout=OUT, stderr=ERR)
                self.assertTrue(info["start"]["capture_io"])
                self.assert_source(info, source)


class TraceLocationTest(RecordTestCase):
    NAME_RE = re.compile(r"^(?P<prog>[^/]+)-(?P<ts>\d{8}T\d{6}Z)-(?P<pid>\d+)\.ctrace$")

    def run_default(self, env=None, quiet=False):
        before = time.time()
        r = self.record(emit_cmd(), trace=None, quiet=quiet, env=env)
        after = time.time()
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(r.stdout, OUT)
        return r, before, after

    def check_file(self, folder, r, before, after):
        self.assertTrue(os.path.isdir(folder), "no trace folder %s" % folder)
        names = os.listdir(folder)
        self.assertEqual(len(names), 1, names)
        name = names[0]
        self.assertNotIn(":", name)
        m = self.NAME_RE.match(name)
        self.assertIsNotNone(m, "trace name %r does not match <program>-<YYYYmmddTHHMMSSZ>-<pid>.ctrace" % name)
        self.assertEqual(m.group("prog"), os.path.basename(emit_cmd()[0]))
        stamp = calendar.timegm(time.strptime(m.group("ts"), "%Y%m%dT%H%M%SZ"))
        self.assertTrue(int(before) - 1 <= stamp <= after + 1, "UTC time %s not within the run" % m.group("ts"))
        path = os.path.join(folder, name)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode, 0o600, "trace mode %o" % mode)
        info, _ = self.assert_streams(path, stdout=OUT, stderr=ERR)
        self.assertIn(int(m.group("pid")), (info["start"]["recorder_pid"], info["start"]["child_pid"]))
        return path

    def test_default_path_and_path_line(self):
        r, before, after = self.run_default()
        path = self.check_file(self.path("ctest-traces"), r, before, after)
        # The path is printed on stderr at the end, as one line of its own.
        self.assertTrue(r.stderr.startswith(ERR), r.describe())
        rest = r.stderr[len(ERR):]
        self.assertTrue(rest.endswith(b"\n"), rest)
        lines = [l for l in rest.split(b"\n") if os.path.basename(path).encode() in l]
        self.assertEqual(len(lines), 1, "expected one line naming the trace, got %r" % rest)
        self.assertTrue(lines[0].startswith(b"ctest-record:"), lines[0])

    def test_quiet_silences_path_line(self):
        for flag in ("-q", "--quiet"):
            with self.subTest(flag=flag):
                shutil.rmtree(self.path("ctest-traces"), ignore_errors=True)
                r = self.record(emit_cmd(), trace=None, quiet=False, options=[flag])
                self.assertEqual(r.returncode, 0, r.describe())
                self.assertEqual(r.stderr, ERR, "-q: no path line")
                self.assertEqual(len(os.listdir(self.path("ctest-traces"))), 1)

    def test_quiet_with_explicit_output(self):
        r = self.record(emit_cmd(), quiet=True)
        self.assertEqual(r.stderr, ERR)
        self.assert_streams(r.trace, stdout=OUT, stderr=ERR)

    def test_ctest_trace_dir_overrides(self):
        target = self.path("elsewhere")
        os.mkdir(target)
        r, before, after = self.run_default(env=dict(os.environ, CTEST_TRACE_DIR=target))
        self.assertFalse(os.path.exists(self.path("ctest-traces")), "trace must not land in the cwd")
        # docs/cli.md: "<program>-<UTC>-<pid>.ctrace in $CTEST_TRACE_DIR, or in ./ctest-traces
        # when that is unset".
        self.check_file(target, r, before, after)

    def test_two_runs_same_second_do_not_clobber(self):
        # O_EXCL naming: distinct pids, so two quick runs give two traces.
        for _ in range(2):
            r = self.record(emit_cmd(), trace=None)
            self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(len(os.listdir(self.path("ctest-traces"))), 2)


class SecretRedactionTest(RecordTestCase):
    SECRETS = {
        "MY_API_TOKEN": "hunter2-token-7f3a9c",
        "CTR_E2E_SECRET": "s3cr3t-value-19d2e",
        "DB_PASSWORD": "pa55w0rd-value-66b1",
        "SSH_PRIVATE_KEY": "key-material-0c4e8",
    }

    def test_secrets_redacted_and_absent_from_trace(self):
        env = dict(os.environ, CTR_E2E_PLAIN="visible-value-123", **self.SECRETS)
        names = sorted(self.SECRETS) + ["CTR_E2E_PLAIN"]
        r = self.record(py_fixture("env_digest.py", *names), env=env)
        self.assertEqual(r.returncode, 0, r.describe())
        # The child itself got the real values.
        want = "".join("%s %s\n" % (n, hashlib.sha256(env[n].encode()).hexdigest()) for n in names)
        self.assertEqual(r.stdout.decode(), want)
        info, events = self.assert_streams(r.trace, stdout=r.stdout)
        start = self.start_event(events)
        by_name = {v["name"]: v for v in start["env"]}
        for name in self.SECRETS:
            self.assertIn(name, by_name, "%s missing from the start event" % name)
            self.assertTrue(by_name[name]["redacted"], by_name[name])
            self.assertEqual(by_name[name]["value"], "")
        self.assertEqual(by_name["CTR_E2E_PLAIN"], {"name": "CTR_E2E_PLAIN", "value": "visible-value-123",
                                                    "redacted": False})
        # No secret value anywhere: not in what the reader shows, not in the file's bytes
        # (raw, and decompressed frame by frame).
        with open(r.trace, "rb") as f:
            raw = f.read()
        blobs = {"events": json.dumps(events).encode(), "info": json.dumps(info).encode(),
                 "raw file": raw}
        blobs["decompressed"] = self.decompress_frames(raw)
        for value in self.SECRETS.values():
            for what, blob in blobs.items():
                self.assertNotIn(value.encode(), blob, "secret found in %s" % what)
        self.assertIn(b"visible-value-123", blobs["decompressed"],
                      "sanity: decompressing the trace exposes plain env values")

    def decompress_frames(self, raw):
        """Decompress every zstd frame in the file with the zstd CLI (skips if missing)."""
        zstd = shutil.which("zstd")
        if zstd is None:
            self.skipTest("zstd CLI not installed; cannot scan decompressed frames")
        magic = b"\x28\xb5\x2f\xfd"
        start = raw.find(magic)
        self.assertGreaterEqual(start, 0, "no zstd frame in the trace")
        out = subprocess.run([zstd, "-d", "-c", "-q"], input=raw[start:], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        # The end record after the last frame is not zstd: accept a trailing-garbage error
        # as long as frames were decoded.
        return out.stdout


class DescriptorTest(RecordTestCase):

    def fds_of(self, r, control_expected=None):
        """The child's descriptors, without the control channel's (checked here: exactly the
        one CTEST_RECORD_CONTROL names, a socket at fd >= 100, present iff expected)."""
        self.assertEqual(r.returncode, 0, r.describe())
        listing = json.loads(r.stdout)
        fds, control = listing["fds"], listing["control"]
        if control_expected is None:
            control_expected = r.trace is not None
        if not control_expected:
            self.assertIsNone(control, "no control channel expected")
            return fds
        self.assertRegex(control or "", r"^fd:\d+:\d+:\d+$")
        fd = control.split(":")[1]
        self.assertGreaterEqual(int(fd), 100, "control fd should stay clear of low numbers")
        self.assertTrue(fds.pop(fd, "").startswith("socket:"), "control fd %s: %r" % (fd, fds))
        return fds

    def test_child_sees_only_0_1_2_and_the_control_channel(self):
        direct = self.fds_of(self.run_argv(py_fixture("fd_list.py")))
        self.assertEqual(sorted(direct, key=int), ["0", "1", "2"], "baseline without the recorder")
        got = self.fds_of(self.record(py_fixture("fd_list.py")))
        self.assertEqual(sorted(got, key=int), ["0", "1", "2"], "child fds: %r" % got)
        for fd in ("1", "2"):
            self.assertTrue(got[fd].startswith("pipe:"), "fd %s should be a recorder pipe: %r" % (fd, got))

    def test_passed_descriptors_are_kept_and_nothing_else(self):
        r1, w1 = os.pipe()
        extra = os.open(self.path("extra.txt"), os.O_CREAT | os.O_WRONLY, 0o600)
        for fd in (r1, w1, extra):
            self.addCleanup(os.close, fd)
        passed = (w1, extra)
        direct = self.fds_of(self.run_argv(py_fixture("fd_list.py"), pass_fds=passed))
        want = sorted(["0", "1", "2"] + [str(fd) for fd in passed], key=int)
        self.assertEqual(sorted(direct, key=int), want, "baseline without the recorder")
        got = self.fds_of(self.record(py_fixture("fd_list.py"), pass_fds=passed))
        self.assertEqual(sorted(got, key=int), want, "child fds: %r" % got)
        self.assertEqual(got[str(extra)], os.path.realpath(self.path("extra.txt")))
        self.assertEqual(got[str(w1)], direct[str(w1)])

    def test_no_recorder_pipe_kept_by_child_with_capture_off(self):
        got = self.fds_of(self.record(py_fixture("fd_list.py"), options=["--no-capture-io"]),
                          control_expected=False)
        self.assertEqual(sorted(got, key=int), ["0", "1", "2"], "child fds: %r" % got)


if __name__ == "__main__":
    unittest.main()
