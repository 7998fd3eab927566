#!/bin/sh
# SPDX-License-Identifier: MIT
# Build examples/sdk_link.c the way a vendor would against an installed
# libci: install a build into a scratch prefix, ask pkg-config for the flags,
# compile with plain cc, and run the result; once linked to the shared
# library and once to the static one.
#
#     examples/pkgconfig_build.sh BUILD_DIR SOURCE_DIR [SANITIZERS]
#
# SANITIZERS is the build's b_sanitize value ("none" when absent): a
# sanitized libci needs the program built with the same sanitizers.
# Exit 77 (skipped) when meson, pkg-config or a C compiler is missing.
set -eu

build=$1
src=$2
sanitize=${3:-none}
cc=${CC:-cc}

for tool in meson pkg-config "$cc"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skip: $tool not found"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/libci-pkgconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM # through the EXIT trap: a timed-out test leaves nothing
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Install into a scratch root.  --no-rebuild: meson test has built
# everything already, and a rebuild from inside a test would race the others.
if ! meson install -C "$build" --no-rebuild --destdir "$tmp/root" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  fail "meson install"
fi
pc=$(find "$tmp/root" -name libci.pc | head -n 1)
[ -n "$pc" ] || fail "no libci.pc was installed"

# The .pc file names the configured prefix (/usr/local, say), not where it
# sits now: point a copy at the scratch root.  includedir and libdir are
# written relative to ${prefix}, so the prefix line is all that changes.
prefix=$(sed -n 's/^prefix=//p' "$pc")
mkdir "$tmp/pkgconfig"
sed "s|^prefix=.*|prefix=$tmp/root$prefix|" "$pc" >"$tmp/pkgconfig/libci.pc"
PKG_CONFIG_PATH="$tmp/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH

version=$(pkg-config --modversion libci) || fail "pkg-config cannot read libci.pc"
libdir=$(pkg-config --variable=libdir libci)
[ -f "$libdir/libci.a" ] || fail "$libdir/libci.a is missing"
echo "installed libci $version; libdir $libdir"

flags="-std=c11 -Wall -Wextra -pedantic -Werror"
[ "$sanitize" = none ] || flags="$flags -fsanitize=$sanitize"
text="The export is broken again and nobody answers."

# 1. Shared: the usual `cc prog.c $(pkg-config --cflags --libs libci)`.
# shellcheck disable=SC2046,SC2086
"$cc" $flags $(pkg-config --cflags libci) "$src/examples/sdk_link.c" \
  -o "$tmp/sdk_link" $(pkg-config --libs libci) || fail "shared build"
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/sdk_link" "$text") || fail "shared run"
echo "shared: $out"
case $out in
  "libci $version: compound -"*) ;;
  *) fail "shared: expected 'libci $version: compound -...'" ;;
esac
# It must have run with the scratch copy, not some libci installed elsewhere.
if command -v ldd >/dev/null 2>&1; then
  LD_LIBRARY_PATH="$libdir" ldd "$tmp/sdk_link" | grep -q "libci\.so\.1 => $libdir/" ||
    fail "shared: libci.so.1 was not resolved from $libdir"
fi

# 2. Static: libci.a, then the libraries it needs (--static adds the private
# ones: utf8proc, zlib, libm, libstemmer).  Both libci.a and libci.so sit in
# libdir, so -Bstatic picks the archive, and -lci must not appear again
# after -Bdynamic or the shared library would be linked too.
privlibs=
# shellcheck disable=SC2046
for f in $(pkg-config --static --libs-only-l libci); do
  [ "$f" = -lci ] || privlibs="$privlibs $f"
done
# shellcheck disable=SC2046,SC2086
"$cc" $flags -DCI_STATIC $(pkg-config --cflags libci) "$src/examples/sdk_link.c" \
  -o "$tmp/sdk_link_static" $(pkg-config --libs-only-L libci) \
  -Wl,-Bstatic -lci -Wl,-Bdynamic $privlibs || fail "static build"
if command -v readelf >/dev/null 2>&1; then
  if readelf -d "$tmp/sdk_link_static" | grep -q 'NEEDED.*libci'; then
    fail "static: the program still needs the shared libci"
  fi
fi
out=$("$tmp/sdk_link_static" "$text") || fail "static run"
echo "static: $out"
case $out in
  "libci $version: compound -"*) ;;
  *) fail "static: expected 'libci $version: compound -...'" ;;
esac
echo "ok: pkg-config builds, shared and static"
