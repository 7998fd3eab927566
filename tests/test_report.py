#!/usr/bin/env python3
"""cintel report end to end: the bundled sample's planted problems are found,
segment numbers equal a pandas group-by of the same file, bad rows are
reported with their lines, CSV and JSON Lines agree, snapshots merge, and
the HTML page is self-contained.

Usage: test_report.py CINTEL SAMPLE.csv.gz   (prints TAP)
"""
import csv
import gzip
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile

cintel, sample = sys.argv[1], sys.argv[2]
results = []
tmp = tempfile.mkdtemp(prefix="cintel-report-")


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(args, stdin=None):
    return subprocess.run([cintel, "report", "--quiet"] + args, input=stdin, capture_output=True)


def report(path, *extra):
    out = os.path.join(tmp, "r.json")
    r = run([path, "--json", out] + list(extra))
    if r.returncode != 0:
        return r, None
    with open(out, encoding="utf-8") as f:
        return r, json.load(f)


def seg_key(seg):
    return tuple(sorted(seg["dimensions"].items()))


# ---- the sample: planted problems ------------------------------------------
html = os.path.join(tmp, "r.html")
r, rep = report(sample, "--html", html)
check("report on the sample exits 0", r.returncode == 0 and rep is not None, r.stderr[-500:])
if rep is None:
    rep = {"segments": [], "insights": [], "accounts": [], "themes": [], "input": {}}
check("the JSON has segments, insights, themes and accounts",
      all(k in rep for k in ("segments", "insights", "themes", "accounts", "overall")))
seg0 = rep["segments"][0] if rep["segments"] else {}
check("a segment has dimensions, count, nps{value,margin,responses}, csat, ces, sentiment",
      all(k in seg0 for k in ("dimensions", "count", "nps", "csat", "ces", "sentiment"))
      and all(k in seg0.get("nps", {}) for k in ("value", "margin", "responses")), seg0)
ins = rep["insights"]


def found(pred, top):
    return any(pred(i) for i in ins[:top])


check("planted 1: NPS of enterprise x EMEA is a top-5 finding, worse",
      found(lambda i: i["segment"] == {"tier": "enterprise", "region": "EMEA"}
            and i["metric"] == "nps" and i["direction"] == "worse", 5),
      [(i["metric"], i["segment"]) for i in ins[:5]])
check("planted 1: its drivers are billing themes",
      any(i["segment"] == {"tier": "enterprise", "region": "EMEA"} and
          any(re.search(r"invoice|vat|charg|prorat|billing", d["name"]) for d in i["drivers"])
          for i in ins))
check("planted 2: the mobile app crash is a top-8 finding",
      found(lambda i: ("Mobile App" in i["segment"].values() or
                       i["segment"].get("channel") in ("ios", "android"))
            and i["direction"] == "worse" and
            (re.search(r"crash", i["metric"]) or
             any(re.search(r"crash", d["name"]) for d in i["drivers"])), 8),
      [(i["metric"], i["segment"]) for i in ins[:8]])
check("planted 3: phone CES is a top-3 finding",
      found(lambda i: i["segment"] == {"channel": "phone"} and i["metric"] == "ces"
            and i["direction"] == "worse", 3))
churners = {"northwind-traders", "globex", "initech", "umbrella-health", "stark-logistics",
            "hooli", "soylent-foods", "tyrell-biotech", "cyberdyne-systems", "wayne-media",
            "acme-robotics", "vandelay-imports"}
top12 = {a["account"] for a in rep["accounts"][:12]}
check("planted 4: at least 10 of the 12 churning accounts are the 12 riskiest",
      len(top12 & churners) >= 10, sorted(top12 - churners))
check("accounts carry a risk in [0, 1] and their reasons",
      all(0 <= a["churn_risk"] <= 1 for a in rep["accounts"]) and
      all(a["reasons"] for a in rep["accounts"][:12]))
check("every insight is significant after Benjamini-Hochberg",
      all(i["q_value"] < 0.05 for i in ins) and len(ins) > 0)
check("the terminal report shows the insights", b"Insights" in r.stdout and b"enterprise" in r.stdout)

# ---- exactness against a pandas group-by of the same file -------------------
try:
    import pandas as pd
    have_pandas = True
except ImportError:
    have_pandas = False
