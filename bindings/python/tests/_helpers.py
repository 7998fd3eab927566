"""Helpers shared by the tests (imported as a plain module)."""

from __future__ import annotations

import math
import os
from typing import Dict, Optional

import libci

DIMS = ("tier", "region", "product", "channel")


def rss_bytes() -> int:
    """Resident set size of this process (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def num(s: str) -> Optional[float]:
    return float(s) if s != "" else None


def add_row(an: libci.Analyzer, row: Dict[str, str]) -> libci.SignalResult:
    """Add one row of the sample CSV the way the examples do."""
    return an.add(
        text=row["text"] or None, timestamp=row["created_at"], account=row["account_id"],
        customer=row["customer_id"], channel=row["channel"], nps=num(row["nps"]),
        csat=num(row["csat"]), ces=num(row["ces"]), value=num(row["arr"]),
        attrs={k: row[k] for k in DIMS},
        kind="ticket" if row["signal_id"].startswith("tkt-") else "survey")


def close(a: Optional[float], b: Optional[float], rel: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


_INT_FIELDS = ("count", "nps_responses", "promoters", "passives", "detractors",
               "csat_responses", "csat_satisfied", "ces_responses", "sentiment_n", "value_n",
               "texts", "depth")
_FLOAT_FIELDS = ("nps", "nps_margin", "csat", "csat_low", "csat_high", "ces_mean",
                 "ces_variance", "ces_margin", "sentiment_mean", "sentiment_variance")


def assert_same_segments(a: libci.Analyzer, b: libci.Analyzer, rel: float = 1e-9) -> int:
    """Every segment of a equals b's: counts exactly, value sums exactly,
    means and variances to `rel`, same examples.  Returns the segment count."""
    sa = {s.key: s for s in a.segments()}
    sb = {s.key: s for s in b.segments()}
    assert sa.keys() == sb.keys()
    for key, x in sa.items():
        y = sb[key]
        for f in _INT_FIELDS:
            assert getattr(x, f) == getattr(y, f), (key, f)
        assert x.intents == y.intents and x.themes == y.themes, key
        assert x.value_sum == y.value_sum, key
        for f in _FLOAT_FIELDS:
            assert close(getattr(x, f), getattr(y, f), rel), (key, f, getattr(x, f), getattr(y, f))
        assert [(e.text, e.theme) for e in x.examples] == [(e.text, e.theme) for e in y.examples]
        assert all(close(e.compound, f.compound, rel) for e, f in zip(x.examples, y.examples))
    return len(sa)


def assert_same_accounts(a: libci.Analyzer, b: libci.Analyzer, rel: float = 1e-9) -> int:
    xa = {h.account_id: h for h in a.accounts()}
    xb = {h.account_id: h for h in b.accounts()}
    assert xa.keys() == xb.keys()
    for k, x in xa.items():
        y = xb[k]
        for f, v in vars(x).items():
            w = getattr(y, f)
            if isinstance(v, float) or isinstance(w, float):
                assert close(v, w, rel), (k, f, v, w)
            elif isinstance(v, dict):
                assert v.keys() == w.keys() and all(close(v[j], w[j], rel) for j in v), (k, f)
            else:
                assert v == w, (k, f, v, w)
    return len(xa)


def assert_same_insights(a: libci.Analyzer, b: libci.Analyzer, **opts) -> int:
    ia, ib = a.insights(**opts), b.insights(**opts)
    assert [i.sentence for i in ia] == [i.sentence for i in ib]
    assert [(i.kind, i.segment, i.metric, i.which) for i in ia] == \
        [(i.kind, i.segment, i.metric, i.which) for i in ib]
    return len(ia)
