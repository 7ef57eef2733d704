"""The Python control-channel client (harness/python/ctest_record/control.py) against a fake
recorder written here from docs/control-protocol.md: a SOCK_SEQPACKET pair whose one end is
announced in CTEST_RECORD_CONTROL, a thread that accepts the hello with its descriptor, and one
thread per connection that parses requests and replies (or rejects, or hangs up).

No binaries needed; stdlib only. The real recorder is exercised by test_pytest_plugin.py and
test_unittest_runner.py.
"""
import contextlib
import fcntl
import io
import os
import select
import socket
import struct
import sys
import threading
import unittest

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(_REPO, "harness", "python"))

from ctest_record import control  # noqa: E402

HELLO = b"ctest-record-control 1"


def parse_string(body, pos):
    n = struct.unpack_from("<I", body, pos)[0]
    return body[pos + 4:pos + 4 + n], pos + 4 + n


def parse_request(body):
    """(type name, fields) of one request body, as the spec lays it out; asserts it is exact."""
    kind = body[0]
    pos = 1
    if kind == 1:
        test_id, pos = parse_string(body, pos)
        fields = (test_id,)
    elif kind == 2:
        test_id, pos = parse_string(body, pos)
        outcome, pos = parse_string(body, pos)
        duration = struct.unpack_from("<Q", body, pos)[0]
        pos += 8
        fields = (test_id, outcome, duration)
    elif kind == 3:
        test_id, pos = parse_string(body, pos)
        section, pos = parse_string(body, pos)
        data, pos = parse_string(body, pos)
        fields = (test_id, section, data)
    else:
        raise AssertionError("unknown request type %d" % kind)
    assert pos == len(body), "request body not consumed exactly: %r" % body
    return {1: "started", 2: "finished", 3: "captured"}[kind], fields


def reply(status, message=b""):
    body = bytes([status]) + struct.pack("<I", len(message)) + message
    return struct.pack("<I", len(body)) + body


class FakeRecorder:
    """The recorder's side of the channel. `policy(request)` returns None (reply ok), a bytes
    message (reject with it) or "hangup" (close the connection without a reply)."""

    def __init__(self, policy=None):
        self.policy = policy or (lambda request: None)
        self.lock = threading.Lock()
        self.requests = []      # (peer pid, type name, fields), in arrival order
        self.hellos = []        # (payload, number of descriptors)
        self.errors = []
        self.log = None         # optional shared list: "request" appended on arrival
        server, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.server = server
        self.fd = fcntl.fcntl(child.fileno(), fcntl.F_DUPFD_CLOEXEC, 200)
        child.close()
        st = os.fstat(self.fd)
        self.env_value = "fd:%d:%d:%d" % (self.fd, st.st_dev, st.st_ino)
        self.stop_r, self.stop_w = os.pipe()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def close(self):
        os.write(self.stop_w, b"x")
        for t in list(self.threads):
            t.join(5)
        for fd in (self.fd, self.stop_r, self.stop_w):
            os.close(fd)
        self.server.close()

    def _accept(self):
        while True:
            ready, _, _ = select.select([self.server, self.stop_r], [], [])
            if self.stop_r in ready:
                return
            msg, fds, _, _ = socket.recv_fds(self.server, 256, 4)
            with self.lock:
                self.hellos.append((msg, len(fds)))
            if msg != HELLO or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            conn = socket.socket(fileno=fds[0])
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid = struct.unpack("3i", creds)[0]
        data = b""
        with conn:
            while True:
                ready, _, _ = select.select([conn, self.stop_r], [], [])
                if self.stop_r in ready:
                    return
                more = conn.recv(1 << 20)
                if not more:
                    return
                data += more
                while len(data) >= 4 and len(data) >= 4 + struct.unpack("<I", data[:4])[0]:
                    n = struct.unpack("<I", data[:4])[0]
                    body, data = data[4:4 + n], data[4 + n:]
                    try:
                        request = parse_request(body)
                    except Exception as e:  # noqa: BLE001 - reported by the test
                        with self.lock:
                            self.errors.append(repr(e))
                        conn.sendall(reply(1, b"malformed"))
                        return
                    with self.lock:
                        self.requests.append((pid,) + request)
                        if self.log is not None:
                            self.log.append("request")
                    answer = self.policy(request)
                    if answer == "hangup":
                        return
                    conn.sendall(reply(0) if answer is None else reply(1, answer))

    def seen(self):
        with self.lock:
            return [(kind, fields) for _, kind, fields in self.requests]


