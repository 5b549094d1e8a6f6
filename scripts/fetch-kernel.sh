#!/usr/bin/env bash
# Downloads a Debian linux-source package and unpacks the kernel tree into the
# user's cache (never into this repository). Prints the tree's path on stdout.
#   scripts/fetch-kernel.sh 6.12      -> ~/.cache/kernel-lock-lens/trees/linux-6.12
# Re-running is cheap: an unpacked tree is reused.
set -euo pipefail
ver="${1:?usage: fetch-kernel.sh 6.1|6.12}"
cache="${KLL_TREES:-${XDG_CACHE_HOME:-$HOME/.cache}/kernel-lock-lens/trees}"
dest="$cache/linux-$ver"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
mkdir -p "$cache/debs"
cd "$cache/debs"
if ! ls linux-source-"$ver"_*.deb >/dev/null 2>&1; then
  echo "fetch-kernel: downloading linux-source-$ver" >&2
  if ! apt-get download "linux-source-$ver" >&2; then
    echo "fetch-kernel: apt-get download failed; running apt-get update once" >&2
    apt-get update >&2 || true
    apt-get download "linux-source-$ver" >&2
  fi
fi
deb=$(ls linux-source-"$ver"_*.deb | tail -n 1)
tmp="$cache/.unpack-$ver.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
echo "fetch-kernel: unpacking $deb" >&2
dpkg -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-"$ver".tar.* | head -n 1)
mkdir -p "$tmp/tree"
# The whole tree minus parts that hold no kernel C the analysis could reach.
tar -xJf "$tarball" -C "$tmp/tree" --strip-components=1 \
  --exclude='*/Documentation' --exclude='*/tools' --exclude='*/samples' \
  --exclude='*/LICENSES' --exclude='*/scripts'
rm -rf "$dest"
mv "$tmp/tree" "$dest"
rm -rf "$tmp"
touch "$dest/.complete"
echo "$dest"
