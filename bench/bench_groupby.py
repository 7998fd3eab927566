#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The pandas baseline for bench_analyzer: the same segment aggregates by
group-by, on the very signals bench_analyzer generated.

    ./build/bench/bench_analyzer --dump /tmp/signals.bin
    /usr/bin/python3 bench/bench_groupby.py /tmp/signals.bin [--reps 3] [--themes]
        [--naive-reps 1] [--no-naive] [--factorize] [--libci build/libci.so.1]

Loading the file is not timed.  Timed, per repetition, is everything the
analyzer does for add + summarize with dimensions tier, region, product and
max_depth 2: for the population, each dimension and each pair of dimensions,
overall and per UTC day, ISO week (from Monday) and calendar month: count;
NPS responses, promoters (9-10), detractors (0-6); CSAT responses and
satisfied (4-5); CES mean and variance; sentiment (compound) mean and
variance; signals flagged with each of the 6 intents; the sum of value.
The bucket columns and the 0/1 indicator columns are derived inside the
timed region (the analyzer derives them while adding).

Three ways, all vectorised, on categorical dimension columns (observed=True,
sort=False):
  roll-up  one group-by to the finest level (tier, region, product, day) with
           sums, counts and sums of squares, then every segment x bucket is a
           group-by of that small frame (variance from the sums of squares).
           This is what the analyzer does (cells, then roll-up).
  numpy    the same roll-up, but the cells come from np.bincount over one
           dense integer key (dimension codes x day) instead of a group-by:
           the fastest, and it needs the cardinalities up front.
  naive    28 group-bys of the full frame (7 segment sets x {overall, day,
           week, month}) with named aggregations (mean/var computed by pandas).
--themes also counts signals per theme (20 themes) in every segment x bucket,
as the analyzer's themes configuration does.  The value sum is pandas' float
sum (the analyzer's is exact); both print the same population figures first.
When the dump carries bench_analyzer's own timings (it writes them into the
header after measuring), each line also quotes pandas' time as a multiple of
the analyzer's add + summarize on the same data, with one call per signal and
in column batches.  The dimension columns are categoricals built at load
time, i.e. pre-factorized, like the codes of the analyzer's column batches:
--factorize times that step apart (one call per signal hashes every signal's
attribute strings instead).

