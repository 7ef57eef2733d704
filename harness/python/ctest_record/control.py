"""Client of ctest-record's control channel (docs/control-protocol.md): tells the recorder
which test is running, so the trace has `test` and `captured` events and every io chunk the
test wrote carries its id as context.

    from ctest_record import control

    client = control.connect()          # None when not running under ctest-record
    if client is not None:
        client.test_started("test_a")
        ...
        client.test_finished("test_a", "passed", duration_ns)

Stdlib only, independent of libctrecord_c.so (nothing is loaded). The client never raises
into the test run: on any error (the recorder went away, a request was rejected) it writes
one warning line to stderr, starting with "ctest-record:", and does nothing from then on.
It is thread-safe, and a forked child process opens its own connection on first use.
"""
import fcntl
import os
import socket
import stat
import struct
import sys
import threading

__all__ = ["ENV_VAR", "HELLO", "OUTCOMES", "ControlClient", "connect", "endpoint_from_env"]

ENV_VAR = "CTEST_RECORD_CONTROL"
HELLO = b"ctest-record-control 1"
OUTCOMES = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")

_TEST_STARTED = 1
_TEST_FINISHED = 2
_CAPTURED = 3
_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# A captured section bigger than this is sent as several `captured` requests (same test and
# section; concatenated in order they are the whole section), so no request exceeds the limit.
_MAX_CAPTURED_CHUNK = 8 * 1024 * 1024
# The private connection is moved to a descriptor at least this high, as the recorder does
# with the channel itself, so the program's low descriptor numbers stay as without us.
_MIN_FD = 100
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)


def endpoint_from_env(environ=None):
    """(fd, dev, ino) from CTEST_RECORD_CONTROL=fd:N:DEV:INO, or None when the variable is
    unset or has another form."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    parts = value.split(":")
    if len(parts) != 4 or parts[0] != "fd":
        return None
    if not all(p.isdigit() and p.isascii() for p in parts[1:]):
        return None
    fd, dev, ino = (int(p, 10) for p in parts[1:])
    return fd, dev, ino


def _is_channel(endpoint):
    """True if descriptor N is still the recorder's socket (not stale, not reused)."""
    fd, dev, ino = endpoint
    try:
        st = os.fstat(fd)
    except (OSError, OverflowError, ValueError):
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_dev == dev and st.st_ino == ino


def _string(data):
    return struct.pack("<I", len(data)) + data


def _bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogateescape")


def flush_std_streams():
    """Hand Python's buffered stdout/stderr to fds 1/2, so output written before a test event
    is recorded before it (the ordering contract of the protocol)."""
    seen = set()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None or id(stream) in seen:
            continue
        seen.add(id(stream))
        try:
            stream.flush()
        except Exception:  # closed, detached, a console that went away: nothing to hand over
            pass


class _Rejected(Exception):
    pass


