#!/usr/bin/env bash
# The ABI check: the library built in BUILD_DIR (with debug information)
# against the baseline committed in abi/libci.abi, which is abidw's description
# of the last release.  An incompatible change (a removed symbol, a changed
# struct layout or signature) fails; added symbols are reported and pass.
#
#   tools/abi-check.sh BUILD_DIR            check
#   tools/abi-check.sh BUILD_DIR --update   write a new baseline (at a release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:?usage: abi-check.sh BUILD_DIR [--update]}
baseline="$root/abi/libci.abi"
# the newest: an old version's file may linger in a reused build directory
lib=$(ls -t "$build"/libci.so.*.*.* 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "abi-check: no libci.so.X.Y.Z in $build" >&2; exit 2; }
command -v abidw >/dev/null || { echo "abi-check: abidw not found (Debian: abigail-tools)" >&2; exit 2; }
current=$(mktemp "${TMPDIR:-/tmp}/libci-abi.XXXXXX")
trap 'rm -f "$current"' EXIT
# Only what the public header declares: private types are not the ABI.
abidw --headers-dir "$root/include" --drop-private-types --no-corpus-path \
      --out-file "$current" "$lib"
if [ "${2:-}" = "--update" ]; then
  cp "$current" "$baseline"
  echo "abi-check: baseline written from $(basename "$lib")"
  exit 0
fi
[ -f "$baseline" ] || { echo "abi-check: no baseline $baseline" >&2; exit 2; }
set +e
abidiff --no-added-syms "$baseline" "$current" >"$current.diff" 2>&1
rc=$?
added=$(abidiff "$baseline" "$current" 2>/dev/null | grep -E "Added function|Added variable" | head -n 1)
set -e
# abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then
  cat "$current.diff" >&2
  echo "abi-check: abidiff failed (status $rc)" >&2
  rm -f "$current.diff"
  exit 2
fi
if [ $((rc & 12)) -ne 0 ]; then
  cat "$current.diff" >&2
  echo "abi-check: the ABI changed against abi/libci.abi; released ABI is add-only" >&2
  rm -f "$current.diff"
  exit 1
fi
rm -f "$current.diff"
echo "abi-check: compatible with abi/libci.abi${added:+ ($added)}"
