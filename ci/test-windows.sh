#!/usr/bin/env bash
# `make test-windows` (issue 10): cross-builds the Windows back end of the capture engine and
# its GoogleTest tests with mingw-w64 (cmake/mingw-w64.cmake) and runs them under Wine through
# CTest, headless and with stdin from /dev/null. Steps: a Wine prefix of its own in the build
# dir (created once), a persistent wineserver (-p: without it every test waits seconds for the
# server to exit), zstd for mingw-w64 (ci/build-zstd-windows.sh, cached), configure, build,
# ctest, and the wineserver stopped again however it ends. Then the traces the tests wrote
# under Wine are read by the Linux ctest-trace of the Linux build in LINUX_BUILD_DIR (default
# build) with ci/check-wine-traces.py: the same format on both platforms. Without a Linux
# build that check is skipped, and the script says so. A wineserver left running for the prefix
# (by a killed run) is stopped first; every failure names the line and command that failed.
#   ci/test-windows.sh [--build-dir DIR] [--jobs N] [--linux-build LINUX_BUILD_DIR]
#                      [-- extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-windows
jobs=2
linux_build=build
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --linux-build) linux_build=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: ci/test-windows.sh [--build-dir DIR] [--jobs N] [--linux-build DIR]" \
         "[-- ctest args]" >&2; exit 2 ;;
  esac
done

wine_dir=/usr/lib/wine  # Debian's wine64 package (no /usr/bin/wine without `wine`)
mkdir -p "$build_dir"
export WINEPREFIX="$(cd "$build_dir" && pwd)/wineprefix"
export WINEDEBUG=-all                 # Wine's own diagnostics would land in the test output
export WINEDLLOVERRIDES="mscoree,mshtml="  # never offer to install Mono or Gecko (headless)
export WINEARCH=win64
wineboot_log=$build_dir/wineboot.log

# Installed before anything can start a server: whatever ends the script stops it again.
trap '"$wine_dir/wineserver" -k 2>/dev/null || true' EXIT
# set -e would end the script without a word (and, before a fix, with an empty log): say where.
trap 'status=$?; echo "test-windows: FAILED (exit status $status) at line $LINENO: $BASH_COMMAND" >&2' ERR

# A step that starts Wine: on failure its log is printed, then the script ends.
wineboot_step() {
  local what=$1
  shift
  if ! "$@" </dev/null >>"$wineboot_log" 2>&1; then
    echo "test-windows: $what failed; $wineboot_log says:" >&2
    tail -n 40 "$wineboot_log" >&2
    exit 1
  fi
}

: >"$wineboot_log"
# A server a killed run left behind (persistent, -p) would make `wineserver -p` fail.
"$wine_dir/wineserver" -k 2>/dev/null || true
"$wine_dir/wineserver" -w 2>/dev/null || true

if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "test-windows: creating the Wine prefix $WINEPREFIX"
  # A step of its own: the first start of Wine builds the prefix and its server exits after.
  wineboot_step "creating the Wine prefix (wineboot -i)" "$wine_dir/wine64" wineboot -i
  "$wine_dir/wineserver" -w
fi

wineboot_step "starting a persistent wineserver (wineserver -p)" "$wine_dir/wineserver" -p
# Wine's services (services.exe, winedevice.exe, ...) start with the first Wine program of a
# server and stay while it does. Started here, outside CTest: started by the first test they
# would inherit CTest's output pipe, and CTest would wait for them (a 300 s timeout after
# every test had passed).
wineboot_step "starting Wine's services (wineboot)" "$wine_dir/wine64" wineboot

# zstd for mingw-w64 from Debian's source package (cached in the build dir after the first run).
bash ci/build-zstd-windows.sh --build-dir "$build_dir" --jobs "$jobs"
cmake -S . -B "$build_dir" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTR_WIN_ZSTD_ROOT="$(cd "$build_dir" && pwd)/zstd/prefix"
cmake --build "$build_dir" -j "$jobs"
rm -f "$build_dir"/tests/windows/wine_*.ctrace  # written again by the tests
ctest --test-dir "$build_dir" --output-on-failure "$@" </dev/null

ctest_trace=$linux_build/harness/ctest-trace
if [[ -x "$ctest_trace" ]]; then
  python3 ci/check-wine-traces.py "$ctest_trace" "$build_dir/tests/windows"
else
  echo "test-windows: SKIPPED the cross-platform check (traces written under Wine read by the" \
    "Linux ctest-trace): no $ctest_trace; build Linux first (make build) or pass --linux-build DIR"
fi
