#!/usr/bin/env bash
# Install the Debian packages libci needs, if any are missing, and configure
# the build directories.  Sourced by tools/demo.sh and tools/test.sh.
set -euo pipefail

LIBCI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LIBCI_ROOT

LIBCI_PACKAGES=(
  gcc pkg-config meson ninja-build
  libutf8proc-dev zlib1g-dev libcmocka-dev libstemmer-dev
  python3 python3-pytest python3-pandas
  python3-dask python3-distributed
  clang abigail-tools
)

libci_install_packages() {
  local missing=()
  for p in "${LIBCI_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# libci_configure DIR [meson options...]: set up DIR once, reuse it after.
libci_configure() {
  local dir=$1
  shift
  if [ -f "$LIBCI_ROOT/$dir/build.ninja" ]; then
    return 0
  fi
  meson setup "$LIBCI_ROOT/$dir" "$LIBCI_ROOT" "$@" >"$LIBCI_ROOT/$dir.setup.log" 2>&1 || {
    cat "$LIBCI_ROOT/$dir.setup.log" >&2
    return 1
  }
}

libci_install_packages