if have_pandas and rep["segments"]:
    # keep_default_na=False: "NA" is North America here, not a missing value
    df = pd.read_csv(sample, dtype=str, keep_default_na=False)
    for col in ("nps", "csat", "ces", "arr"):
        df[col] = pd.to_numeric(df[col].replace("", float("nan")))
    dims = rep["dimensions"]
    df["pro"] = (df["nps"] >= 9).astype(int)
    df["det"] = (df["nps"] <= 6).astype(int)
    df["sat"] = (df["csat"] >= 4).astype(int)
    ours = {seg_key(s): s for s in rep["segments"]}
    bad = []
    checked = 0
    import itertools
    for depth in (1, 2):
        for combo in itertools.combinations(dims, depth):
            g = df.groupby(list(combo)).agg(
                count=("signal_id", "size"), nps_n=("nps", "count"), pro=("pro", "sum"),
                det=("det", "sum"), csat_n=("csat", "count"), sat=("sat", "sum"),
                ces_n=("ces", "count"), ces_mean=("ces", "mean"), value=("arr", "sum"))
            for key, row in g.iterrows():
                key = key if isinstance(key, tuple) else (key,)
                s = ours.get(tuple(sorted(zip(combo, key))))
                checked += 1
                if s is None:
                    bad.append(("missing", combo, key))
                    continue
                exp_nps = 100.0 * (row.pro - row.det) / row.nps_n if row.nps_n else None
                ok = (s["count"] == row["count"] and s["nps"]["responses"] == row.nps_n
                      and s["nps"]["promoters"] == row.pro and s["nps"]["detractors"] == row.det
                      and s["csat"]["responses"] == row.csat_n and s["ces"]["responses"] == row.ces_n
                      and abs(s["value"] - row.value) <= 1e-9 * max(1.0, abs(row.value)) + 0.01)
                if exp_nps is not None:
                    ok = ok and abs(s["nps"]["value"] - exp_nps) < 0.006
                if row.ces_n:
                    ok = ok and abs(s["ces"]["mean"] - row.ces_mean) < 0.0006
                if not ok:
                    bad.append((combo, key))
    check("every depth-1 and depth-2 segment equals pandas (counts, NPS, CSAT, CES, value)",
          not bad and checked == len(rep["segments"]), (bad[:5], checked, len(rep["segments"])))
    check("overall count equals the rows", rep["overall"]["count"] == len(df))

# ---- bad rows -----------------------------------------------------------------
header = "signal_id,created_at,account_id,tier,region,nps,csat,text\n"
rows = [
    "1,2026-06-01T10:00:00Z,a1,gold,EU,9,,great service thanks\n",
    "2,2026-06-02T10:00:00Z,a1,gold,EU,11,,out of range nps\n",          # line 3
    "3,yesterday,a2,silver,US,5,,bad date\n",                           # line 4
    "4,2026-06-03T10:00:00Z,a2,silver,US,7,4\n",                        # line 5: 7 fields
    "5,2026-06-04T10:00:00Z,a3,gold,US,abc,,not a number\n",            # line 6
    "6,2026-06-05T10:00:00Z,a3,gold,US,8,5,\"quoted, with comma\"\n",
]
bad_csv = os.path.join(tmp, "bad.csv")
with open(bad_csv, "wb") as f:
    f.write(header.encode())
    for row in rows:
        f.write(row.encode())
    f.write(b"7,2026-06-06T10:00:00Z,a4,gold,US,3,,invalid \xff utf8\n")   # line 8
r, rb = report(bad_csv, "--no-themes")
check("bad rows do not stop the run", r.returncode == 0 and rb is not None, r.stderr)
if rb:
    lines = sorted(b["line"] for b in rb["input"]["bad"])
    check("each bad row is reported with its line number", lines == [3, 4, 5, 6, 8],
          (lines, rb["input"]["bad"]))
    check("good rows are all kept", rb["input"]["accepted"] == 2 and rb["overall"]["count"] == 2,
          rb["input"])
    err = r.stderr.decode()
    check("stderr names file:line and the column", "bad.csv:3:" in err and "nps" in err, err)
r = run([bad_csv, "--no-themes", "--strict"])
check("--strict stops at the first bad row with exit 1",
      r.returncode == 1 and b"bad.csv:3:" in r.stderr and b"bad.csv:4:" not in r.stderr, r.stderr)

# ---- CSV and JSON Lines agree; gzip or not -----------------------------------
with gzip.open(sample, "rt", encoding="utf-8", newline="") as f:
    recs = list(csv.DictReader(f))[:3000]
