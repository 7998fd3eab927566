#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end `cintel report` on a 1-million-row CSV with text: wall time,
# rows/s and peak RSS, with theme discovery and without it (--no-themes), so
# the difference is theme discovery's share.  Runs alternate between the two
# modes; each is repeated (default 3) and the median is reported.
#
#   bench/bench_report.sh [--build DIR] [--rows N] [--reps R] [--data FILE] [--work DIR]
#                         [--repeat-sample]
#
#   --build DIR  build directory holding src/cli/cintel (default: build)
#   --rows N     rows to generate (default 1000000)
#   --data FILE  use this CSV (or .csv.gz) instead of generating one
#   --work DIR   where the generated data and outputs go (default /tmp/libci-bench-report);
#                generated data is reused by later runs
#   --repeat-sample  make the data by repeating the bundled sample (below) even
#                when tools/gen_sample.py works
#
# The data comes from `python3 tools/gen_sample.py --rows N` (the sample
# generator: ~600 accounts, tickets/NPS/CSAT with text, planted problems).
# When that script is missing or fails, the script falls back to repeating
# the rows of examples/data/sample_signals.csv.gz (40,000 rows) until N rows,
# with signal_id suffixed by the repetition ("tkt-000001-r3") and everything
# else unchanged, and says so.  Peak RSS comes from GNU time (%M) when
# /usr/bin/time is installed, else from Python's resource module.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=build
rows=1000000
reps=3
data=
work=/tmp/libci-bench-report
repeat_sample=0
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build="$2"; shift 2 ;;
        --rows) rows="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --repeat-sample) repeat_sample=1; shift ;;
        *) echo "usage: bench_report.sh [--build DIR] [--rows N] [--reps R] [--data FILE] [--work DIR] [--repeat-sample]" >&2
           exit 2 ;;
    esac
done
case "$build" in /*) ;; *) build="$root/$build" ;; esac
cintel="$build/src/cli/cintel"
if [ ! -x "$cintel" ]; then
    echo "bench_report: $cintel not found; build it first (meson setup $build && ninja -C $build)" >&2
    exit 2
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mkdir -p "$work"

# ---- data ---------------------------------------------------------------------
if [ -z "$data" ]; then
    tag=$rows
    [ "$repeat_sample" = 0 ] || tag="${rows}_repeated"
    data="$work/signals_${tag}.csv.gz"
    source_note="$work/signals_${tag}.source"
    if [ -s "$data" ] && [ -s "$source_note" ]; then
        echo "data: reusing $data ($(cat "$source_note"))"
    else
        rm -f "$data" "$source_note"
        t0=$(date +%s.%N)
        if [ "$repeat_sample" = 0 ] && [ -f "$root/tools/gen_sample.py" ] &&
           "$py" "$root/tools/gen_sample.py" --rows "$rows" "$data.tmp.csv.gz" >&2; then
            mv "$data.tmp.csv.gz" "$data"
            echo "tools/gen_sample.py --rows $rows" > "$source_note"
        else
            [ "$repeat_sample" = 1 ] ||
                echo "bench_report: tools/gen_sample.py missing or failed; repeating the bundled sample" >&2
            rm -f "$data.tmp.csv.gz"
            "$py" - "$root/examples/data/sample_signals.csv.gz" "$data.tmp.csv.gz" "$rows" <<'EOF'
import csv, gzip, io, sys
src, out, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(src, "rt", encoding="utf-8", newline="") as f:
    r = csv.reader(f)
    header = next(r)
    base = list(r)
sid = header.index("signal_id")
with gzip.open(out, "wt", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(header)
    n = rep = 0
    while n < rows:
        for row in base:
            if n == rows:
                break
            row = list(row)
            row[sid] = f"{row[sid]}-r{rep}"
            w.writerow(row)
            n += 1
        rep += 1
EOF
            mv "$data.tmp.csv.gz" "$data"
            echo "examples/data/sample_signals.csv.gz repeated to $rows rows, ids suffixed -rK" > "$source_note"
        fi
        t1=$(date +%s.%N)
        echo "data: generated $data in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s ($(cat "$source_note"))"
    fi
fi
[ -s "$data" ] || { echo "bench_report: no data at $data" >&2; exit 2; }
echo "data: $(du -h "$data" | cut -f1) on disk"

# ---- one timed run: prints "seconds max_rss_kb" -------------------------------
gnu_time=0
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e' true >/dev/null 2>&1; then
    gnu_time=1
fi
measure() {
    local tf="$work/time.txt"
    if [ "$gnu_time" = 1 ]; then
        /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$work/stdout.txt" 2>"$work/stderr.txt" ||
            { cat "$work/stderr.txt" >&2; return 1; }
        cat "$tf"
    else
        "$py" - "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
dt = time.perf_counter() - t0
if rc:
    sys.exit(rc)
print(f"{dt:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
EOF
    fi
}

json="$work/report.json"
declare -a t_full t_none m_full m_none
echo "cintel: $cintel"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < reps; i++)); do
    read -r t m < <(measure "$cintel" report "$data" --quiet --json "$json")
    t_full+=("$t"); m_full+=("$m")
    echo "run $((i + 1)): report             ${t} s  peak RSS $(awk -v m="$m" 'BEGIN{printf "%.0f", m / 1024}') MiB"
    read -r t m < <(measure "$cintel" report "$data" --quiet --no-themes --json "$json.nothemes")
    t_none+=("$t"); m_none+=("$m")
    echo "run $((i + 1)): report --no-themes ${t} s  peak RSS $(awk -v m="$m" 'BEGIN{printf "%.0f", m / 1024}') MiB"
done
n=$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1]))["input"]; print(d["accepted"], d["rows"], d["bad_rows"])' "$json")
read -r accepted total bad <<<"$n"
echo "rows: $total read, $accepted analyzed, $bad bad (from the JSON report)"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
tf=$(median "${t_full[@]}"); tn=$(median "${t_none[@]}")
mf=$(median "${m_full[@]}"); mn=$(median "${m_none[@]}")
awk -v r="$total" -v tf="$tf" -v tn="$tn" -v mf="$mf" -v mn="$mn" -v reps="$reps" 'BEGIN {
    printf "report:             %8.0f rows/s  %6.2f s  peak RSS %4.0f MiB   (median of %d)\n", r / tf, tf, mf / 1024, reps
    printf "report --no-themes: %8.0f rows/s  %6.2f s  peak RSS %4.0f MiB   (median of %d)\n", r / tn, tn, mn / 1024, reps
    printf "theme discovery and assignment: %.2f s, %.0f %% of the report\n", tf - tn, 100 * (tf - tn) / tf
}'
