#!/usr/bin/env bash
# The main job on bundled sample data: set everything up, build, run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$LIBCI_ROOT"
libci_configure build --buildtype=release -Dtests=false -Dbenchmarks=false
ninja -C build >/dev/null
./build/src/cli/cintel tokenize examples/data/sample_tickets.txt
