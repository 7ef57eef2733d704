#!/usr/bin/env bash
# `make test-windows` (issue 10): cross-builds the Windows back end of the capture engine and
# its GoogleTest tests with mingw-w64 (cmake/mingw-w64.cmake) and runs them under Wine through
# CTest, headless and with stdin from /dev/null. Steps: a Wine prefix of its own in the build
# dir (created once), a persistent wineserver (-p: without it every test waits seconds for the
# server to exit), configure, build, ctest, and the wineserver stopped again however it ends.
#   ci/test-windows.sh [--build-dir DIR] [--jobs N] [-- extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-windows
jobs=2
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: ci/test-windows.sh [--build-dir DIR] [--jobs N] [-- ctest args]" >&2; exit 2 ;;
  esac
done

wine_dir=/usr/lib/wine  # Debian's wine64 package (no /usr/bin/wine without `wine`)
mkdir -p "$build_dir"
export WINEPREFIX="$(cd "$build_dir" && pwd)/wineprefix"
export WINEDEBUG=-all                 # Wine's own diagnostics would land in the test output
export WINEDLLOVERRIDES="mscoree,mshtml="  # never offer to install Mono or Gecko (headless)
export WINEARCH=win64

if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "test-windows: creating the Wine prefix $WINEPREFIX"
  # A step of its own: the first start of Wine builds the prefix and its server exits after.
  "$wine_dir/wine64" wineboot -i </dev/null >"$build_dir/wineboot.log" 2>&1
  "$wine_dir/wineserver" -w
fi

"$wine_dir/wineserver" -p
trap '"$wine_dir/wineserver" -k 2>/dev/null || true' EXIT
# Wine's services (services.exe, winedevice.exe, ...) start with the first Wine program of a
# server and stay while it does. Started here, outside CTest: started by the first test they
# would inherit CTest's output pipe, and CTest would wait for them (a 300 s timeout after
# every test had passed).
"$wine_dir/wine64" wineboot </dev/null >>"$build_dir/wineboot.log" 2>&1

cmake -S . -B "$build_dir" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure "$@" </dev/null
