#!/usr/bin/python3
"""Reads the traces the Windows tests wrote under Wine with the Linux ctest-trace.

Run by ci/test-windows.sh after CTest: tests/windows/trace_windows_test.cpp keeps
wine_spawn.ctrace (win_child: out:hello err:oops binout:raw exit:3) and wine_session.ctrace
(an in-process Session: printf, std::cout, raw WriteFile, fprintf(stderr)) in its working
folder. Both must be complete traces to the Linux reader, with the exact bytes the Windows
test checked (a text-mode "\\r\\n" included), the same start fields (stdin_mode, child_pid)
and counters, and each chunk's producer (the child's pid in spawn mode, the recorder's in
process): one format on both platforms.
  ci/check-wine-traces.py CTEST_TRACE TRACE_DIR
Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""
import json
import subprocess
import sys
from pathlib import Path

EXPECTED = {
    "wine_spawn.ctrace": {
        "capture_mode": "spawn",
        "argv_tail": ["out:hello", "err:oops", "binout:raw", "exit:3"],
        "stdout": b"hello\r\nraw\n",
        "stderr": b"oops\r\n",
        "exit_code": 3,
        "stdin_mode": "null",
        "producer": "child",  # every chunk's producer is the child's pid (start's child_pid)
    },
    "wine_session.ctrace": {
        "capture_mode": "in-process",
        "argv_tail": ["prog", "an arg"],
        "stdout": b"printf\r\ncout\r\nraw\n",
        "stderr": b"err\r\n",
        "exit_code": None,  # an in-process session has no exit event
        "stdin_mode": "forwarded",  # CTest's stdin, /dev/null: a character device under Wine
        "producer": "recorder",  # the chunks come from the recording process itself
    },
}


def run(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, check=False)


def check(tool, trace, expected):
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{trace.name}: {what}: got {got!r}, want {want!r}")

    info = run(tool, "info", "--json", str(trace))
    expect("ctest-trace info exit status", info.returncode, 0)
    if info.returncode != 0:
        return failures + [info.stderr.decode(errors="replace")]
    doc = json.loads(info.stdout)
    expect("complete", doc["complete"], True)
    expect("capture_mode", doc["start"]["capture_mode"], expected["capture_mode"])
    argv = doc["start"]["argv"]
    expect("argv", argv[len(argv) - len(expected["argv_tail"]):], expected["argv_tail"])
    expect("uname", doc["start"]["uname"].split(" ")[0], "Windows")
    expect("stdin_mode", doc["start"]["stdin_mode"], expected["stdin_mode"])
    child_pid = doc["start"]["child_pid"]
    if expected["producer"] == "child":
        if not child_pid or child_pid == doc["start"]["recorder_pid"]:
            failures.append(f"{trace.name}: child_pid {child_pid!r}: not the child's pid")
        producer = child_pid
    else:
        expect("child_pid", child_pid, 0)
        producer = doc["start"]["recorder_pid"]
    if expected["exit_code"] is not None:
        expect("exit code", (doc["exit"] or {}).get("code"), expected["exit_code"])
    for stream in ("stdout", "stderr"):
        cat = run(tool, "cat", "--stream", stream, str(trace))
        expect(f"ctest-trace cat --stream {stream} exit status", cat.returncode, 0)
        expect(f"{stream} bytes", cat.stdout, expected[stream])
        expect(f"{stream} byte counter", doc["end"]["counters"]["bytes"][stream],
               len(expected[stream]))
    events = run(tool, "events", str(trace))
    expect("ctest-trace events exit status", events.returncode, 0)
    parsed = [json.loads(line) for line in events.stdout.splitlines()]
    kinds = [event["kind"] for event in parsed]
    expect("first and last event", (kinds[:1], kinds[-1:]), (["start"], ["end"]))
    producers = {event["producer"] for event in parsed if event["kind"] == "io"}
    expect("chunk producers", producers, {producer})
    return failures


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    tool, folder = sys.argv[1], Path(sys.argv[2])
    failures = []
    for name, expected in EXPECTED.items():
        trace = folder / name
        if not trace.is_file():
            failures.append(f"{trace}: missing (did the Windows tests run?)")
            continue
        failures += check(tool, trace, expected)
    for failure in failures:
        print(f"check-wine-traces: FAILED {failure}", file=sys.stderr)
    if not failures:
        print(f"check-wine-traces: {len(EXPECTED)} traces written under Wine read back by "
              f"{tool}: complete, same bytes and counters")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
