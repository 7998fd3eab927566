#!/usr/bin/env python3
"""Scale libci out with Dask: one Analyzer per partition, merged snapshots.

Each worker builds a libci Analyzer over its partition of the signals and
returns ``analyzer.to_bytes()``, a compact snapshot of everything it
aggregated.  The driver merges the snapshots into one analyzer, which is
identical to analyzing every row in one process: counts and value sums are
exact, means agree to floating-point rounding.

    python3 examples/dask_scaleout.py                       # a local 2-worker cluster
    python3 examples/dask_scaleout.py --scheduler tcp://scheduler:8786

libci and its Python package must be importable on every worker (see
bindings/python/README.md).  Needs dask.distributed (Debian: python3-distributed).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import time
from typing import Dict, List, Optional, Sequence

import libci

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "data", "sample_signals.csv.gz")
DIMENSIONS = ("tier", "region", "product", "channel")
DEPTH = 2

Row = Dict[str, str]


def read_rows(path: str = SAMPLE) -> List[Row]:
    """Rows of a signals CSV (plain or .gz) as dicts of strings."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:  # type: ignore[operator]
        return list(csv.DictReader(f))


def split(rows: Sequence[Row], n: int) -> List[List[Row]]:
    """n contiguous partitions of about equal size."""
    size = -(-len(rows) // n)
    return [list(rows[i:i + size]) for i in range(0, len(rows), size)]


def _num(s: str) -> Optional[float]:
    return float(s) if s != "" else None


def add_row(an: libci.Analyzer, row: Row) -> None:
    """One CSV row -> one signal."""
    an.add(text=row["text"] or None, timestamp=row["created_at"], account=row["account_id"],
           customer=row["customer_id"], channel=row["channel"], nps=_num(row["nps"]),
           csat=_num(row["csat"]), ces=_num(row["ces"]), value=_num(row["arr"]),
           attrs={d: row[d] for d in DIMENSIONS},
           kind="ticket" if row["signal_id"].startswith("tkt-") else "survey")


def fit_themes(rows: Sequence[Row], k: int = 16, every: int = 4, seed: int = 1) -> bytes:
    """Fit a theme model once, in the driver, on every `every`-th ticket text;
    returned as bytes to ship to the workers."""
    tickets = [r["text"] for r in rows if r["signal_id"].startswith("tkt-") and r["text"]]
    with libci.ThemeTrainer(k=k, seed=seed) as trainer:
        trainer.add_many(tickets[::every])
        with trainer.fit() as model:
            return model.to_bytes()


def analyze(rows: Sequence[Row], theme_bytes: Optional[bytes] = None) -> libci.Analyzer:
    """An analyzer over rows (in this process)."""
    themes = libci.ThemeModel.from_bytes(theme_bytes) if theme_bytes else None
    an = libci.Analyzer(DIMENSIONS, depth=DEPTH, themes=themes)  # builtin lexicon
    if themes is not None:
        themes.close()  # the analyzer keeps it alive as long as it needs it
    for row in rows:
        add_row(an, row)
    return an


def analyze_partition(rows: Sequence[Row], theme_bytes: Optional[bytes] = None) -> bytes:
    """The task each worker runs: analyze one partition, return its snapshot."""
    with analyze(rows, theme_bytes) as an:
        return an.to_bytes()


def merge_snapshots(snapshots: Sequence[bytes],
                    theme_bytes: Optional[bytes] = None) -> libci.Analyzer:
    """Merge partition snapshots into a fresh analyzer of the same configuration
    (it can keep adding signals: it has the lexicon and the theme model)."""
    themes = libci.ThemeModel.from_bytes(theme_bytes) if theme_bytes else None
    total = libci.Analyzer(DIMENSIONS, depth=DEPTH, themes=themes)
    if themes is not None:
        themes.close()
    for snap in snapshots:
        with libci.Analyzer.from_bytes(snap) as part:
            total.merge(part)
    return total


def run(client, rows: Sequence[Row], n_partitions: int = 4,
        theme_bytes: Optional[bytes] = None) -> libci.Analyzer:
    """Analyze rows on a Dask cluster: one task per partition, merged here."""
    parts = client.scatter(split(rows, n_partitions))
    model = client.scatter(theme_bytes, broadcast=True) if theme_bytes else None
    futures = [client.submit(analyze_partition, p, model, pure=False) for p in parts]
    snapshots = client.gather(futures)
    return merge_snapshots(snapshots, theme_bytes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="?", default=SAMPLE, help="signals CSV (default: the sample)")
    ap.add_argument("--scheduler", help="address of a running scheduler, e.g. tcp://scheduler:8786 "
                    "(default: start a local cluster)")
    ap.add_argument("--workers", type=int, default=2, help="local cluster: worker processes")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--themes", type=int, default=16, metavar="K",
                    help="fit K themes in the driver first (0: no themes)")
    ap.add_argument("--top", type=int, default=8, help="insights to print")
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    rows = read_rows(args.csv)
    theme_bytes = fit_themes(rows, k=args.themes) if args.themes else None
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    try:
        with run(client, rows, args.partitions, theme_bytes) as an:
            took = time.perf_counter() - t0
            n_workers = len(client.scheduler_info()["workers"])
            print(f"{len(an):,} signals in {args.partitions} partitions on {n_workers} workers, "
                  f"{len(an.segments(examples=False))} segments, {took:.1f} s\n")
            print("Top insights:")
            for ins in an.insights(max_insights=args.top):
                print(f"{ins.rank + 1:2d}. {ins.sentence}")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
