#!/usr/bin/env python3
"""A customer report in a few lines of Python with libci.

Reads a signals CSV (the columns of examples/data/sample_signals.csv.gz),
finds themes in the ticket texts, analyzes every row by tier, region,
product and channel, and prints the headline numbers, the top insights and
the accounts most at risk of churning.

    PYTHONPATH=bindings/python LIBCI_LIBRARY=build/libci.so \
        python3 examples/python_report.py [signals.csv[.gz]] [--top 5]
"""

import argparse
import csv
import gzip
import os

import libci

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sample_signals.csv.gz")


def number(cell):
    return float(cell) if cell else None


def main():
    ap = argparse.ArgumentParser(description="customer report from a signals CSV")
    ap.add_argument("csv", nargs="?", default=SAMPLE)
    ap.add_argument("--top", type=int, default=5, help="insights and accounts to show")
    ap.add_argument("--themes", type=int, default=16, help="themes to find (0: none)")
    args = ap.parse_args()

    opener = gzip.open if args.csv.endswith(".gz") else open
    with opener(args.csv, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    # Themes: what the tickets are about (a sample of texts is plenty).
    themes = None
    if args.themes:
        tickets = [r["text"] for r in rows if r["signal_id"].startswith("tkt-") and r["text"]]
        with libci.ThemeTrainer(k=args.themes, seed=1) as trainer:
            trainer.add_many(tickets[::4])
            themes = trainer.fit()

    with libci.Analyzer(["tier", "region", "product", "channel"], depth=2, themes=themes) as an:
        for r in rows:
            an.add(text=r["text"] or None, timestamp=r["created_at"],
                   account=r["account_id"], customer=r["customer_id"], channel=r["channel"],
                   nps=number(r["nps"]), csat=number(r["csat"]), ces=number(r["ces"]),
                   value=number(r["arr"]),
                   attrs={k: r[k] for k in ("tier", "region", "product", "channel")},
                   kind="ticket" if r["signal_id"].startswith("tkt-") else "survey")

        everyone = an.segment()
        print(f"{everyone.count:,} signals from {len(an.accounts())} accounts")
        print(f"NPS {everyone.nps:+.1f} (±{everyone.nps_margin:.1f}), "
              f"CSAT {everyone.csat:.1f}%, CES {everyone.ces_mean:.2f}/7, "
              f"sentiment {everyone.sentiment_mean:+.2f}")
        if themes is not None:
            biggest = sorted(everyone.themes.items(), key=lambda kv: -kv[1])[:5]
            print("Biggest themes: " + ", ".join(
                f'"{themes.label(t)}" ({n:,})' for t, n in biggest))

        print(f"\nTop {args.top} insights:")
        for ins in an.insights(max_insights=args.top):
            print(f"{ins.rank + 1}. {ins.sentence}")

        print(f"\nTop {args.top} accounts at risk:")
        for a in an.riskiest(args.top):
            arr = f"${a.value:,.0f}" if a.value is not None else "-"
            print(f"  {a.account_id:<20} risk {a.churn_risk:.2f}  ARR {arr:>10}  "
                  f"{a.contacts} contacts  {', '.join(a.reasons)}")

    if themes is not None:
        themes.close()


if __name__ == "__main__":
    main()
