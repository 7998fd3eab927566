#!/usr/bin/env bash
# Regenerate the seed corpora of the fuzz targets (tests/fuzz/corpus/) from
# the project's own formats.  Usage: tests/fuzz/gen_corpus.sh [BUILD_DIR]
# (a configured build directory; a temporary one is made by default).
# Existing seeds are replaced; inputs that libFuzzer added are not kept here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
  build=$(mktemp -d /tmp/libci-gen-corpus.XXXXXX)
  trap 'rm -rf "$build"' EXIT
  meson setup "$build" "$root" -Dbenchmarks=false -Dcli=false >/dev/null
fi
ninja -C "$build" tests/fuzz/fuzz_gen_corpus >/dev/null
rm -rf "$root/tests/fuzz/corpus"
"$build/tests/fuzz/fuzz_gen_corpus" "$root" "$root/tests/fuzz/corpus"
