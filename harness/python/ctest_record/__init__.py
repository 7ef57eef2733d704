"""Record this Python process's own stdin/stdout/stderr into a ctest-record trace.

    import ctest_record

    with ctest_record.capture("run.ctrace"):
        print("hello")                    # reaches the console AND the trace
        ctest_record.set_context("test_a")
        os.write(1, b"raw bytes\\n")       # fd-level: C extensions and children too

Then read the trace with `ctest-trace info|cat|events run.ctrace`.

Capture works on file descriptors 0, 1 and 2 (not on sys.stdout objects), so everything the
process and the children it starts write there is recorded, byte for byte, while the console
still shows it. Python's own buffers are flushed before start, stop and every set_context.
One capture per process at a time; a capture still active at interpreter exit is stopped by
an atexit handler. See docs/python.md for where the library is looked for and the limits.

This is a ctypes binding of libctrecord_c.so (the C API, ctrecord/c_api.h); stdlib only.
"""
import atexit
import ctypes
import ctypes.util
import os
import sys
import threading

__all__ = [
    "Capture",
    "capture",
    "set_context",
    "current_context",
    "library_path",
    "CaptureError",
    "UsageError",
    "CaptureEnvironmentError",
    "LibraryNotFound",
    "InternalError",
    "TraceIncomplete",
]

LIBRARY_ENV_VAR = "CTEST_RECORD_LIB"
_LIBRARY_NAME = "libctrecord_c.so"
_API_VERSION = 1  # CTRECORD_C_API_VERSION this binding speaks

# Status codes of ctrecord/c_api.h.
_OK = 0
_USAGE_ERROR = 1
_ENVIRONMENT_ERROR = 2
_INTERNAL_ERROR = 3
_TRACE_INCOMPLETE = 4


class CaptureError(Exception):
    """Base class of every error this package raises."""


class UsageError(CaptureError):
    """Wrong use: a capture already active, a bad CTEST_CAPTURE_IO value, a bad argument."""


class CaptureEnvironmentError(CaptureError):
    """The system refused: the trace file cannot be created, pipe/dup failed, no library."""


class LibraryNotFound(CaptureEnvironmentError):
    """libctrecord_c.so could not be found or loaded; the message lists what was tried."""


class InternalError(CaptureError):
    """A bug in the recorder (please report it with the message)."""


class TraceIncomplete(CaptureError):
    """stop(): the descriptors are restored, but the trace could not be finished."""


_ERRORS = {
    _USAGE_ERROR: UsageError,
    _ENVIRONMENT_ERROR: CaptureEnvironmentError,
    _INTERNAL_ERROR: InternalError,
    _TRACE_INCOMPLETE: TraceIncomplete,
}

# ------------------------------------------------------------------------------ the library
_lib_lock = threading.Lock()
_lib = None
_lib_path = None


