#!/usr/bin/env bash
# Installs the Debian 12 packages ctest-record needs to build, test and run its demo, and
# nothing else. Idempotent: packages already present are left alone, and apt-get runs only
# when something is missing. Needs root (or sudo) only in that case.
#   ci/install-deps.sh           the packages below
#   ci/install-deps.sh --bench   also the tools `make bench` compares against (bench_packages)
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
  zstd lsof procps sqlite3           # tools the tests and docs use
)
# Only for `make bench` (bench/run.py): the commands the recorder is compared with, and
# /usr/bin/time for peak RSS.
bench_packages=(asciinema hyperfine bsdutils zstd time)

case "${1:-}" in
  "") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
  *) echo "usage: ci/install-deps.sh [--bench]" >&2; exit 2 ;;
esac

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
