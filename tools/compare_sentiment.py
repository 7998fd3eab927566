#!/usr/bin/env python3
"""Compare libci's native sentiment (built-in lexicon) with reference scores.

Usage: compare_sentiment.py CINTEL FILE.tsv
FILE.tsv: text<TAB>score[...], header first (e.g. ../shared/data/vader/reference.tsv,
or a human-rated corpus with its mean rating in the second column).
Prints the Pearson correlation of compound with the score and 3-class
(negative < -0.05 <= neutral <= 0.05 < positive) accuracy and macro F1.
"""
import json
import math
import subprocess
import sys


def classes(v):
    return 0 if v < -0.05 else (2 if v > 0.05 else 1)


def main():
    cintel, path = sys.argv[1], sys.argv[2]
    rows = [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8")][1:]
    texts = "\n".join(r[0] for r in rows) + "\n"
    out = subprocess.run([cintel, "sentiment"], input=texts.encode(), capture_output=True, check=True)
    ours = [json.loads(l)["compound"] for l in out.stdout.decode().splitlines()]
    ref = [float(r[1]) for r in rows]
    n = len(ref)
    mx, my = sum(ours) / n, sum(ref) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(ours, ref))
    sx = math.sqrt(sum((a - mx) ** 2 for a in ours))
    sy = math.sqrt(sum((b - my) ** 2 for b in ref))
    # a human-rated file is on its own scale: classify it by sign around its neutral point
    scale = max(abs(v) for v in ref) or 1
    rc = [classes(v / scale) for v in ref]
    oc = [classes(v) for v in ours]
    acc = sum(a == b for a, b in zip(rc, oc)) / n
    f1s = []
    for c in range(3):
        tp = sum(1 for a, b in zip(rc, oc) if a == c and b == c)
        fp = sum(1 for a, b in zip(rc, oc) if a != c and b == c)
        fn = sum(1 for a, b in zip(rc, oc) if a == c and b != c)
        p = tp / (tp + fp) if tp + fp else 0
        r = tp / (tp + fn) if tp + fn else 0
        f1s.append(2 * p * r / (p + r) if p + r else 0)
    print("texts: %d" % n)
    print("pearson(native compound, reference): %.3f" % (cov / (sx * sy)))
    print("3-class accuracy: %.3f, macro F1: %.3f (neg %.3f, neu %.3f, pos %.3f)"
          % (acc, sum(f1s) / 3, f1s[0], f1s[1], f1s[2]))


if __name__ == "__main__":
    main()