def _candidates():
    """(description, path or name) pairs, in the order they are tried."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    found = ctypes.util.find_library("ctrecord_c")
    return [
        ("next to the package", os.path.join(here, _LIBRARY_NAME)),
        ("the source tree's default build", os.path.join(repo, "build", "recorder", "capi", _LIBRARY_NAME)),
        ("ctypes.util.find_library('ctrecord_c')", found),
    ]


def _load():
    global _lib, _lib_path
    with _lib_lock:
        if _lib is not None:
            return _lib
        explicit = os.environ.get(LIBRARY_ENV_VAR)
        if explicit:
            # An explicit choice is never silently replaced by another library.
            try:
                lib = ctypes.CDLL(explicit)
            except OSError as e:
                raise LibraryNotFound("cannot load %s=%s: %s" % (LIBRARY_ENV_VAR, explicit, e)) from None
            path = explicit
        else:
            tried = []
            lib = path = None
            for what, candidate in _candidates():
                if not candidate:
                    tried.append("%s: nothing found" % what)
                    continue
                if os.sep in candidate and not os.path.exists(candidate):
                    tried.append("%s: %s does not exist" % (what, candidate))
                    continue
                try:
                    lib = ctypes.CDLL(candidate)
                except OSError as e:
                    tried.append("%s: %s: %s" % (what, candidate, e))
                    continue
                path = candidate
                break
            if lib is None:
                raise LibraryNotFound(
                    "%s not found; set %s to its path (it is built as <build>/recorder/capi/%s). "
                    "Tried: %s; %s" % (_LIBRARY_NAME, LIBRARY_ENV_VAR, _LIBRARY_NAME,
                                       LIBRARY_ENV_VAR + " is not set", "; ".join(tried)))
        _declare(lib, path)
        _lib, _lib_path = lib, path
        return lib


def _declare(lib, path):
    """Set the C signatures and check the C API version."""
    try:
        lib.ctrecord_api_version.argtypes = []
        lib.ctrecord_api_version.restype = ctypes.c_int
        lib.ctrecord_start.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_void_p)]
        lib.ctrecord_start.restype = ctypes.c_int
        lib.ctrecord_stop.argtypes = [ctypes.c_void_p]
        lib.ctrecord_stop.restype = ctypes.c_int
        lib.ctrecord_set_context.argtypes = [ctypes.c_char_p]
        lib.ctrecord_set_context.restype = ctypes.c_int
        lib.ctrecord_current_context.argtypes = []
        lib.ctrecord_current_context.restype = ctypes.c_char_p
        lib.ctrecord_last_error.argtypes = []
        lib.ctrecord_last_error.restype = ctypes.c_char_p
    except AttributeError as e:
        raise LibraryNotFound("%s is not the ctest-record C API library: %s" % (path, e)) from None
    version = lib.ctrecord_api_version()
    if version != _API_VERSION:
        raise LibraryNotFound("%s speaks C API version %d; this package needs %d"
                              % (path, version, _API_VERSION))


def library_path():
    """Path (or name) of the loaded libctrecord_c.so, loading it if needed."""
    _load()
    return _lib_path


def _check(lib, status):
    if status == _OK:
        return
    message = (lib.ctrecord_last_error() or b"").decode("utf-8", "replace")
    raise _ERRORS.get(status, InternalError)(message or "status %d" % status)


def _flush_python_streams():
    """Python's sys.stdout/sys.stderr buffer in the process: their bytes must reach fds 1/2
    before a capture starts, stops or changes context, or they land in the wrong place."""
    seen = set()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None or id(stream) in seen:
            continue
        seen.add(id(stream))
        try:
            stream.flush()
        except (OSError, ValueError):  # closed stream, console gone: nothing to hand over
            pass


def _encode(value, what):
    data = os.fsencode(value) if not isinstance(value, bytes) else value
    if b"\0" in data:
        raise ValueError("%s contains a NUL byte: %r" % (what, value))
    return data


# ------------------------------------------------------------------------------- capture
_active_lock = threading.Lock()
_active = None  # the Capture that is running (kept alive so atexit can stop it)


class Capture:
    """A capture of fds 0/1/2 into `trace_path`; start() and stop(), or use it in `with`.

    capture_io: None follows the policy (CTEST_CAPTURE_IO, default on); True/False force it.
    capture_stdin: False leaves fd 0 alone (not recorded).
    """

    def __init__(self, trace_path, capture_io=None, capture_stdin=True):
        if capture_io not in (None, True, False):
            raise TypeError("capture_io must be None, True or False, not %r" % (capture_io,))
        self.trace_path = os.fspath(trace_path)
        self.capture_io = capture_io
        self.capture_stdin = bool(capture_stdin)
        self._handle = None
        self._pid = None

    @property
    def active(self):
        """True between a successful start() and stop()."""
        return self._handle is not None

    def start(self):
        """Start capturing. Raises UsageError (already active, bad CTEST_CAPTURE_IO) or
        CaptureEnvironmentError (trace not creatable, ...); on error nothing is changed."""
        global _active
        if self._handle is not None:
            raise UsageError("this capture is already started (%s)" % self.trace_path)
        lib = _load()
        path = _encode(self.trace_path, "trace_path")
        mode = -1 if self.capture_io is None else int(self.capture_io)
        _flush_python_streams()
        handle = ctypes.c_void_p()
        _check(lib, lib.ctrecord_start(path, mode, int(self.capture_stdin), ctypes.byref(handle)))
        self._handle, self._pid = handle, os.getpid()
        with _active_lock:
            _active = self
        return self

    def stop(self):
        """Stop: restore fds 0/1/2 and finish the trace. No-op if not active. Raises
        TraceIncomplete if the trace could not be finished (the fds are restored anyway)."""
        global _active
        if self._handle is None:
            return
        if os.getpid() != self._pid:
            raise UsageError("this capture was started by process %d; a forked child (%d) "
                             "cannot stop it" % (self._pid, os.getpid()))
        lib = _load()
        _flush_python_streams()
        handle, self._handle = self._handle, None
        with _active_lock:
            if _active is self:
                _active = None
        _check(lib, lib.ctrecord_stop(handle))  # frees the session, even on error

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    def __repr__(self):
        return "<ctest_record.Capture %r %s>" % (self.trace_path, "active" if self.active else "stopped")


def capture(trace_path, capture_io=None, capture_stdin=True):
    """`with capture("out.ctrace"): ...` records fds 0/1/2 inside the block (see Capture)."""
    return Capture(trace_path, capture_io=capture_io, capture_stdin=capture_stdin)


def set_context(name):
    """Stamp output from now on with `name` (e.g. the running test); None or "" clears it.
    Flushes Python's buffers first, so earlier output keeps the previous context."""
    lib = _load()
    data = b"" if name is None else _encode(name, "context")
    _flush_python_streams()
    _check(lib, lib.ctrecord_set_context(data))


def current_context():
    """The context this thread set last ("" if none)."""
    lib = _load()
    return os.fsdecode(lib.ctrecord_current_context() or b"")


@atexit.register
def _stop_at_exit():
    capture_ = _active
    if capture_ is None or capture_._pid != os.getpid():
        return
    try:
        capture_.stop()
    except CaptureError as e:
        sys.stderr.write("ctest_record: stopping the capture at exit: %s\n" % e)
