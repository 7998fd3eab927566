"""Analyzer: segments against a pure-Python group-by, errors, comparisons,
trends, accounts, insights, snapshots and merging."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import pickle
import random

import pytest

import libci
from _helpers import (DIMS, add_row, assert_same_accounts, assert_same_insights,
                      assert_same_segments, close)

TEXTS = ["Great support, thanks so much!", "The app crashes after the update 😡",
         "I was charged twice and want a refund NOW", "how do I export a report?",
         "We will cancel our subscription if this is not fixed", "ok", "",
         "Still waiting, this is unacceptable!!!", "Love the new dashboard :)",
         b"invalid \xff utf-8 but still text"]


def small_rows(n=600, seed=3):
    rng = random.Random(seed)
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    rows = []
    for i in range(n):
        r = {
            "text": rng.choice(TEXTS),
            "timestamp": t0 + dt.timedelta(hours=rng.randrange(24 * 70)),
            "account": f"acct-{rng.randrange(12)}",
            "tier": rng.choice(["starter", "growth", "enterprise", None]),
            "region": rng.choice(["NA", "EMEA", "APAC"]),
            "channel": rng.choice(["email", "chat", "phone"]),
            "nps": rng.choice([None, None] + list(range(11))),
            "csat": rng.choice([None, 1, 2, 3, 4, 5]),
            "ces": rng.choice([None, None, 1, 2, 3, 4, 5, 6, 7]),
            "value": rng.choice([None, 0.1, 1e6 + 0.3, 12.25, -3.5]),
        }
        if not r["text"] and r["nps"] is None and r["csat"] is None and r["ces"] is None \
                and r["value"] is None:
            r["nps"] = 5
        rows.append(r)
    return rows


def add_small(an, r):
    return an.add(r["text"] or None, r["timestamp"], account=r["account"], channel=r["channel"],
                  nps=r["nps"], csat=r["csat"], ces=r["ces"], value=r["value"],
                  attrs={"tier": r["tier"], "region": r["region"], "channel": r["channel"]})


DIMS3 = ["tier", "region", "channel"]


def groupby(rows, results, depth=2):
    """Pure-Python reference: every combination of <= depth dimensions."""
    groups = {}
    for r, res in zip(rows, results):
        vals = {d: (r[d] if r[d] is not None else "") for d in DIMS3}
        for k in range(depth + 1):
            for combo in itertools.combinations(DIMS3, k):
                key = tuple(sorted((d, vals[d]) for d in combo))
                groups.setdefault(key, []).append((r, res))
    return groups


def check_group(seg, members):
    rows = [m[0] for m in members]
    res = [m[1] for m in members]
    assert seg.count == len(rows)
    nps = [r["nps"] for r in rows if r["nps"] is not None]
    assert seg.nps_responses == len(nps)
    assert seg.promoters == sum(x >= 9 for x in nps)
    assert seg.detractors == sum(x <= 6 for x in nps)
    assert seg.passives == sum(7 <= x <= 8 for x in nps)
    if nps:
        assert close(seg.nps, 100 * (seg.promoters - seg.detractors) / len(nps))
    else:
        assert seg.nps is None
    csat = [r["csat"] for r in rows if r["csat"] is not None]
    assert seg.csat_responses == len(csat)
    assert seg.csat_satisfied == sum(x >= 4 for x in csat)
    if csat:
        assert close(seg.csat, 100 * seg.csat_satisfied / len(csat))
        assert seg.csat_low <= seg.csat <= seg.csat_high
    ces = [r["ces"] for r in rows if r["ces"] is not None]
    assert seg.ces_responses == len(ces)
    if ces:
        assert close(seg.ces_mean, math.fsum(ces) / len(ces))
        if len(ces) > 1:
            m = math.fsum(ces) / len(ces)
            assert close(seg.ces_variance, math.fsum((x - m) ** 2 for x in ces) / (len(ces) - 1))
    sent = [x.compound for x in res if x.has_sentiment]
    assert seg.sentiment_n == len(sent)
    if sent:
        assert close(seg.sentiment_mean, math.fsum(sent) / len(sent))
    for name in libci.INTENTS:
        assert seg.intents[name] == sum(name in x.intents for x in res)
    vals = [r["value"] for r in rows if r["value"] is not None]
    assert seg.value_n == len(vals)
    assert seg.value_sum == math.fsum(vals)  # exact sum, rounded once


@pytest.fixture(scope="module")
def small():
    rows = small_rows()
    an = libci.Analyzer(dimensions=DIMS3, depth=2)
    results = [add_small(an, r) for r in rows]
    yield rows, results, an
    an.close()


def test_segments_equal_a_python_groupby(small):
    rows, results, an = small
    groups = groupby(rows, results)
    segs = an.segments()
    assert len(segs) == len(groups)
    assert segs[0].dimensions == {} and segs[0].depth == 0 and segs[0].name == "all"
    for seg in segs:
        assert seg.key in groups, seg.key
        assert seg.depth == len(seg.dimensions)
        check_group(seg, groups[seg.key])
    assert len(an) == len(rows)
    # signals without a tier count under ""
    assert an.segment(tier="").count == sum(r["tier"] is None for r in rows)


def test_per_signal_result_matches_sentiment(small):
    rows, results, an = small
    for r, res in list(zip(rows, results))[:20]:
        if not r["text"]:
            assert not res.has_sentiment
            continue
        ref = libci.sentiment(r["text"])
        assert res.has_sentiment
        assert res.compound == ref.compound and res.intents == ref.intents
        assert res.theme is None


def test_segment_lookup(small):
    rows, _, an = small
    s = an.segment(tier="enterprise", region="EMEA")
    assert s.dimensions == {"tier": "enterprise", "region": "EMEA"}
    assert s == an.segment({"region": "EMEA", "tier": "enterprise"})
    assert an.segment() == an.segments()[0]
    with pytest.raises(libci.NotFoundError):
        an.segment(tier="platinum")
    with pytest.raises(KeyError):
        an.segment(colour="red")
    assert an.dimensions == DIMS3


def test_compare_trend_series(small):
    rows, _, an = small
    c = an.compare({"channel": "phone"}, "csat")
    assert c.metric == "csat" and c.n + c.rest_n == sum(r["csat"] is not None for r in rows)
    assert c.gap == pytest.approx(c.value - c.rest)
    assert 0 <= c.p_value <= 1
    ci = an.compare(an.segment(channel="phone"), "intent:churn")
    assert ci.which == "churn"
    assert an.compare(an.segment(channel="phone"), "intent", "churn") == ci
    with pytest.raises(ValueError):
        an.compare(0, "happiness")
    with pytest.raises(libci.MissingError):
        an.compare(0, "nps")  # the population has no rest
    t = an.trend(None, "sentiment", bucket="week")
    assert t.points >= 3 and t.first_start < t.last_start
    g = an.gap_trend({"channel": "phone"}, None, "csat", bucket="week")
    assert g.widening in (-1, 0, 1)
    weeks = an.buckets("week")
    assert len(weeks) >= 9 and all(w.weekday() == 0 for w in weeks)
    series = an.series({"region": "NA"}, "month")
    assert sum(s.count for _, s in series) == an.segment(region="NA").count
    with pytest.raises(ValueError):
        an.buckets("year")


def test_invalid_signals_raise_with_diag(small):
    _, _, an = small
    n = len(an)
    with pytest.raises(libci.NonFiniteError) as e:
        an.add("hi", nps=float("nan"))
    assert e.value.field == "nps" and e.value.status_name == "CI_ERR_NONFINITE"
    assert "nps" in str(e.value)
    with pytest.raises(libci.RangeError) as e:
        an.add("hi", nps=11)
    assert "11" in e.value.message and e.value.field == "nps"
    with pytest.raises(libci.RangeError):
        an.add("hi", csat=0)
    with pytest.raises(libci.UTF8Error) as e:
        an.add("hi", account=b"bad\xffid")
    assert e.value.field == "account_id" and e.value.offset == 3
    with pytest.raises(libci.UTF8Error) as e:
        an.add("hi", attrs={"tier": b"\xc3("})
    assert e.value.field == "attr_value" and e.value.index == 0
    with pytest.raises(libci.MissingError):
        an.add()  # nothing at all
    with pytest.raises(ValueError):
        an.add("hi", kind="carrier-pigeon")
    with pytest.raises(ValueError):
        an.add("hi", timestamp="yesterday")
    assert len(an) == n  # nothing was added


def test_timestamps_and_kinds():
    an = libci.Analyzer(["x"], lexicon=None, buckets="day")
    an.add(nps=9, timestamp="2026-01-02T10:00:00Z", kind="survey")
    an.add(nps=9, timestamp=dt.datetime(2026, 1, 3, 10), kind="survey")
    an.add(nps=9, timestamp=dt.date(2026, 1, 4), kind=7)
    an.add(nps=9, timestamp=1767225600 + 4 * 86400 + 0.5)
    an.add(nps=9, timestamp=dt.datetime(2026, 1, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    days = an.buckets("day")
    assert [d.day for d in days] == [2, 3, 4, 5]  # 01:00+02:00 on the 6th is the 5th in UTC
    assert [st.count for _, st in an.series(None, "day")] == [1, 1, 1, 2]
    assert an.buckets("week") == []  # not kept
    an.close()


def test_add_result_and_theme_ids():
    an = libci.Analyzer(["tier"], lexicon=None, n_themes=3)
    res = libci.SignalResult(True, -0.5, 0.0, 0.5, 0.5, {"churn": 0.9}, {"churn": 0.9}, theme=2)
    an.add_result(res, "we are leaving", account="a", attrs={"tier": "x"})
    an.add_result(libci.SignalResult(), nps=3, attrs={"tier": "x"})
    s = an.segment(tier="x")
    assert s.count == 2 and s.sentiment_mean == -0.5 and s.intents["churn"] == 1
    assert s.themes == {2: 1} and s.texts == 1
    with pytest.raises(libci.RangeError):
        an.add_result(libci.SignalResult(theme=3), "x")
    with pytest.raises(libci.RangeError):
        an.add_result(libci.SignalResult(True, compound=2.0), "x")
    assert an.n_themes == 3
    an.close()


def _flags(res):
    return sum(1 << i for i, name in enumerate(libci.INTENTS) if name in res.intents)


def _rows_one_by_one(rows, results):
    ref = libci.Analyzer(DIMS3, lexicon=None)
    for r, res in zip(rows, results):
        ref.add_result(res, r["text"] or None, r["timestamp"], account=r["account"],
                       nps=r["nps"], csat=r["csat"], ces=r["ces"], value=r["value"],
                       attrs={d: r[d] for d in DIMS3}, kind="feedback")
    return ref


def test_add_columns_equals_add_result(small):
    rows, results, _ = small
    ref = _rows_one_by_one(rows, results)
    an = libci.Analyzer(DIMS3, lexicon=None)
    col = {k: [r[k] for r in rows] for k in ("timestamp", "nps", "csat", "ces", "value",
                                              "account")}
    added = an.add_columns(
        dims={d: [r[d] for r in rows] for d in DIMS3}, **col,
        text=[r["text"] or None for r in rows],
        compound=[x.compound if x.has_sentiment else None for x in results],
        intents=[_flags(x) for x in results])
    assert added == len(rows)
    assert an.to_bytes() == ref.to_bytes()
    assert_same_segments(ref, an)


def test_add_columns_from_a_dataframe(small):
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    rows, results, _ = small
    ref = _rows_one_by_one(rows, results)
    df = pd.DataFrame(rows)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df["tier"] = df["tier"].astype("category")
    df["compound"] = [x.compound if x.has_sentiment else np.nan for x in results]
    df["intents"] = np.array([_flags(x) for x in results], dtype=np.uint32)
    an = libci.Analyzer(DIMS3, lexicon=None)
    # in two batches: the second goes on where the first stopped
    for part in (df.iloc[:250], df.iloc[250:]):
        part = part.reset_index(drop=True)
        an.add_columns(dims={d: part[d] for d in DIMS3}, timestamp=part["timestamp"],
                       nps=part["nps"], csat=part["csat"], ces=part["ces"], value=part["value"],
                       account=part["account"], text=part["text"].replace("", None),
                       compound=part["compound"], intents=part["intents"])
    assert an.to_bytes() == ref.to_bytes()


def test_add_columns_categoricals_and_numpy_dtypes():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    tiers = ["pro", None, "free", "pro"]
    ref = libci.Analyzer(["tier"], lexicon=None)
    ref.add_columns(dims={"tier": tiers}, nps=[9, 7, None, 10], csat=[None, 4, 5, None],
                    intents=[1, 0, 2, 0], theme=[-1, -1, -1, -1])
    # categoricals (an unused category, NaN) go in by their codes; numeric
    # Series on NumPy dtypes by their values (NaN: absent)
    kinds = [pd.Series(pd.Categorical(tiers, categories=["unused", "free", "pro"])),
             pd.Categorical(tiers, categories=["pro", "free"])]
    for tier in kinds:
        an = libci.Analyzer(["tier"], lexicon=None)
        an.add_columns(dims={"tier": tier}, nps=pd.Series([9, 7, np.nan, 10], dtype=np.float32),
                       csat=pd.Series([np.nan, 4, 5, np.nan]),
                       intents=pd.Series([1, 0, 2, 0], dtype=np.uint16),
                       theme=pd.Series([-1, -1, -1, -1], dtype=np.int64))
        assert an.to_bytes() == ref.to_bytes()
        assert an.segment(tier="pro").count == 2 and an.segment().count == 4


def test_add_columns_categorical_code_widths():
    """Categoricals hold 1-, 2- or 4-byte codes by their number of
    categories; each goes in as it is (-1, all ones, for none)."""
    pd = pytest.importorskip("pandas")
    for ncat in (5, 300, 40000):
        cats = ["c%d" % k for k in range(ncat)]
        values = [cats[(k * 7919) % ncat] if k % 9 else None for k in range(500)]
        tier = pd.Categorical(values, categories=cats)
        assert tier.codes.dtype.itemsize == {5: 1, 300: 2, 40000: 4}[ncat]
        ref = libci.Analyzer(["tier"], lexicon=None)
        ref.add_columns(dims={"tier": values}, nps=[k % 11 for k in range(500)])
        an = libci.Analyzer(["tier"], lexicon=None)
        an.add_columns(dims={"tier": tier}, nps=[k % 11 for k in range(500)])
        assert an.to_bytes() == ref.to_bytes()


def test_add_columns_bad_rows():
    an = libci.Analyzer(["tier"], lexicon=None, n_themes=2)
    nps = [9, 10, 11, 3]
    with pytest.raises(libci.RangeError) as e:
        an.add_columns(dims={"tier": ["a", "b", "a", "b"]}, nps=nps)
    assert e.value.index == 2 and "row 2" in str(e.value)
    assert an.segment().count == 2  # the rows before the bad one are in
    assert an.add_columns(dims={"tier": ["b"]}, nps=nps[3:]) == 1
    assert an.segment(tier="b").count == 2
    with pytest.raises(libci.RangeError):
        an.add_columns(nps=[1.0], theme=[2])
    with pytest.raises(libci.MissingError):
        an.add_columns(nps=[None])
    with pytest.raises(ValueError, match="unknown dimensions"):
        an.add_columns(dims={"region": ["x"]}, nps=[1])
    with pytest.raises(ValueError, match="differ in length"):
        an.add_columns(dims={"tier": ["x", "y"]}, nps=[1])
    with pytest.raises(ValueError, match="non-integral"):
        an.add_columns(nps=[1.0], theme=np_float([0.5]))
    assert an.add_columns() == 0
    assert an.segment().count == 3
    an.close()


def np_float(v):
    np = pytest.importorskip("numpy")
    return np.array(v, dtype=np.float64)


def test_analyzer_with_theme_model():
    texts = ["charged twice refund invoice", "refund invoice wrong charge",
             "app crashes on launch", "mobile app crash after update"] * 6
    with libci.ThemeTrainer(k=2, seed=1) as t:
        t.add_many(texts)
        model = t.fit()
    an = libci.Analyzer(["tier"], themes=model)
    for i, text in enumerate(texts):
        r = an.add(text, account=f"a{i % 3}", attrs={"tier": "a" if i % 2 else "b"})
        assert r.theme is not None and r.theme == model.assign(text)[0]
    s = an.segments()[0]
    assert sum(s.themes.values()) == len(texts) and set(s.themes) == {0, 1}
    model.close()  # deferred: the analyzer keeps it
    assert an.add("refund please").theme is not None
    s = an.segments()[0]
    snap = an.to_bytes()
    with libci.Analyzer.from_bytes(snap) as plain:
        assert plain.n_themes == 2  # found without the model
        assert plain.segments()[0].themes == s.themes
    with pytest.raises(libci.InvalidArgumentError):
        with libci.ThemeTrainer(k=3, seed=1) as t:
            t.add_many(texts)
            other = t.fit()
        libci.Analyzer.from_bytes(snap, themes=other)  # theme count differs
    an.close()


@pytest.fixture(scope="module")
def sample_analyzer(sample_rows):
    an = libci.Analyzer(dimensions=DIMS, depth=2)
    for row in sample_rows:
        add_row(an, row)
    yield an
    an.close()


def test_insights(sample_analyzer):
    an = sample_analyzer
    ins = an.insights()
    assert 0 < len(ins) <= 20
    assert [i.rank for i in ins] == list(range(len(ins)))
    for i in ins:
        assert i.kind in ("gap", "trend", "gap_trend")
        assert i.metric in libci.METRICS and i.direction in (-1, 1)
        assert 0 <= i.p_value <= 1 and 0 <= i.q_value <= 1
        assert i.sentence and set(i.segment) <= set(DIMS)
        assert an.segments(examples=False)[i.segment_index].dimensions == i.segment
        for d in i.drivers:
            assert d.kind in ("theme", "intent") and d.lift > 0
    phone = [i for i in ins if i.segment == {"channel": "phone"} and i.metric == "ces"]
    assert phone and phone[0].direction == -1 and phone[0].value < phone[0].rest
    assert any(i.segment == {"tier": "enterprise", "region": "EMEA"} for i in ins)
    js = json.loads(an.insights_json())
    assert [x["sentence"] for x in js] == [i.sentence for i in ins]
    assert len(an.insights(max_insights=3)) == 3


def test_accounts(sample_analyzer):
    an = sample_analyzer
    accts = an.accounts()
    assert len(accts) == 600
    assert sum(a.contacts for a in accts) == len(an)
    top = an.riskiest(12)
    assert len(top) == 12
    assert [a.churn_risk for a in top] == sorted((a.churn_risk for a in top), reverse=True)
    ids = {a.account_id for a in top}
    assert {"northwind-traders", "umbrella-health", "stark-logistics"} <= ids
    h = an.account("northwind-traders")
    assert h == next(a for a in accts if a.account_id == "northwind-traders")
    assert "churn_intent" in h.reasons and set(h.reasons) <= set(libci.RISK_REASONS)
    assert set(h.reason_weights) == set(libci.RISK_REASONS)
    assert h.value == 567000 and h.last_nps is not None and h.last_nps <= 4
    assert h.first_seen < h.last_seen and h.last_seen.tzinfo is not None
    assert h.churn_mentions > 0 and 0 < h.churn_risk <= 1
    with pytest.raises(libci.NotFoundError):
        an.account("nobody")


@pytest.fixture(scope="module")
def thirds(sample_rows):
    """12,000 rows: the whole in one analyzer, and in three contiguous parts."""
    rows = sample_rows[:12000]
    whole = libci.Analyzer(DIMS, depth=2)
    parts = [libci.Analyzer(DIMS, depth=2) for _ in range(3)]
    for i, row in enumerate(rows):
        add_row(whole, row)
        add_row(parts[i * 3 // len(rows)], row)
    yield whole, [p.to_bytes() for p in parts]
    whole.close()
    for p in parts:
        p.close()


def test_snapshot_merge_equals_the_whole(thirds, tmp_path):
    whole, snaps = thirds
    # merge the loaded snapshots into a fresh analyzer of the same configuration
    merged = libci.Analyzer(DIMS, depth=2, lexicon=None)
    for s in snaps:
        with libci.Analyzer.from_bytes(s) as part:
            assert merged.merge(part) is merged
    assert len(merged) == len(whole) == 12000
    assert assert_same_segments(merged, whole) > 100
    assert assert_same_accounts(merged, whole) > 100
    assert assert_same_insights(merged, whole) > 0
    # a file round trip, and a reloaded analyzer that keeps adding
    p = tmp_path / "snap.cis"
    whole.save(p)
    again = libci.Analyzer.load(p, lexicon="builtin")
    assert_same_segments(again, whole)
    assert_same_accounts(again, whole)
    again.add("one more, thanks!", attrs={"tier": "growth"})
    assert len(again) == len(whole) + 1
    # pickling goes through the snapshot (and recreates the built-in lexicon)
    pickled = pickle.loads(pickle.dumps(whole))
    assert_same_segments(pickled, whole)
    assert pickled.lexicon.is_builtin
    with libci.Lexicon.builtin() as lex, libci.Analyzer(["t"], lexicon=lex) as own:
        own.add("great", attrs={"t": "a"})
        with pickle.loads(pickle.dumps(own)) as back:
            assert back.segment(t="a").sentiment_mean == own.segment(t="a").sentiment_mean
    # different configurations do not merge; damaged snapshots do not load
    with libci.Analyzer(["tier"]) as other, pytest.raises(libci.InvalidArgumentError):
        merged.merge(other)
    with pytest.raises((libci.ChecksumError, libci.FormatError)):
        libci.Analyzer.from_bytes(snaps[0][:-10])
    with pytest.raises(libci.FormatError):
        libci.Analyzer.from_bytes(b"definitely not a snapshot")
    for a in (merged, again, pickled):
        a.close()


def test_merge_into_a_loaded_snapshot(thirds):
    """Accounts new to an analyzer loaded from a snapshot keep their own
    first_seen when merged into it (spare account slots are initialised)."""
    whole, snaps = thirds
    merged = libci.Analyzer.from_bytes(snaps[0])
    for s in snaps[1:]:
        with libci.Analyzer.from_bytes(s) as part:
            merged.merge(part)
    assert_same_segments(merged, whole)
    try:
        assert_same_accounts(merged, whole)
    finally:
        merged.close()


def test_custom_lexicon_analyzer_refuses_pickle():
    with libci.Lexicon.load(b"zzqx\t2\n") as lex, libci.Analyzer(["t"], lexicon=lex) as an:
        assert an.add("zzqx").compound > 0
        with pytest.raises(TypeError):
            pickle.dumps(an)
        with pytest.raises(TypeError):
            pickle.dumps(lex)