plain = os.path.join(tmp, "part.csv")
with open(plain, "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(recs[0].keys()))
    w.writeheader()
    w.writerows(recs)
jl = os.path.join(tmp, "part.jsonl.gz")
with gzip.open(jl, "wt", encoding="utf-8") as f:
    for rec in recs:
        o = {}
        for k, v in rec.items():
            if v == "":
                continue
            o[k] = float(v) if k in ("nps", "csat", "ces", "arr") else v
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
r1, a = report(plain, "--no-themes")
r2, b = report(jl, "--no-themes")
same = a is not None and b is not None and \
    {seg_key(s): (s["count"], s["nps"]["responses"], s["nps"]["promoters"], s["csat"]["responses"],
                  round(s["value"], 2)) for s in a["segments"]} == \
    {seg_key(s): (s["count"], s["nps"]["responses"], s["nps"]["promoters"], s["csat"]["responses"],
                  round(s["value"], 2)) for s in b["segments"]}
check("CSV and gzip JSON Lines of the same records give the same segments", same,
      (r1.stderr[-300:], r2.stderr[-300:]))

# ---- snapshots: two halves merged equal the whole -----------------------------
half1, half2 = os.path.join(tmp, "h1.csv"), os.path.join(tmp, "h2.csv")
for path, part in ((half1, recs[:1400]), (half2, recs[1400:])):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(recs[0].keys()))
        w.writeheader()
        w.writerows(part)
snap = os.path.join(tmp, "h1.snap")
r = run([half1, "--no-themes", "--snapshot", snap])
check("--snapshot writes a snapshot", r.returncode == 0 and os.path.getsize(snap) > 0, r.stderr)
r, m = report(half2, "--no-themes", "--merge", snap)
ok = m is not None and a is not None and \
    {seg_key(s): (s["count"], s["nps"]["promoters"], s["csat"]["responses"], round(s["value"], 2))
     for s in m["segments"]} == \
    {seg_key(s): (s["count"], s["nps"]["promoters"], s["csat"]["responses"], round(s["value"], 2))
     for s in a["segments"]}
check("half + merged snapshot of the other half = the whole", ok, r.stderr[-300:])
with open(snap, "rb") as f:
    data = f.read()
trunc = os.path.join(tmp, "trunc.snap")
with open(trunc, "wb") as f:
    f.write(data[: len(data) // 2])
r = run([half2, "--no-themes", "--merge", trunc])
check("a truncated snapshot is a clear error", r.returncode == 2 and b"truncated" in r.stderr,
      r.stderr)

# ---- the HTML page ----------------------------------------------------------
if os.path.exists(html):
    page = open(html, encoding="utf-8").read()
    external = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    check("the HTML report is one self-contained file", not external and "<svg" in page or
          ("report-data" in page and not external), external[:3])
    check("the HTML embeds the report data", '"insights"' in page)
else:
    check("the HTML report is written", False)

# ---- mapping and usage errors ---------------------------------------------
ren = os.path.join(tmp, "renamed.csv")
with open(ren, "w") as f:
    f.write("when,who,score,comment,plan\n")
    f.write("2026-01-05,x,10,love it,pro\n2026-01-06,y,2,terrible support,free\n")
r, rr = report(ren, "--no-themes", "--time", "when", "--account", "who", "--nps", "score",
               "--text", "comment", "--dim", "plan")
check("explicit column mapping", rr is not None and rr["overall"]["nps"]["responses"] == 2
      and {seg_key(s) for s in rr["segments"]} == {(("plan", "pro"),), (("plan", "free"),)},
      r.stderr)
r = run([ren, "--nps", "nope"])
check("a mapped column that does not exist is a usage error",
      r.returncode == 2 and b"no column 'nope'" in r.stderr, r.stderr)
r = run(["/nonexistent.csv"])
check("a missing file is an I/O error", r.returncode == 2 and b"nonexistent" in r.stderr)
empty = os.path.join(tmp, "empty.csv")
open(empty, "w").close()
r, re_ = report(empty, "--no-themes")
check("an empty file is an empty report", r.returncode == 0 and re_ is not None
      and re_["input"]["rows"] == 0, r.stderr)
r = run([])
check("no file is a usage error", r.returncode == 2 and b"usage" in r.stderr)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok and detail != "":
        print("# " + repr(detail)[:2000])
sys.exit(0)