--libci LIB also times the Python bindings on the same frame: Analyzer.add_columns()
with the categoricals and numeric columns as they are, then summarize, each run
right after a pandas roll-up run so that both see the machine alike.
Needs Debian's python3 with python3-pandas (run it with /usr/bin/python3).
"""
import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

DIMS = ["tier", "region", "product"]
SETS = [[], ["tier"], ["region"], ["product"], ["tier", "region"], ["tier", "product"],
        ["region", "product"]]
BUCKETS = [None, "day", "week", "month"]
INTENTS = 6

REC = np.dtype([("ts", "<i8"), ("value", "<f8"), ("nps", "<f8"), ("csat", "<f8"),
                ("ces", "<f8"), ("compound", "<f8"), ("theme", "<i4"), ("tier", "<u2"),
                ("region", "<u2"), ("product", "<u2"), ("flags", "<u2"), ("pad", "V4")])
assert REC.itemsize == 64


def load(path):
    with open(path, "rb") as f:
        hdr = f.read(128)
        if hdr[:8] != b"CIANBEN2":
            sys.exit(f"{path}: not a bench_analyzer --dump file of this version")
        n = int(np.frombuffer(hdr, "<u8", 1, 8)[0])
        card = np.frombuffer(hdr, "<u4", 5, 16)
        times = np.frombuffer(hdr, "<f8", 4, 48)
        rec = np.fromfile(f, REC, n)
    if len(rec) != n:
        sys.exit(f"{path}: truncated ({len(rec)} of {n} records)")
    cols = {}
    for d, k in zip(DIMS, card[:3]):
        names = [f"{d}_{i:02d}" for i in range(int(k))]
        cols[d] = pd.Categorical.from_codes(rec[d].astype(np.int16), categories=names)
    for c in ["ts", "value", "nps", "csat", "ces", "compound", "theme", "flags"]:
        cols[c] = rec[c]
    return pd.DataFrame(cols), int(card[3]), times


def derive(df):
    """Bucket keys and 0/1 indicators, as the analyzer derives them per add."""
    day = df["ts"].to_numpy() // 86400
    d64 = day.astype("datetime64[D]")
    out = pd.DataFrame({
        "tier": df["tier"], "region": df["region"], "product": df["product"],
        "day": day,
        "week": day - (day + 3) % 7,  # 1970-01-01 was a Thursday: Monday starts
        "month": d64.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64),
    })
    nps, csat, ces = df["nps"].to_numpy(), df["csat"].to_numpy(), df["ces"].to_numpy()
    flags = df["flags"].to_numpy()
    out["nps_resp"] = ~np.isnan(nps)
    out["prom"] = nps >= 9
    out["det"] = nps <= 6
    out["csat_resp"] = ~np.isnan(csat)
    out["sat"] = csat >= 4
    out["ces"] = ces
    out["compound"] = df["compound"].to_numpy()
    for k in range(INTENTS):
        out[f"i{k}"] = (flags >> k) & 1 == 1
    out["value"] = df["value"].to_numpy()
    return out


def naive(df, themes):
    d = derive(df)
    if themes:
        d["theme"] = df["theme"].to_numpy()
    one = np.zeros(len(d), np.int8)
    results = []
    for s in SETS:
        for b in BUCKETS:
            keys = s + ([b] if b else [])
            if not keys:
                g = d.groupby(one, sort=False)
            else:
                g = d.groupby(keys, observed=True, sort=False)
            agg = g.agg(count=("value", "size"), nps_resp=("nps_resp", "sum"),
                        prom=("prom", "sum"), det=("det", "sum"),
                        csat_resp=("csat_resp", "sum"), sat=("sat", "sum"),
                        ces_n=("ces", "count"), ces_mean=("ces", "mean"), ces_var=("ces", "var"),
                        sent_mean=("compound", "mean"), sent_var=("compound", "var"),
                        **{f"i{k}": (f"i{k}", "sum") for k in range(INTENTS)},
                        value=("value", "sum"))
            if themes:
                tk = keys + ["theme"] if keys else ["theme"]
                agg = (agg, d.groupby(tk, observed=True, sort=False).size())
            results.append(agg)
    return results


def add_buckets(fine):
    day = fine["day"].to_numpy()
    fine["week"] = day - (day + 3) % 7
    fine["month"] = day.astype("datetime64[D]").astype("datetime64[M]").astype(
        "datetime64[D]").astype(np.int64)
    return fine


SUMS = ["nps_resp", "prom", "det", "csat_resp", "sat", "ces", "ces_sq", "compound", "sent_sq",
        "value"] + [f"i{k}" for k in range(INTENTS)]


def fine_pandas(df, d, themes):
    """Cells by pandas: one group-by to (tier, region, product, day)."""
    g = d.groupby(DIMS + ["day"], observed=True, sort=False)
    fine = g[SUMS].sum()
    fine["count"] = g.size()
    fine["ces_n"] = g["ces"].count()
    tf = None
    if themes:
        tf = d.assign(theme=df["theme"].to_numpy()).groupby(
            DIMS + ["day", "theme"], observed=True, sort=False).size().reset_index(name="n")
    return fine.reset_index(), tf


def fine_numpy(df, d, themes):
    """Cells by numpy: one dense integer key, np.bincount per column (needs
    the cardinalities up front; the dimension columns stay categorical)."""
    codes = [d[k].cat.codes.to_numpy().astype(np.int64) for k in DIMS]
    card = [len(d[k].cat.categories) for k in DIMS]
    day = d["day"].to_numpy()
    d0 = int(day.min())
    nd = int(day.max()) - d0 + 1
    key = ((codes[0] * card[1] + codes[1]) * card[2] + codes[2]) * nd + (day - d0)
    size = card[0] * card[1] * card[2] * nd
    count = np.bincount(key, minlength=size)
    nz = np.flatnonzero(count)
    cols = {}
    rest = nz
    cols["day"] = rest % nd + d0
    rest = rest // nd
    for k in (2, 1, 0):
        cols[DIMS[k]] = pd.Categorical.from_codes(rest % card[k], dtype=d[DIMS[k]].dtype)
        rest = rest // card[k]
    for c in SUMS:
        w = d[c].to_numpy()
        if w.dtype == np.float64:
            w = np.nan_to_num(w)  # absent CES: NaN, and NaN squared
        cols[c] = np.bincount(key, weights=w, minlength=size)[nz]
    cols["count"] = count[nz]
    cols["ces_n"] = np.bincount(key, weights=~np.isnan(d["ces"].to_numpy()), minlength=size)[nz]
    tf = None
    if themes:
        nt = int(df["theme"].max()) + 1
        tkey = key * nt + df["theme"].to_numpy()
        tc = np.bincount(tkey, minlength=size * nt)
        tnz = np.flatnonzero(tc)
        tcols = {"theme": tnz % nt}
        rest = tnz // nt
        tcols["day"] = rest % nd + d0
        rest = rest // nd
        for k in (2, 1, 0):
            tcols[DIMS[k]] = pd.Categorical.from_codes(rest % card[k], dtype=d[DIMS[k]].dtype)
            rest = rest // card[k]
        tcols["n"] = tc[tnz]
        tf = pd.DataFrame(tcols)
    return pd.DataFrame(cols), tf


def rollup(df, themes, fine_fn=fine_pandas):
    """Cells first (fine_fn), then every segment x bucket from the cells."""
    d = derive(df)
    d["ces_sq"] = d["ces"] * d["ces"]
    d["sent_sq"] = d["compound"] * d["compound"]
    fine, tf = fine_fn(df, d, themes)
    add_buckets(fine)
    if themes:
        add_buckets(tf)
    t_fine = time.perf_counter()
    results = []
    cols = SUMS + ["count", "ces_n"]
    for s in SETS:
        for b in BUCKETS:
            keys = s + ([b] if b else [])
            if keys:
                r = fine.groupby(keys, observed=True, sort=False)[cols].sum()
            else:
                r = fine[cols].sum().to_frame().T
            n, cn = r["count"], r["ces_n"]
            r["ces_mean"] = r["ces"] / cn
            r["ces_var"] = (r["ces_sq"] - r["ces"] * r["ces"] / cn) / (cn - 1)
            r["sent_mean"] = r["compound"] / n
            r["sent_var"] = (r["sent_sq"] - r["compound"] * r["compound"] / n) / (n - 1)
            if themes:
                tk = keys + ["theme"]
                r = (r, tf.groupby(tk, observed=True, sort=False)["n"].sum())
            results.append(r)
    return results, t_fine


def check(df):
    nps, csat, ces, c = df["nps"], df["csat"], df["ces"], df["compound"]
    flags = df["flags"].to_numpy()
    intents = " ".join(str(int(((flags >> k) & 1).sum())) for k in range(INTENTS))
    print(f"check (population): count {len(df)}  nps {nps.count()}/{(nps >= 9).sum()}/"
          f"{(nps <= 6).sum()} (resp/pro/det)  csat {csat.count()}/{(csat >= 4).sum()}"
          f"  ces {ces.count()} mean {ces.mean():.6f} var {ces.var():.6f}"
          f"  sentiment mean {c.mean():.6f} var {c.var():.6f}  intents {intents}"
          f"  value {df['value'].sum():.2f}")
    day = df["ts"].to_numpy() // 86400
    nd = len(np.unique(day))
    nw = len(np.unique(day - (day + 3) % 7))
    nm = len(np.unique(day.astype("datetime64[D]").astype("datetime64[M]")))
    print(f"check (buckets): {nd} days, {nw} weeks, {nm} months")


def libci_columns(df, themes, ntheme, analyzer):
    """Seconds for the Python bindings to add the frame and summarize it:
    what a data team does with a DataFrame (categoricals go in by code)."""
    t0 = time.perf_counter()
    an = analyzer(DIMS, depth=2, lexicon=None, n_themes=ntheme if themes else 0)
    an.add_columns(dims={d: df[d] for d in DIMS}, timestamp=df["ts"], nps=df["nps"],
                   csat=df["csat"], ces=df["ces"], value=df["value"], compound=df["compound"],
                   intents=df["flags"], theme=df["theme"] if themes else None)
    an.summarize()
    t = time.perf_counter() - t0
    an.close()
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--naive-reps", type=int, default=1)
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--themes", action="store_true", help="also count themes per segment x bucket")
    ap.add_argument("--factorize", action="store_true",
                    help="also time building the categoricals from strings (not in the totals)")
    ap.add_argument("--libci", metavar="LIB",
                    help="also time the Python bindings (bindings/python) on this very frame, "
                         "with LIB as the shared library, alternating with pandas' roll-up")
    a = ap.parse_args()
    analyzer = None
    if a.libci:
        import os
        os.environ["LIBCI_LIBRARY"] = a.libci
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "bindings", "python"))
        from libci import Analyzer as analyzer

    t0 = time.perf_counter()
    df, ntheme, an_times = load(a.file)
    an_t = float(an_times[1] if a.themes else an_times[0])  # one call per signal
    an_c = float(an_times[3] if a.themes else an_times[2])  # column batches
    n = len(df)
    print(f"pandas {pd.__version__}, numpy {np.__version__}: {n} signals loaded in "
          f"{time.perf_counter() - t0:.1f} s (not timed); dimensions as categoricals "
          f"({', '.join(f'{d} {len(df[d].cat.categories)}' for d in DIMS)})"
          f"{'; with theme counts' if a.themes else ''}")
    check(df)

    rollup(df.head(100000), a.themes)  # warm-up, not timed
    rollup(df.head(100000), a.themes, fine_numpy)
    py = []
    for name, fn in (("roll-up", fine_pandas), ("numpy", fine_numpy)):
        tot, fin = [], []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            res, t_fine = rollup(df, a.themes, fn)
            t1 = time.perf_counter()
            tot.append(t1 - t0)
            fin.append(t_fine - t0)
            if analyzer and name == "roll-up":
                py.append(libci_columns(df, a.themes, ntheme, analyzer))
        m, mf = statistics.median(tot), statistics.median(fin)
        print(f"{name + ':':8s} {n / m / 1e6:6.2f} M rows/s  total {m:.2f} s (range {min(tot):.2f}-"
              f"{max(tot):.2f}), of which cells {mf:.2f} s ({n / mf / 1e6:.2f} M rows/s)"
              f" and the 28 roll-ups {m - mf:.3f} s; median of {a.reps}")
        if an_t > 0:
            print(f"         {m / an_t:.2f}x the analyzer's {an_t:.2f} s with one call per signal, "
                  f"{m / an_c:.2f}x its {an_c:.2f} s in column batches (add + summarize, same data and"
                  f" configuration, as bench_analyzer --dump measured it)")
        if py and name == "roll-up":
            mp = statistics.median(py)
            print(f"         {m / mp:.2f}x libci from Python, Analyzer.add_columns() on this frame"
                  f" + summarize: {mp:.2f} s (range {min(py):.2f}-{max(py):.2f}, "
                  f"{n / mp / 1e6:.2f} M rows/s), each run right after a pandas one")
        if name == "roll-up":
            r = res[SETS.index(["tier", "region"]) * len(BUCKETS)]  # tier x region, overall
            r = r[0] if a.themes else r
            print(f"         {len(r)} tier x region segments; "
                  f"{sum(len(x[0] if a.themes else x) for x in res)} segment x bucket rows in all")
    if a.factorize:
        # what the categoricals saved: the analyzer hashes the strings of every signal
        strs = {k: df[k].astype(object).to_numpy() for k in DIMS}
        ft = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            for k in DIMS:
                pd.Categorical(strs[k])
            ft.append(time.perf_counter() - t0)
        m = statistics.median(ft)
        print(f"(not in the totals) factorizing the 3 dimension columns from Python strings: "
              f"{m:.2f} s ({n / m / 1e6:.2f} M rows/s)")
    if not a.no_naive and a.naive_reps > 0:
        nv = []
        for _ in range(a.naive_reps):
            t0 = time.perf_counter()
            naive(df, a.themes)
            nv.append(time.perf_counter() - t0)
        m2 = statistics.median(nv)
        print(f"naive:   {n / m2 / 1e6:6.2f} M rows/s  total {m2:.2f} s (range {min(nv):.2f}-"
              f"{max(nv):.2f}) for 28 group-bys of the full frame; median of {a.naive_reps}")
        if an_t > 0:
            print(f"         {m2 / an_t:.2f}x the analyzer's {an_t:.2f} s with one call per signal, "
                  f"{m2 / an_c:.2f}x its {an_c:.2f} s in column batches")


if __name__ == "__main__":
    main()
