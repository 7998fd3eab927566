#!/usr/bin/env bash
# The main job on bundled sample data: set everything up, build, run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$LIBCI_ROOT"
libci_configure build --buildtype=release -Dtests=false -Dbenchmarks=false
ninja -C build >/dev/null
# Segments, insights, themes and account health of 40,000 sample signals
# with four planted problems (answer key: examples/data/README.md).
./build/src/cli/cintel report examples/data/sample_signals.csv.gz \
    --json build/report.json --html build/report.html
