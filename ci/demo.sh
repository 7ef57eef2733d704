#!/usr/bin/env bash
# `make demo`: records the bundled fixtures with the freshly built tools and shows what the
# traces hold. Usage: ci/demo.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
record="$build/harness/ctest-record"
trace="$build/harness/ctest-trace"
out="$build/demo"
rm -rf "$out" && mkdir -p "$out"
# Debian's interpreter sees python3-pytest even when another python3 is first on PATH.
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "ctest-record -o $out/smoke.ctrace -- python3 fixtures/stdout_script.py < fixtures/demo-input.txt"
"$record" -o "$out/smoke.ctrace" -- "$py" "$root/fixtures/stdout_script.py" < "$root/fixtures/demo-input.txt"

step "ctest-trace info $out/smoke.ctrace"
"$trace" info "$out/smoke.ctrace"

step "ctest-trace cat --stream stdin $out/smoke.ctrace   (the bytes the script consumed)"
"$trace" cat --stream stdin "$out/smoke.ctrace"

step "ctest-trace events $out/smoke.ctrace   (io events, one JSON object per line)"
"$trace" events "$out/smoke.ctrace" | grep '"kind":"io"' | head -n 6

if "$py" -c 'import pytest' 2>/dev/null; then
  step "ctest-record --artifact-dir $out/ci -o pytest.ctrace -- python3 -m pytest fixtures/pytest_demo"
  echo "(the pytest plugin is loaded automatically: the trace knows which test printed what)"
  (cd "$root" && "$record" --artifact-dir "$out/ci" -o pytest.ctrace -- "$py" -m pytest -p no:cacheprovider fixtures/pytest_demo)
  step "ctest-trace info $out/ci/pytest.ctrace   (per-test outcomes and output sizes at the end)"
  "$trace" info "$out/ci/pytest.ctrace"
  step "ls $out/ci   (ready for a CI upload-artifact step)"
  ls -l "$out/ci"
  sed -n '1,6p' "$out/ci/junit.xml"
else
  echo "(pytest is not installed for $py: skipping the pytest demo)"
fi

if command -v bc >/dev/null; then
  step "printf '2+3\\n1/3\\nquit\\n' | ctest-record --tty=always -o $out/bc-tty.ctrace -- bc -q   (a terminal program on a pty)"
  echo "(at a terminal --tty=auto does this by itself; keystrokes are recorded, and the replay"
  echo " sends each one when the output reaches the point where it was typed)"
  printf '2+3\n1/3\nquit\n' | "$record" --tty=always -o "$out/bc-tty.ctrace" -- bc -q
  "$trace" info "$out/bc-tty.ctrace" | grep -E '^(command|terminal)'
  step "ctest-trace export --format asciicast $out/bc-tty.ctrace   (opens in asciinema's player)"
  "$trace" export --format asciicast "$out/bc-tty.ctrace" | head -n 4
fi

replay="$build/harness/ctest-replay"
step "ctest-replay $out/*.ctrace   (re-run each recording, feed its stdin back, compare)"
(cd "$root" && "$replay" -j 1 "$out")

step "ctest-replay $out/smoke.ctrace -- sh -c 'python3 fixtures/stdout_script.py | tr a-z A-Z'   (a changed program)"
"$replay" "$out/smoke.ctrace" -- sh -c "\"$py\" \"$root/fixtures/stdout_script.py\" | tr a-z A-Z" ||
  echo "(exit $?: the regression is caught, with the diff above)"

if [[ -f $out/bc-tty.ctrace ]]; then
  step "ctest-replay $out/bc-tty.ctrace -- bc -q -l   (bc with its maths library: 1/3 is .333..., not 0)"
  "$replay" "$out/bc-tty.ctrace" -- bc -q -l ||
    echo "(exit $?: a pty recording replayed headless, the changed output caught)"
fi

if [[ -f $out/ci/pytest.ctrace ]]; then
  step "CTR_DEMO_CHANGED=1 ctest-replay $out/ci/pytest.ctrace   (one test prints something else)"
  (cd "$root" && CTR_DEMO_CHANGED=1 "$replay" "$out/ci/pytest.ctrace") ||
    echo "(exit $?: the regression names the test whose output changed)"
fi

step "done: traces are in $out"