class ControlClientTest(unittest.TestCase):

    def setUp(self):
        control._clients.clear()
        self.old_env = os.environ.get(control.ENV_VAR)
        self.addCleanup(self.restore_env)
        self.stderr = io.StringIO()
        redirect = contextlib.redirect_stderr(self.stderr)
        redirect.__enter__()
        self.addCleanup(redirect.__exit__, None, None, None)

    def restore_env(self):
        for client in control._clients.values():
            client.close()
        control._clients.clear()
        if self.old_env is None:
            os.environ.pop(control.ENV_VAR, None)
        else:
            os.environ[control.ENV_VAR] = self.old_env

    def recorder(self, policy=None):
        fake = FakeRecorder(policy)
        self.addCleanup(fake.close)
        os.environ[control.ENV_VAR] = fake.env_value
        return fake

    # ------------------------------------------------------------------------- the wire
    def test_requests_are_what_the_spec_says(self):
        fake = self.recorder()
        client = control.connect()
        self.assertIsNotNone(client)
        self.assertTrue(client.test_started("suite::test_a"))
        self.assertTrue(client.captured("suite::test_a", "stdout call", b"\x00bytes\xff\n"))
        self.assertTrue(client.captured("suite::test_a", "log call", "text \u00e9\n"))
        self.assertTrue(client.test_finished("suite::test_a", "failed", 123456789012))
        self.assertTrue(client.test_started("caf\u00e9 \udcff"))  # surrogateescape'd bytes
        self.assertEqual(fake.seen(), [
            ("started", (b"suite::test_a",)),
            ("captured", (b"suite::test_a", b"stdout call", b"\x00bytes\xff\n")),
            ("captured", (b"suite::test_a", b"log call", "text \u00e9\n".encode())),
            ("finished", (b"suite::test_a", b"failed", 123456789012)),
            ("started", (b"caf\xc3\xa9 \xff",)),
        ])
        self.assertEqual(fake.hellos, [(HELLO, 1)])
        self.assertEqual(fake.errors, [])
        self.assertEqual(self.stderr.getvalue(), "")

    def test_one_client_and_one_connection_per_process(self):
        fake = self.recorder()
        first = control.connect()
        self.assertIs(control.connect(), first)
        first.test_started("a")
        control.connect().test_finished("a", "passed", 0)
        self.assertEqual(len(fake.hellos), 1)
        self.assertEqual({pid for pid, _, _ in fake.requests}, {os.getpid()})

    def test_the_connection_is_above_the_low_descriptors(self):
        self.recorder()
        client = control.connect()
        client.test_started("a")
        self.assertGreaterEqual(client._sock.fileno(), 100)
        self.assertFalse(os.get_inheritable(client._sock.fileno()))

    def test_python_streams_are_flushed_before_started_and_finished(self):
        fake = self.recorder()
        order = []
        fake.log = order

        class Stream(io.StringIO):
            def flush(self):
                order.append("flush")

        client = control.connect()
        old = sys.stdout
        sys.stdout = Stream()
        try:
            client.test_started("a")
            client.test_finished("a", "passed")
        finally:
            sys.stdout = old
        self.assertEqual(order[0], "flush")
        self.assertEqual(order.count("request"), 2)
        self.assertEqual(order[-1], "request")
        self.assertEqual(order[order.index("request") + 1], "flush")

    def test_a_big_captured_section_is_sent_in_pieces_below_the_limit(self):
        fake = self.recorder()
        data = bytes(range(256)) * (20 * 1024 * 1024 // 256 + 3)
        self.assertTrue(control.connect().captured("t", "stdout call", data))
        pieces = [fields[2] for kind, fields in fake.seen()]
        self.assertEqual(len(pieces), 3)
        self.assertTrue(all(len(p) <= 8 * 1024 * 1024 for p in pieces))
        self.assertEqual(b"".join(pieces), data)

    def test_threads_each_get_their_own_reply(self):
        fake = self.recorder()
        client = control.connect()
        failures = []

        def worker(n):
            for i in range(50):
                if not client.test_started("w%d-%d" % (n, i)):
                    failures.append((n, i))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(failures, [])
        self.assertEqual(sorted(f[0] for _, f in fake.seen()),
                         sorted(("w%d-%d" % (n, i)).encode() for n in range(8) for i in range(50)))
        self.assertEqual(len(fake.hellos), 1)
        self.assertEqual(fake.errors, [])

    def test_a_forked_child_opens_its_own_connection(self):
        fake = self.recorder()
        client = control.connect()
        client.test_started("parent")
        pid = os.fork()
        if pid == 0:  # the child: report through the same client object, then leave at once
            ok = client.test_started("child") and client.test_finished("child", "passed", 1)
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        client.test_finished("parent", "passed", 2)
        self.assertEqual(len(fake.hellos), 2)
        by_pid = {}
        for peer, kind, fields in fake.requests:
            by_pid.setdefault(peer, []).append((kind, fields[0]))
        self.assertEqual(by_pid, {
            os.getpid(): [("started", b"parent"), ("finished", b"parent")],
            pid: [("started", b"child"), ("finished", b"child")],
        })

    # ------------------------------------------------------------------- no channel
    def test_no_variable_or_another_form_is_silently_nothing(self):
        for value in (None, "", "fd", "fd:1:2", "fd:a:1:2", "fd:-1:1:2", "fd:1:2:3:4",
                      "unix:/tmp/x", "fd: 5:1:2", "fd:99999999999999999999:1:1"):
            control._clients.clear()
            if value is None:
                os.environ.pop(control.ENV_VAR, None)
            else:
                os.environ[control.ENV_VAR] = value
            self.assertIsNone(control.connect(), value)
        self.assertEqual(self.stderr.getvalue(), "")

    def test_a_stale_variable_is_silently_ignored(self):
        fake = self.recorder()
        fd, dev, ino = (int(p) for p in fake.env_value.split(":")[1:])
        # Wrong inode, wrong device.
        for value in ("fd:%d:%d:%d" % (fd, dev, ino + 1), "fd:%d:%d:%d" % (fd, dev + 1, ino)):
            os.environ[control.ENV_VAR] = value
            self.assertIsNone(control.connect(), value)
        # A descriptor that is not open.
        free = os.open(os.devnull, os.O_RDONLY)
        os.close(free)
        os.environ[control.ENV_VAR] = "fd:%d:%d:%d" % (free, dev, ino)
        self.assertIsNone(control.connect())
        # A reused number: a pipe now, with its own (correct) device and inode.
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        st = os.fstat(r)
        os.environ[control.ENV_VAR] = "fd:%d:%d:%d" % (r, st.st_dev, st.st_ino)
        self.assertIsNone(control.connect())
        # Another socket than the announced one.
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        os.environ[control.ENV_VAR] = "fd:%d:%d:%d" % (a.fileno(), dev, ino)
        self.assertIsNone(control.connect())
        self.assertEqual(fake.hellos, [])
        self.assertEqual(self.stderr.getvalue(), "")

    # -------------------------------------------------------------------- failures
    def test_a_rejected_request_warns_once_and_disables_the_client(self):
        fake = self.recorder(lambda request: b"no thanks" if request[0] == "finished" else None)
        client = control.connect()
        self.assertTrue(client.test_started("a"))
        self.assertFalse(client.test_finished("a", "passed", 0))
        self.assertFalse(client.test_started("b"))
        self.assertFalse(client.captured("b", "stdout", b"x"))
        self.assertFalse(client.usable)
        self.assertIsNone(control.connect())
        self.assertEqual([kind for kind, _ in fake.seen()], ["started", "finished"])
        lines = self.stderr.getvalue().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ctest-record: "), lines)
        self.assertIn("no thanks", lines[0])

    def test_a_recorder_that_hangs_up_is_one_warning_never_an_exception(self):
        self.recorder(lambda request: "hangup")
        client = control.connect()
        self.assertFalse(client.test_started("a"))
        self.assertFalse(client.test_finished("a", "passed", 0))
        lines = self.stderr.getvalue().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"^ctest-record: control channel: .*closed")

    def test_a_channel_nobody_reads_fails_the_hello_with_one_warning(self):
        fake = self.recorder()
        os.write(fake.stop_w, b"x")  # stop the fake's accept thread, then close its end
        for t in fake.threads:
            t.join(5)
        fake.server.close()
        self.assertIsNone(control.connect())
        self.assertIsNone(control.connect())
        lines = self.stderr.getvalue().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ctest-record: "), lines)


if __name__ == "__main__":
    unittest.main()