class ControlClient:
    """One process's private connection to the recorder (reopened after fork). Use connect()."""

    def __init__(self, endpoint):
        self._endpoint = endpoint
        self._lock = threading.Lock()
        self._sock = None
        self._pid = None
        self._disabled = False
        self._warned = False

    # ------------------------------------------------------------------------ public API
    @property
    def usable(self):
        """False once the client has disabled itself (after an error)."""
        return not self._disabled

    def test_started(self, test_id):
        """A test starts: output from now on belongs to it. Returns True if recorded."""
        flush_std_streams()
        return self._request(bytes([_TEST_STARTED]) + _string(_bytes(test_id)))

    def test_finished(self, test_id, outcome, duration_ns=0):
        """The test ended with `outcome` (passed, failed, skipped, error, xfailed, xpassed)
        after `duration_ns` as the framework measured it. Returns True if recorded."""
        flush_std_streams()
        duration = max(0, min(int(duration_ns or 0), (1 << 64) - 1))
        return self._request(bytes([_TEST_FINISHED]) + _string(_bytes(test_id)) +
                             _string(_bytes(outcome)) + struct.pack("<Q", duration))

    def captured(self, test_id, section, data):
        """Output the framework captured for the test (never shown on the console): `section`
        is "stdout", "stderr" or "log", optionally followed by " " and the phase."""
        data = _bytes(data)
        head = bytes([_CAPTURED]) + _string(_bytes(test_id)) + _string(_bytes(section))
        ok = True
        for start in range(0, max(len(data), 1), _MAX_CAPTURED_CHUNK):
            ok = self._request(head + _string(data[start:start + _MAX_CAPTURED_CHUNK])) and ok
        return ok

    def close(self):
        """Close this process's connection (the client can reopen it on next use)."""
        with self._lock:
            self._drop()

    # --------------------------------------------------------------------------- internals
    def _request(self, body):
        if self._disabled:
            return False
        with self._lock:
            if self._disabled:
                return False
            try:
                if len(body) > _MAX_MESSAGE_BYTES:
                    raise _Rejected("a request of %d bytes is over the %d byte limit"
                                    % (len(body), _MAX_MESSAGE_BYTES))
                sock = self._connection()
                sock.sendall(struct.pack("<I", len(body)) + body, _NOSIGNAL)
                status, message = self._read_reply(sock)
                if status != 0:
                    raise _Rejected("the recorder rejected a request: %s"
                                    % message.decode("utf-8", "replace"))
                return True
            except (OSError, _Rejected, ValueError) as e:
                self._disable(e)
                return False

    def _connection(self):
        pid = os.getpid()
        if self._sock is not None and self._pid == pid:
            return self._sock
        # First use in this process (or a forked child, which must not share the parent's
        # connection: the replies would go to whoever reads first).
        self._drop()
        if not _is_channel(self._endpoint):
            raise OSError("the control channel (%s) is not open in process %d" % (ENV_VAR, pid))
        self._sock = _open_connection(self._endpoint[0])
        self._pid = pid
        return self._sock

    @staticmethod
    def _read_reply(sock):
        data = b""
        while True:
            if len(data) >= 4:
                length = struct.unpack("<I", data[:4])[0]
                if length < 5 or length > _MAX_MESSAGE_BYTES:
                    raise _Rejected("malformed reply (length %d)" % length)
                if len(data) >= 4 + length:
                    body = data[4:4 + length]
                    n = struct.unpack("<I", body[1:5])[0]
                    if 5 + n != len(body):
                        raise _Rejected("malformed reply (message of %d bytes in %d)"
                                        % (n, len(body)))
                    return body[0], body[5:]
            more = sock.recv(65536)
            if not more:
                raise OSError("the recorder closed the control connection")
            data += more

    def _drop(self):
        sock, self._sock, self._pid = self._sock, None, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _disable(self, error):
        self._disabled = True
        self._drop()
        if self._warned:
            return
        self._warned = True
        text = ("ctest-record: control channel: %s; tests are no longer reported to the "
                "recorder\n" % error)
        try:
            stream = sys.stderr if sys.stderr is not None else sys.__stderr__
            stream.write(text)
            stream.flush()
        except Exception:
            try:
                os.write(2, text.encode("utf-8", "replace"))
            except OSError:
                pass

    def _after_fork_in_child(self):
        # The lock may have been held by another thread at fork time; the child gets a new
        # one and opens its own connection on first use.
        self._lock = threading.Lock()


def _open_connection(channel_fd):
    """socketpair, pass one end to the recorder with the hello, keep the other."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        channel = socket.socket(fileno=os.dup(channel_fd))
        try:
            if hasattr(socket, "send_fds"):
                socket.send_fds(channel, [HELLO], [theirs.fileno()], _NOSIGNAL)
            else:  # Python < 3.9
                import array
                channel.sendmsg([HELLO], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                           array.array("i", [theirs.fileno()]))], _NOSIGNAL)
        finally:
            channel.close()
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()
    try:
        high = fcntl.fcntl(mine.fileno(), fcntl.F_DUPFD_CLOEXEC, _MIN_FD)
    except OSError:
        return mine  # no descriptor that high: keep the low one
    mine.close()
    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=high)


_clients_lock = threading.Lock()
_clients = {}  # endpoint -> ControlClient (one per process and endpoint)


def connect(environ=None):
    """The control-channel client of this process, or None when there is no usable channel:
    CTEST_RECORD_CONTROL unset, in another form, or stale (descriptor N closed or not the
    recorder's socket any more) -- all silently. If the channel is there but the connection
    cannot be opened, warns once on stderr and returns None. Cheap to call repeatedly."""
    endpoint = endpoint_from_env(environ)
    if endpoint is None or not _is_channel(endpoint):
        return None
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = ControlClient(endpoint)
    if not client.usable:
        return None
    with client._lock:
        try:
            client._connection()
        except OSError as e:
            client._disable(e)
            return None
    return client


def _reset_after_fork():
    global _clients_lock
    _clients_lock = threading.Lock()
    for client in list(_clients.values()):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
