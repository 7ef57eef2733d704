#!/usr/bin/env bash
# zstd for the Windows cross build (issue 10): Debian ships no mingw-w64 libzstd, so this builds
# the static library for x86_64-w64-mingw32 from Debian's own source package, the version of
# the installed libzstd-dev, and installs zstd.h, zstd_errors.h and libzstd.a into
# BUILD_DIR/zstd/prefix (handed to CMake as CTR_WIN_ZSTD_ROOT by ci/test-windows.sh).
#
# The system's apt configuration is left alone: /etc/apt has no deb-src lines, so apt runs
# with a private sources list (deb-src lines for the same mirror, suites and keyring as
# /etc/apt/sources.list.d/debian.sources) and private lists and cache folders in
# BUILD_DIR/zstd/apt. apt verifies the downloaded source files against the signed Sources
# index; dpkg-source then applies Debian's patches. Cached: a second run with the same version
# only checks the stamp file. Needs network access to deb.debian.org the first time, and
# dpkg-dev (dpkg-source); works as root or not.
#   ci/build-zstd-windows.sh [--build-dir DIR] [--jobs N]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-windows
jobs=2
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: ci/build-zstd-windows.sh [--build-dir DIR] [--jobs N]" >&2; exit 2 ;;
  esac
done

mkdir -p "$build_dir/zstd"
work=$(cd "$build_dir/zstd" && pwd)
prefix=$work/prefix
stamp=$prefix/built-from.txt
triple=x86_64-w64-mingw32

# The version of the installed libzstd-dev (a binNMU suffix +bN is not part of the source's).
version=$(dpkg-query -W -f='${Version}' libzstd-dev 2>/dev/null || true)
if [[ -z "$version" ]]; then
  echo "build-zstd-windows: libzstd-dev is not installed (ci/install-deps.sh installs it)" >&2
  exit 1
fi
version=${version%+b[0-9]*}
# Everything that changes the result: a new version or new flags rebuild it.
make_args=(CC="$triple-gcc-posix" AR="$triple-ar" TARGET_SYSTEM=Windows_NT CFLAGS=-O2
           ZSTD_LEGACY_SUPPORT=0 ZSTD_LIB_DEPRECATED=0 ZSTD_LIB_DICTBUILDER=0)
want="libzstd $version ${make_args[*]}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "build-zstd-windows: cached ($want) in $prefix"
  exit 0
fi
for tool in dpkg-source "$triple-gcc-posix"; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-zstd-windows: $tool not found (ci/install-deps.sh --windows installs it)" >&2
    exit 1
  fi
done

started=$SECONDS
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_dir=$work/apt
rm -rf "$apt_dir" "$work/download" "$work/src" "$prefix"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$work/download"
cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian $codename main
deb-src [signed-by=$keyring] http://deb.debian.org/debian $codename-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security $codename-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=-
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
          -o Acquire::Languages=none -qq)
# As root, apt downloads as the unprivileged _apt user: let it write the download folder.
if ((EUID == 0)) && id _apt >/dev/null 2>&1; then
  chown _apt "$work/download"
fi

echo "build-zstd-windows: fetching Debian's source package libzstd $version"
apt-get "${apt_opts[@]}" update
if ! (cd "$work/download" && apt-get "${apt_opts[@]}" source --download-only "libzstd=$version"); then
  # The mirror keeps only the newest version of a suite: after a point release that updated
  # libzstd, the installed version may be gone from it. Any 1.5 writes the same zstd frames.
  echo "build-zstd-windows: warning: libzstd $version is no longer on the mirror; building" \
    "the suite's current version instead (the Linux build keeps the installed $version)" >&2
  (cd "$work/download" && apt-get "${apt_opts[@]}" source --download-only libzstd)
fi
dsc=$(echo "$work"/download/libzstd_*.dsc)
# The .dsc's own OpenPGP signature needs the maintainers' keyring (debian-keyring, not
# installed), so dpkg-source warns that it cannot check it; the files were already checked by
# apt against the Release file signed with the archive key.
dpkg-source -x "$dsc" "$work/src" >"$work/dpkg-source.log" 2>&1 || {
  cat "$work/dpkg-source.log" >&2
  exit 1
}
rm -rf "$apt_dir"  # the source indexes (about 20 MB) are not needed again
fetched=$((SECONDS - started))

echo "build-zstd-windows: building libzstd.a for $triple"
make -C "$work/src/lib" -j "$jobs" libzstd.a "${make_args[@]}" >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  exit 1
}
mkdir -p "$prefix/include" "$prefix/lib"
cp "$work/src/lib/zstd.h" "$work/src/lib/zstd_errors.h" "$prefix/include/"
cp "$work/src/lib/libzstd.a" "$prefix/lib/"
cp "$work/src/LICENSE" "$prefix/"
echo "$want" >"$stamp"
echo "build-zstd-windows: $(basename "$dsc" .dsc) built in $((SECONDS - started)) s" \
  "(fetch $fetched s): $prefix"
