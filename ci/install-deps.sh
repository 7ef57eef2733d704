#!/usr/bin/env bash
# Installs the Debian 12 packages ctest-record needs to build, test and run its demo, and
# nothing else. Idempotent: packages already present are left alone, and apt-get runs only
# when something is missing. Needs root (or sudo) only in that case.
#   ci/install-deps.sh           the packages below
#   ci/install-deps.sh --bench   also the tools `make bench` compares against (bench_packages)
#   ci/install-deps.sh --fuzz    also clang and libFuzzer for `make fuzz` (fuzz_packages)
#   ci/install-deps.sh --windows also mingw-w64 and Wine for `make test-windows`
set -euo pipefail

packages=(
  g++ cmake make pkg-config          # toolchain
  libzstd-dev                        # trace compression
  libcereal-dev                      # event serialisation
  libboost-program-options-dev       # CLI parsing
  libfmt-dev                         # log formatting
  libre2-dev                         # replay normalisers (linear-time regexes)
  googletest libgtest-dev            # C++ unit tests
  python3 python3-pytest             # end-to-end tests; pytest for the demo
  zstd lsof procps sqlite3 bc        # tools the tests and docs use (sqlite3, bc: interactive
                                     # programs of the terminal tests, tests/e2e/test_tty.py)
  asciinema                          # e2e: `asciinema cat` plays ctest-trace's asciicast export
)
# Only for `make bench` (bench/run.py): the commands the recorder is compared with, and
# /usr/bin/time for peak RSS.
bench_packages=(asciinema hyperfine bsdutils zstd time)
# Only for `make fuzz` (tests/fuzz, docs/reliability.md): clang 14 (Debian 12's), its runtime
# libraries (libFuzzer, ASan, UBSan) and llvm-symbolizer for readable stack traces in findings.
# Not in the default list: about 37 MB to download (70 MB on a machine without
# clang-format's LLVM libraries) that `make test` and `make demo` never use.
fuzz_packages=(clang-14 libclang-rt-14-dev llvm-14)
# Only for `make test-windows` (issue 10, ci/test-windows.sh): the mingw-w64 cross compiler
# (its -posix variant, for std::thread), 64-bit Wine to run the tests, and dpkg-dev for
# dpkg-source (ci/build-zstd-windows.sh builds zstd from Debian's source package). About 232 MB
# to download and 1.36 GB installed with --no-install-recommends (measured: 26 s on CI's mirror).
windows_packages=(g++-mingw-w64-x86-64 wine64 dpkg-dev)

for arg in "$@"; do
  case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    --fuzz) packages+=("${fuzz_packages[@]}") ;;
    --windows) packages+=("${windows_packages[@]}") ;;
    *) echo "usage: ci/install-deps.sh [--bench] [--fuzz] [--windows]" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "install-deps: need root to install: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
