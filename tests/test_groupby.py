#!/usr/bin/env python3
"""Segment aggregates against an independent pandas group-by (TAP).

Usage: test_groupby.py SEGMENTS_DUMP
Runs the dump program on generated data, recomputes every segment (each
combination of up to two of tier/region/plan, and the population) with
pandas, and compares: counts exactly, value sums against math.fsum exactly,
NPS, CES and sentiment to 1e-9, intent counts (with a compound only)
exactly, and per-day counts and sums.
"""
import itertools
import json
import math
import subprocess
import sys
import tempfile

try:
    import pandas as pd
except ImportError:
    print("1..0 # SKIP pandas is not installed")
    sys.exit(0)

dump = sys.argv[1]
results = []
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([dump, "20000", tmp + "/data.tsv", tmp + "/segs.jsonl"], check=True)
    # "NA" is a region here, not a missing value
    # round_trip: the default C parser may be one ulp off, which an exact sum would show
    df = pd.read_csv(tmp + "/data.tsv", sep="\t", keep_default_na=False, float_precision="round_trip",
                     dtype={"tier": str, "region": str, "plan": str})
    for col in ("csat", "ces", "compound"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    segs = [json.loads(l) for l in open(tmp + "/segs.jsonl")]

dims = ["tier", "region", "plan"]
ours = {}
for s in segs:
    key = tuple(s[d] for d in dims)
    ours[key] = s

expected = {}
for depth in range(0, 3):
    for combo in itertools.combinations(dims, depth):
        groups = [((), df)] if not combo else df.groupby(list(combo) if len(combo) > 1 else combo[0])
        for k, g in groups:
            k = k if isinstance(k, tuple) else (k,)
            key = tuple(k[combo.index(d)] if d in combo else None for d in dims)
            expected[key] = g

results.append(("same set of segments", set(expected) == set(ours),
                "%d expected, %d found" % (len(expected), len(ours))))
bad = []
for key, g in expected.items():
    s = ours.get(key)
    if s is None:
        continue
    n = len(g)
    pro = int((g.nps >= 9).sum())
    det = int((g.nps <= 6).sum())
    pas = n - pro - det
    csat = g.csat.dropna()
    ces = g.ces.dropna()
    checks = [
        s["count"] == n, s["promoters"] == pro, s["detractors"] == det, s["passives"] == pas,
        s["csat_n"] == len(csat), s["csat_sat"] == int((csat >= 4).sum()),
        s["ces_n"] == len(ces),
        s["value_sum"] == math.fsum(g.value.tolist()),
        abs(s["nps"] - 100.0 * (pro - det) / n) < 1e-9,
        len(ces) == 0 or abs(s["ces_mean"] - ces.mean()) < 1e-9,
        len(ces) < 2 or abs(s["ces_var"] - ces.var(ddof=1)) < 1e-9,
    ]
    scored = g[g.compound.notna()]
    checks += [
        s["sent_n"] == len(scored),
        len(scored) == 0 or abs(s["sent_mean"] - scored.compound.mean()) < 1e-9,
        len(scored) < 2 or abs(s["sent_var"] - scored.compound.var(ddof=1)) < 1e-9,
        s["intents"] == [int(((scored["flags"].to_numpy() >> k) & 1).sum()) for k in range(6)],
    ]
    days = g.groupby("day").value.apply(lambda v: (len(v), math.fsum(v.tolist())))
    for day, (cnt, tot) in days.items():
        got = s["days"].get(str(day))
        checks.append(got is not None and got[0] == cnt and got[1] == tot)
    checks.append(len(s["days"]) == len(days))
    if not all(checks):
        bad.append((key, [i for i, c in enumerate(checks) if not c]))
results.append(("every segment equals the pandas group-by (counts, fsum sums, NPS, CES, "
                "sentiment, intents, days)",
                not bad, str(bad[:5])))
naive = sum(1 for key, g in expected.items() if g.value.sum() != math.fsum(g.value.tolist()))
results.append(("value sums are exact where naive float sums are not (%d segments differ)" % naive,
                True, ""))

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        print("# " + detail[:800])
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
