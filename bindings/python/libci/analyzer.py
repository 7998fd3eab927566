"""The analyzer: signals in, segments, comparisons, trends, account health
and insights out; snapshots to merge partitions."""

from __future__ import annotations

import ctypes
import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _lib
from ._handle import Handle
from ._lib import lib
from .errors import check
from .sentiment import INTENTS, Lexicon, builtin_lexicon, intents_from
from .themes import ThemeModel
from .timeutil import TimeLike, from_ts, to_ts
from .tokens import Text

PathLike = Union[str, "os.PathLike[str]"]
Scalar = Union[str, bytes, int, float]

#: Time bucket names and their CI_BUCKET_* bits.
BUCKETS: Dict[str, int] = {"day": _lib.CI_BUCKET_DAY, "week": _lib.CI_BUCKET_WEEK,
                           "month": _lib.CI_BUCKET_MONTH}
_BUCKET_NAMES = {v: k for k, v in BUCKETS.items()}

#: Metric names and their ci_metric values.
METRICS: Dict[str, int] = {"nps": 0, "csat": 1, "ces": 2, "sentiment": 3, "intent": 4, "theme": 5}
_METRIC_NAMES = {v: k for k, v in METRICS.items()}

#: Risk reasons in ci_risk_reason order ("churn_intent", "detractor", ...).
RISK_REASONS: List[str] = [_lib.name_of(lib.ci_risk_reason_name, i) or str(i)
                           for i in range(_lib.CI_RISK_COUNT)]

_INSIGHT_KINDS = {0: "gap", 1: "trend", 2: "gap_trend"}

_BUILTIN = "builtin"


# ---------------------------------------------------------------------------
# Result objects
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalResult:
    """What the analyzer made of one signal (``ci_signal_result``).

    Build one yourself to feed :meth:`Analyzer.add_result` with scores
    computed elsewhere.  ``theme`` is None for "no theme".
    """

    has_sentiment: bool = False
    compound: float = 0.0
    pos: float = 0.0
    neu: float = 0.0
    neg: float = 0.0
    intents: Dict[str, float] = field(default_factory=dict)
    intent_strengths: Dict[str, float] = field(default_factory=dict)
    theme: Optional[int] = None
    theme_similarity: float = 0.0


@dataclass(frozen=True)
class Stats:
    """Statistics of a segment, overall or in one time bucket.

    Rates and means are None when there is nothing to measure (no responses).
    NPS is % promoters - % detractors; CSAT the % of answers 4-5 with its 95 %
    Wilson interval; CES the mean on 1-7, higher is easier; sentiment the mean
    compound score.  ``intents`` counts texts flagged with each intent.
    """

    count: int
    nps: Optional[float]
    nps_margin: Optional[float]
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    csat: Optional[float]
    csat_low: Optional[float]
    csat_high: Optional[float]
    csat_responses: int
    csat_satisfied: int
    ces_mean: Optional[float]
    ces_variance: Optional[float]
    ces_margin: Optional[float]
    ces_responses: int
    sentiment_mean: Optional[float]
    sentiment_variance: Optional[float]
    sentiment_n: int
    intents: Dict[str, int]
    value_sum: float
    value_n: int


@dataclass(frozen=True)
class Example:
    """A representative (most negative) text of a segment."""

    text: str
    compound: float
    theme: Optional[int]


@dataclass(frozen=True)
class Segment(Stats):
    """One segment: its dimension values and overall statistics.

    ``dimensions`` maps each dimension the segment splits by to its value
    ("" for signals without that attribute); it is empty for the whole
    population.  ``themes`` maps theme id -> texts assigned (non-zero only);
    ``texts`` is the number of texts the shares count against.
    """

    index: int = 0
    dimensions: Dict[str, str] = field(default_factory=dict)
    depth: int = 0
    themes: Dict[int, int] = field(default_factory=dict)
    texts: int = 0
    examples: List[Example] = field(default_factory=list)

    @property
    def key(self) -> Tuple[Tuple[str, str], ...]:
        """The dimension values as a sorted tuple, for use as a dict key."""
        return tuple(sorted(self.dimensions.items()))

    @property
    def name(self) -> str:
        """"tier=enterprise, region=EMEA", or "all" for the population."""
        return ", ".join(f"{k}={v}" for k, v in self.dimensions.items()) or "all"


@dataclass(frozen=True)
class Comparison:
    """A segment against the rest of the population on one metric."""

    metric: str
    which: Optional[Union[str, int]]
    n: int
    rest_n: int
    value: float
    rest: float
    gap: float
    effect: float
    p_value: float


@dataclass(frozen=True)
class Trend:
    """A weighted linear trend of a metric over time buckets."""

    points: int
    slope: float
    slope_se: float
    p_value: float
    first: float
    last: float
    first_start: Optional[_dt.datetime]
    last_start: Optional[_dt.datetime]
    widening: int


@dataclass(frozen=True)
class AccountHealth:
    """Health of one account.  ``reasons`` lists the names of the reasons
    that contributed at least 0.05 to ``churn_risk``; ``reason_weights``
    every reason's contribution.  Times are aware UTC datetimes or None."""

    account_id: str
    contacts: int
    first_seen: Optional[_dt.datetime]
    last_seen: Optional[_dt.datetime]
    contacts_recent: int
    contacts_baseline: float
    frequency_change: float
    repeat_contacts: int
    top_theme: Optional[int]
    top_theme_contacts: int
    sentiment_n: int
    sentiment_mean: Optional[float]
    sentiment_slope: float
    sentiment_last: Optional[float]
    last_nps: Optional[float]
    last_nps_time: Optional[_dt.datetime]
    churn_mentions: int
    value: Optional[float]
    churn_risk: float
    reasons: List[str]
    reason_weights: Dict[str, float]


@dataclass(frozen=True)
class Driver:
    """A theme or intent over-represented where an insight applies."""

    kind: str  # "theme" or "intent"
    which: Union[str, int]  # intent name or theme id
    label: str  # intent name or theme label
    share: float
    rest_share: float
    lift: float
    count: int


@dataclass(frozen=True)
class Insight:
    """One finding, ranked (rank 0 = most important).

    ``kind`` is "gap", "trend" or "gap_trend"; ``segment`` the dimension
    values of where it applies; ``metric`` "nps", "csat", "ces", "sentiment",
    "intent" or "theme" with ``which`` the intent name or theme id.  For trends
    ``value``/``rest`` are the first and last fitted values.
    """

    rank: int
    kind: str
    segment: Dict[str, str]
    segment_index: int
    metric: str
    which: Optional[Union[str, int]]
    direction: int
    value: float
    rest: float
    gap: float
    effect: float
    p_value: float
    q_value: float
    slope: float
    bucket: Optional[str]
    count: int
    n: int
    value_at_stake: float
    score: float
    drivers: List[Driver]
    examples: List[str]
    sentence: str


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _opt(n: int, v: float) -> Optional[float]:
    return float(v) if n else None


def _stats_fields(s: _lib.CiSegmentStats) -> Dict[str, Any]:
    return dict(
        count=int(s.count),
        nps=_opt(s.nps_responses, s.nps), nps_margin=_opt(s.nps_responses, s.nps_margin),
        nps_responses=int(s.nps_responses), promoters=int(s.nps_promoters),
        passives=int(s.nps_passives), detractors=int(s.nps_detractors),
        csat=_opt(s.csat_responses, s.csat), csat_low=_opt(s.csat_responses, s.csat_low),
        csat_high=_opt(s.csat_responses, s.csat_high), csat_responses=int(s.csat_responses),
        csat_satisfied=int(s.csat_satisfied),
        ces_mean=_opt(s.ces_responses, s.ces_mean),
        ces_variance=_opt(s.ces_responses, s.ces_variance),
        ces_margin=_opt(s.ces_responses, s.ces_margin), ces_responses=int(s.ces_responses),
        sentiment_mean=_opt(s.sentiment_n, s.sentiment_mean),
        sentiment_variance=_opt(s.sentiment_n, s.sentiment_variance),
        sentiment_n=int(s.sentiment_n),
        intents={name: int(s.intent_count[i]) for i, name in enumerate(INTENTS)},
        value_sum=float(s.value_sum), value_n=int(s.value_n),
    )


def _text_or_none(v: Any, what: str) -> Optional[bytes]:
    if v is None:
        return None
    if isinstance(v, (str, bytes, bytearray, memoryview)):
        return _lib.to_bytes(v, what)
    return str(v).encode("utf-8")


def _bucket_bits(buckets: Union[str, int, Iterable[str]]) -> int:
    if isinstance(buckets, int):
        return buckets
    if isinstance(buckets, str):
        buckets = (buckets,)
    bits = 0
    for b in buckets:
        if b not in BUCKETS:
            raise ValueError(f"unknown bucket {b!r}; one of {list(BUCKETS)}")
        bits |= BUCKETS[b]
    return bits


def _bucket(b: Union[str, int]) -> int:
    if isinstance(b, int):
        return b
    if b not in BUCKETS:
        raise ValueError(f"unknown bucket {b!r}; one of {list(BUCKETS)}")
    return BUCKETS[b]


_kind_cache: Dict[str, int] = {}


def _kind(kind: Union[str, int]) -> int:
    if isinstance(kind, int):
        return kind
    k = _kind_cache.get(kind)
    if k is None:
        data = kind.encode("ascii", "replace")
        out = ctypes.c_int()
        st = lib.ci_signal_kind_parse(data, len(data), ctypes.byref(out))
        if st != _lib.CI_OK:
            raise ValueError(f"unknown signal kind {kind!r}")
        k = _kind_cache[kind] = out.value
    return k


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is a Debian package away
        raise ImportError("Analyzer.add_columns needs NumPy (Debian: python3-numpy)") from None
    return numpy


def _column(np: Any, x: Any, dtype: Any, fill: Any) -> Any:
    """A contiguous array of dtype; None (and pandas NA) become fill."""
    xd = getattr(x, "dtype", None)
    if hasattr(x, "to_numpy") and isinstance(xd, np.dtype) and (
            xd == dtype or (xd.kind in "iu" and np.dtype(dtype).kind in "iu") or
            (xd.kind == "f" and fill != fill)):
        # pandas on a NumPy dtype that cannot hold NA (integers), or whose NA
        # is the fill already (NaN): the values as they are, without the
        # NA pass and copy of to_numpy(na_value=...)
        x = x.to_numpy()
    if hasattr(x, "to_numpy"):  # pandas: NA-aware conversion
        try:
            return np.ascontiguousarray(x.to_numpy(dtype=dtype, na_value=fill))
        except (TypeError, ValueError):
            x = list(x)
    if isinstance(x, np.ndarray) and x.dtype == dtype:
        return np.ascontiguousarray(x)
    if isinstance(x, np.ndarray) and x.dtype != object:
        if np.issubdtype(x.dtype, np.floating) and not np.issubdtype(dtype, np.floating):
            if not np.isfinite(x).all() or (x != np.floor(x)).any():
                raise ValueError(f"a {np.dtype(dtype).name} column has non-integral values")
        return np.ascontiguousarray(x.astype(dtype))
    return np.array([fill if v is None else v for v in x], dtype=dtype)


def _timestamps(np: Any, x: Any) -> Any:
    """Epoch seconds (int64, CI_TIME_NONE for none) from datetimes or numbers."""
    if hasattr(x, "dt") and getattr(x.dt, "tz", None) is not None:
        x = x.dt.tz_convert("UTC").dt.tz_localize(None)
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.datetime64):
        # NaT is INT64_MIN, which is CI_TIME_NONE; whole seconds, rounded down
        return x.astype("datetime64[s]", copy=False).view(np.int64)
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.integer):
        return x.astype(np.int64, copy=False)
    return np.array([to_ts(None if (isinstance(t, float) and t != t) else t) for t in x],
                    dtype=np.int64)


def _factorize(np: Any, x: Any, what: str, keep: List[Any],
               wide: bool = False) -> Tuple[Any, Tuple[int, int]]:
    """Codes (unsigned, all ones where absent: 4 bytes when wide, else 1, 2
    or 4) and a ci_str dictionary."""
    try:
        import pandas as pd
    except ImportError:
        pd = None
    cat = getattr(x, "cat", x)  # a categorical Series, or a Categorical
    if pd is not None and hasattr(cat, "codes") and hasattr(cat, "categories"):
        # already factorized: its codes (-1: NaN) and categories as they are
        codes, uniques = np.asarray(cat.codes), list(cat.categories)
    elif pd is not None:
        codes, uniques = pd.factorize(x if hasattr(x, "dtype") else np.asarray(x, dtype=object))
        uniques = list(uniques)
    else:
        index: Dict[Any, int] = {}
        uniques = []
        codes = np.empty(len(x), dtype=np.int64)
        for i, v in enumerate(x):
            if v is None or (isinstance(v, float) and v != v):
                codes[i] = -1
                continue
            k = index.setdefault(v, len(uniques))
            if k == len(uniques):
                uniques.append(v)
            codes[i] = k
    # -1 (absent) as int32 is CI_CODE_NONE as uint32, and all ones in a
    # narrow width too: int8 and int16 codes (pandas' for up to 32767
    # categories) go in as they are, without a widening copy
    codes = np.asarray(codes)
    if not wide and codes.dtype.kind in "iu" and codes.dtype.itemsize in (1, 2) and (
            codes.dtype.kind == "i" or len(uniques) < (1 << (8 * codes.dtype.itemsize)) - 1):
        out = np.ascontiguousarray(codes).view(np.uint8 if codes.dtype.itemsize == 1 else np.uint16)
    else:
        out = np.ascontiguousarray(codes.astype(np.int32, copy=False).view(np.uint32))
    strs = (_lib.CiStr * max(1, len(uniques)))()
    for i, v in enumerate(uniques):
        b = _text_or_none(v, what)
        keep.append(b)
        _lib.set_str(strs[i], b)
    keep += [out, strs]
    return out, (ctypes.cast(strs, ctypes.c_void_p).value or 0, len(uniques))


class _Insights(Handle):
    def __init__(self, ptr: ctypes.c_void_p) -> None:
        super().__init__(ptr, lib.ci_insights_free)


# ---------------------------------------------------------------------------
# The analyzer
# ---------------------------------------------------------------------------


class Analyzer(Handle):
    """Aggregates customer signals per segment and finds what stands out.

    Args:
        dimensions: attribute keys to segment by, such as ``["tier", "region"]``.
        depth: segments combine up to this many dimensions.
        buckets: time buckets to keep: any of "day", "week", "month".
        lexicon: scores texts: a :class:`Lexicon`, "builtin" (the default) or
            None (no sentiment).  Kept alive by the analyzer.
        vader_compat: score with VADER-compatible rules.
        themes: a :class:`ThemeModel` to assign themes (kept alive), or None.
        n_themes: without a model, the theme ids :meth:`add_result` may carry.

    One thread at a time: build one analyzer per thread or process and
    :meth:`merge` them (or their :meth:`to_bytes` snapshots).
    """

    def __init__(self, dimensions: Sequence[str] = (), depth: int = 2,
                 buckets: Union[str, int, Iterable[str]] = ("day", "week", "month"),
                 lexicon: Union[Lexicon, str, None] = _BUILTIN, themes: Optional[ThemeModel] = None,
                 vader_compat: bool = False, n_themes: int = 0) -> None:
        if isinstance(dimensions, (str, bytes)):
            raise TypeError("dimensions must be a list of names, not one string")
        lex = self._lexicon_arg(lexicon)
        dims = [_lib.to_bytes(d, "dimension") for d in dimensions]
        arr = (_lib.CiStr * max(1, len(dims)))()
        for i, d in enumerate(dims):
            _lib.set_str(arr[i], d)
        opts = _lib.new_struct(_lib.CiAnalyzerOptions)
        opts.dimensions = arr
        opts.n_dimensions = len(dims)
        opts.max_depth = int(depth)
        opts.buckets = _bucket_bits(buckets)
        opts.lexicon = lex._require() if lex is not None else None
        opts.vader_compat = int(bool(vader_compat))
        opts.themes = themes._require() if themes is not None else None
        opts.n_themes = int(n_themes)
        out = ctypes.c_void_p()
        check(lib.ci_analyzer_new(ctypes.byref(opts), None, ctypes.byref(out)), "ci_analyzer_new")
        self._setup(out, lex, themes, vader_compat,
                    len(themes) if themes is not None else int(n_themes))

    # -- construction helpers -------------------------------------------------
    @staticmethod
    def _lexicon_arg(lexicon: Union[Lexicon, str, None]) -> Optional[Lexicon]:
        if lexicon is None:
            return None
        if isinstance(lexicon, str):
            if lexicon != _BUILTIN:
                raise ValueError('lexicon must be a Lexicon, "builtin" or None')
            return builtin_lexicon()
        if not isinstance(lexicon, Lexicon):
            raise TypeError(f"lexicon must be a Lexicon, not {type(lexicon).__name__}")
        return lexicon

    def _setup(self, out: ctypes.c_void_p, lex: Optional[Lexicon],
               themes: Optional[ThemeModel], vader_compat: bool, n_themes: Optional[int]) -> None:
        super().__init__(out, lib.ci_analyzer_free, borrowed=[lex, themes])  # type: ignore[list-item]
        self.lexicon = lex
        self.themes = themes
        self.vader_compat = bool(vader_compat)
        ptr = self._require()
        self.dimensions: List[str] = []
        for d in range(lib.ci_analyzer_dimension_count(ptr)):
            s = lib.ci_analyzer_dimension(ptr, d)
            self.dimensions.append(_lib.view_str(s.data, s.len))
        self._n_themes = n_themes
        self._res = _lib.new_struct(_lib.CiSignalResult)
        self._diag = _lib.new_struct(_lib.CiDiag)

    @property
    def n_themes(self) -> int:
        """Number of theme ids the analyzer counts."""
        if self._n_themes is None:
            self._n_themes = self._probe_themes()
        return self._n_themes

    def _probe_themes(self) -> int:
        # A snapshot loaded without a model: ci_analyzer_compare() rejects a
        # theme id >= the theme count with CI_ERR_INVALID.
        ptr = self._require()
        if not lib.ci_analyzer_segment_count(ptr):
            return 0
        c = _lib.new_struct(_lib.CiComparison)

        def ok(t: int) -> bool:
            return lib.ci_analyzer_compare(ptr, 0, _lib.CI_METRIC_THEME, t, ctypes.byref(c)) != -2

        if not ok(0):
            return 0
        lo, hi = 0, 1
        while ok(hi):
            lo, hi = hi, hi * 2
            if hi > 2**31:
                return lo + 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid
        return lo + 1

    # -- adding signals -------------------------------------------------------
    def _signal(self, text: Optional[Text], timestamp: TimeLike, account: Any, customer: Any,
                channel: Any, nps: Any, csat: Any, ces: Any, ces_lower_is_easier: bool,
                rating: Any, value: Any, attrs: Optional[Mapping[Any, Any]],
                kind: Union[str, int], keep: List[Any]) -> _lib.CiSignal:
        sig = _lib.new_struct(_lib.CiSignal)
        sig.kind = _kind(kind)
        sig.timestamp = to_ts(timestamp)
        for name, v in (("customer_id", customer), ("account_id", account),
                        ("channel", channel)):
            b = _text_or_none(v, name)
            if b is not None:
                keep.append(b)
                _lib.set_str(getattr(sig, name), b)
        if text is not None:
            b = _lib.to_bytes(text)
            keep.append(b)
            _lib.set_str(sig.text, b)
        has = 0
        for name, bit, v in (("nps", _lib.CI_HAS_NPS, nps), ("csat", _lib.CI_HAS_CSAT, csat),
                             ("ces", _lib.CI_HAS_CES, ces), ("rating", _lib.CI_HAS_RATING, rating),
                             ("value", _lib.CI_HAS_VALUE, value)):
            if v is not None:
                setattr(sig, name, float(v))
                has |= bit
        sig.has = has
        if ces_lower_is_easier:
            sig.ces_direction = _lib.CI_CES_LOWER_IS_EASIER
        if attrs:
            items = [(k, v) for k, v in attrs.items() if v is not None]
            arr = (_lib.CiAttr * max(1, len(items)))()
            for i, (k, v) in enumerate(items):
                kb = _text_or_none(k, "attribute key")
                vb = _text_or_none(v, "attribute value")
                keep.append(kb)
                keep.append(vb)
                _lib.set_str(arr[i].key, kb)
                _lib.set_str(arr[i].value, vb)
            keep.append(arr)
            sig.attrs = arr
            sig.n_attrs = len(items)
        return sig

    def _result(self, r: _lib.CiSignalResult) -> SignalResult:
        flagged, every = intents_from(r.intent_flags, r.intent)
        return SignalResult(bool(r.has_sentiment), r.compound, r.pos, r.neu, r.neg, flagged,
                            every, r.theme if r.theme >= 0 else None, r.theme_similarity)

    def add(self, text: Optional[Text] = None, timestamp: TimeLike = None, *,
            account: Optional[Scalar] = None, customer: Optional[Scalar] = None,
            channel: Optional[Scalar] = None, nps: Optional[float] = None,
            csat: Optional[float] = None, ces: Optional[float] = None,
            ces_lower_is_easier: bool = False, rating: Optional[float] = None,
            value: Optional[float] = None, attrs: Optional[Mapping[Any, Any]] = None,
            kind: Union[str, int] = "ticket") -> SignalResult:
        """Analyze one signal and add it to every segment it belongs to.

        ``text`` may be str or bytes (invalid UTF-8 is allowed in the text);
        ids, channel and attribute values must be valid UTF-8 (non-str values
        are converted with ``str()``; None leaves a field or attribute out).
        ``timestamp``: datetime, date, epoch seconds or an ISO 8601 string.
        ``kind``: "ticket", "survey", "chat", "review" ... or a number.

        Returns the per-signal result (sentiment, intents, theme).  An invalid
        signal changes nothing and raises (e.g. :class:`libci.NonFiniteError`
        for a NaN score, with ``.field == "nps"``).
        """
        keep: List[Any] = []
        sig = self._signal(text, timestamp, account, customer, channel, nps, csat, ces,
                           ces_lower_is_easier, rating, value, attrs, kind, keep)
        res = self._res
        diag = self._diag
        diag.status = 0
        check(lib.ci_analyzer_add(self._require(), ctypes.byref(sig), ctypes.byref(res),
                                  ctypes.byref(diag)), "ci_analyzer_add", diag)
        return self._result(res)

    def add_result(self, result: SignalResult, text: Optional[Text] = None,
                   timestamp: TimeLike = None, *, account: Optional[Scalar] = None,
                   customer: Optional[Scalar] = None, channel: Optional[Scalar] = None,
                   nps: Optional[float] = None, csat: Optional[float] = None,
                   ces: Optional[float] = None, ces_lower_is_easier: bool = False,
                   rating: Optional[float] = None, value: Optional[float] = None,
                   attrs: Optional[Mapping[Any, Any]] = None,
                   kind: Union[str, int] = "ticket") -> None:
        """Add a signal analyzed elsewhere: ``result`` supplies sentiment,
        intents and theme, and only the aggregates are updated (the text is
        not scored, but may be kept as an example).  Same fields as :meth:`add`."""
        keep: List[Any] = []
        sig = self._signal(text, timestamp, account, customer, channel, nps, csat, ces,
                           ces_lower_is_easier, rating, value, attrs, kind, keep)
        r = _lib.new_struct(_lib.CiSignalResult)
        r.has_sentiment = int(bool(result.has_sentiment))
        r.compound, r.pos, r.neu, r.neg = result.compound, result.pos, result.neu, result.neg
        flags = 0
        for i, name in enumerate(INTENTS):
            if name in result.intents:
                flags |= 1 << i
            r.intent[i] = float(result.intent_strengths.get(name, result.intents.get(name, 0.0)))
        unknown = set(result.intents) - set(INTENTS)
        if unknown:
            raise ValueError(f"unknown intents {sorted(unknown)}; known: {INTENTS}")
        r.intent_flags = flags
        r.theme = -1 if result.theme is None else int(result.theme)
        r.theme_similarity = float(result.theme_similarity)
        diag = self._diag
        diag.status = 0
        check(lib.ci_analyzer_add_result(self._require(), ctypes.byref(sig), ctypes.byref(r),
                                         ctypes.byref(diag)), "ci_analyzer_add_result", diag)

    def add_columns(self, *, dims: Optional[Mapping[str, Any]] = None, timestamp: Any = None,
                    nps: Any = None, csat: Any = None, ces: Any = None,
                    ces_lower_is_easier: bool = False, value: Any = None, compound: Any = None,
                    intents: Any = None, theme: Any = None, account: Any = None,
                    text: Any = None) -> int:
        """Add a batch of signals analyzed elsewhere, held as columns: NumPy
        arrays, pandas Series (a DataFrame's columns) or plain sequences, all
        of one length.  One library call for the whole batch, so this is the
        way to aggregate a DataFrame: the aggregates are exactly those of
        :meth:`add_result` row by row.  Needs NumPy (pandas is used when it
        is installed, to factorize columns quickly).

        Args:
            dims: dimension name -> column of values (strings, numbers,
                pandas categoricals; None/NaN leaves the attribute out).
                Names must be among :attr:`dimensions`.
            timestamp: epoch seconds (integers), or numpy/pandas datetimes
                (NaT: none), or anything :meth:`add` accepts, per row.
            nps, csat, ces, value: numbers, NaN (or None) where absent.
            compound: sentiment in [-1, 1], NaN where the row was not scored.
            intents: per row, the intent bit flags (bit k for ``INTENTS[k]``).
            theme: theme ids, -1 where none.
            account: account ids (None: no account).
            text: texts (str or bytes, None: none), kept as examples.

        Returns the number of rows added.  A bad row raises (for example
        :class:`libci.RangeError` for an NPS of 11) with ``.index`` set to
        the row: the rows before it were added, it and the rest were not.
        """
        np = _numpy()
        columns = {"timestamp": timestamp, "nps": nps, "csat": csat, "ces": ces,
                   "value": value, "compound": compound, "intents": intents, "theme": theme,
                   "account": account, "text": text}
        dims = dict(dims or {})
        unknown = [k for k in dims if k not in self.dimensions]
        if unknown:
            raise ValueError(f"unknown dimensions {unknown}; the analyzer has {self.dimensions}")
        lengths = {k: len(v) for k, v in list(columns.items()) + list(dims.items())
                   if v is not None}
        if not lengths:
            return 0
        n = next(iter(lengths.values()))
        if any(m != n for m in lengths.values()):
            raise ValueError(f"columns differ in length: {lengths}")
        c = _lib.new_struct(_lib.CiSignalColumns)
        c.n_rows = n
        keep: List[Any] = []

        def arr(x: Any, dtype: Any, fill: Any) -> int:
            a = _column(np, x, dtype, fill)
            keep.append(a)
            return a.ctypes.data

        if timestamp is not None:
            c.timestamp = arr(_timestamps(np, timestamp), np.int64, _lib.CI_TIME_NONE)
        for name in ("nps", "csat", "ces", "value", "compound"):
            if columns[name] is not None:
                setattr(c, name, arr(columns[name], np.float64, np.nan))
        c.ces_direction = _lib.CI_CES_LOWER_IS_EASIER if ces_lower_is_easier else 0
        if intents is not None:
            c.intent_flags = arr(intents, np.uint32, 0)
        if theme is not None:
            c.theme = arr(theme, np.int32, -1)
        nd = len(self.dimensions)
        codes = (ctypes.c_void_p * max(1, nd))()
        dicts = (ctypes.c_void_p * max(1, nd))()
        ndict = (ctypes.c_size_t * max(1, nd))()
        widths = (ctypes.c_uint8 * max(1, nd))()
        keep += [codes, dicts, ndict, widths]
        for d, name in enumerate(self.dimensions):
            if name in dims:
                code, strs = _factorize(np, dims[name], f"dimension {name!r}", keep)
                codes[d], dicts[d], ndict[d] = code.ctypes.data, strs[0], strs[1]
                widths[d] = code.dtype.itemsize
        # every width through dim_codes_any, 1, 2 or 4 bytes as factorized
        c.dim_codes_any = ctypes.cast(codes, ctypes.c_void_p)
        c.dim_code_bytes = ctypes.cast(widths, ctypes.c_void_p)
        c.dim_values = ctypes.cast(dicts, ctypes.c_void_p)
        c.n_dim_values = ctypes.cast(ndict, ctypes.c_void_p)
        if account is not None:
            code, strs = _factorize(np, account, "account", keep, wide=True)
            c.account_codes, c.account_values, c.n_account_values = code.ctypes.data, *strs
        if text is not None:
            texts = (_lib.CiStr * max(1, n))()
            for i, t in enumerate(text):
                if t is not None and not (isinstance(t, float) and t != t):
                    b = _lib.to_bytes(t)
                    keep.append(b)
                    _lib.set_str(texts[i], b)
            keep.append(texts)
            c.text = ctypes.cast(texts, ctypes.c_void_p)
        added = ctypes.c_size_t(0)
        diag = self._diag
        diag.status = 0
        check(lib.ci_analyzer_add_columns(self._require(), ctypes.byref(c), ctypes.byref(added),
                                          ctypes.byref(diag)), "ci_analyzer_add_columns", diag)
        return int(added.value)

    def summarize(self) -> None:
        """Roll segments up now (reading does it on demand)."""
        check(lib.ci_analyzer_summarize(self._require()), "ci_analyzer_summarize")

    # -- segments ------------------------------------------------------------
    def __len__(self) -> int:
        """Signals added (the population's count)."""
        ptr = self._require()
        self.summarize()
        if not lib.ci_analyzer_segment_count(ptr):
            return 0
        s = _lib.new_struct(_lib.CiSegmentStats)
        check(lib.ci_analyzer_segment(ptr, 0, None, ctypes.byref(s)), "ci_analyzer_segment")
        return int(s.count)

    def _values(self) -> "ctypes.Array[_lib.CiStr]":
        return (_lib.CiStr * max(1, len(self.dimensions)))()

    def _segment_at(self, i: int, values: Optional["ctypes.Array[_lib.CiStr]"] = None,
                    examples: bool = True) -> Segment:
        ptr = self._require()
        values = values if values is not None else self._values()
        s = _lib.new_struct(_lib.CiSegmentStats)
        check(lib.ci_analyzer_segment(ptr, i, values, ctypes.byref(s)), "ci_analyzer_segment")
        dims = {}
        for d, name in enumerate(self.dimensions):
            v = _lib.cstr_to_str(values[d])
            if v is not None:
                dims[name] = v
        themes = {}
        for t in range(self.n_themes):
            c = lib.ci_analyzer_segment_theme(ptr, i, t)
            if c:
                themes[t] = int(c)
        ex: List[Example] = []
        if examples:
            txt = _lib.CiStr()
            comp = ctypes.c_double()
            th = ctypes.c_int()
            j = 0
            while lib.ci_analyzer_segment_example(ptr, i, j, ctypes.byref(txt), ctypes.byref(comp),
                                                  ctypes.byref(th)) == _lib.CI_OK:
                ex.append(Example(_lib.view_str(txt.data, txt.len), comp.value,
                                  th.value if th.value >= 0 else None))
                j += 1
        return Segment(**_stats_fields(s), index=i, dimensions=dims,
                       depth=int(lib.ci_analyzer_segment_depth(ptr, i)), themes=themes,
                       texts=int(lib.ci_analyzer_segment_texts(ptr, i)), examples=ex)

    def segments(self, examples: bool = True) -> List[Segment]:
        """Every segment (index 0 is the whole population).  ``examples=False``
        skips reading the representative texts."""
        ptr = self._require()
        self.summarize()
        values = self._values()
        return [self._segment_at(i, values, examples)
                for i in range(lib.ci_analyzer_segment_count(ptr))]

    def _find(self, dims: Mapping[str, Any]) -> int:
        unknown = set(dims) - set(self.dimensions)
        if unknown:
            raise KeyError(f"unknown dimensions {sorted(unknown)}; the analyzer has "
                           f"{self.dimensions}")
        values = self._values()
        keep = []
        for d, name in enumerate(self.dimensions):
            if name in dims:
                b = _text_or_none(dims[name], "dimension value")
                b = b if b is not None else b""
                keep.append(b)
                _lib.set_str(values[d], b)
        idx = ctypes.c_size_t()
        check(lib.ci_analyzer_find(self._require(), values, ctypes.byref(idx)), "ci_analyzer_find")
        return idx.value

    def _index(self, segment: Union[Segment, int, Mapping[str, Any], None]) -> int:
        if segment is None:
            return 0
        if isinstance(segment, bool):
            raise TypeError("a segment cannot be a bool")
        if isinstance(segment, int):
            return segment
        if isinstance(segment, Segment):
            return self._find(segment.dimensions)
        return self._find(segment)

    def segment(self, dims: Optional[Mapping[str, Any]] = None, /, **kw: Any) -> Segment:
        """The segment with these dimension values, e.g.
        ``segment(tier="enterprise", region="EMEA")``; no values: the
        population.  Raises :class:`libci.NotFoundError` if none was seen."""
        values = dict(dims or {}, **kw)
        return self._segment_at(self._find(values))

    def buckets(self, bucket: Union[str, int] = "week") -> List[_dt.datetime]:
        """Starts of the time buckets of a kind in which any signal was seen."""
        ptr = self._require()
        b = _bucket(bucket)
        out: List[_dt.datetime] = []
        start = ctypes.c_int64()
        j = 0
        while True:
            st = lib.ci_analyzer_bucket(ptr, b, j, ctypes.byref(start))
            if st == -14:
                return out
            check(st, "ci_analyzer_bucket")
            t = from_ts(start.value)
            if t is not None:
                out.append(t)
            j += 1

    def series(self, segment: Union[Segment, int, Mapping[str, Any], None] = None,
               bucket: Union[str, int] = "week") -> List[Tuple[_dt.datetime, Stats]]:
        """A segment's statistics per time bucket: [(bucket start, Stats)],
        only buckets where the segment had signals."""
        ptr = self._require()
        i = self._index(segment)
        b = _bucket(bucket)
        s = _lib.new_struct(_lib.CiSegmentStats)
        out = []
        for start in self.buckets(b):
            st = lib.ci_analyzer_segment_bucket(ptr, i, b, to_ts(start), ctypes.byref(s))
            if st == -14:
                continue
            check(st, "ci_analyzer_segment_bucket")
            out.append((start, Stats(**_stats_fields(s))))
        return out

    # -- comparisons and trends ----------------------------------------------
    def _metric(self, metric: str, which: Union[str, int, None]) -> Tuple[int, int, Any]:
        if ":" in metric and which is None:
            metric, which = metric.split(":", 1)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; one of {list(METRICS)}")
        m = METRICS[metric]
        if m == _lib.CI_METRIC_INTENT:
            if isinstance(which, str) and not which.isdigit():
                if which not in INTENTS:
                    raise ValueError(f"unknown intent {which!r}; one of {INTENTS}")
                return m, INTENTS.index(which), which
            if which is None:
                raise ValueError("metric 'intent' needs which= (an intent name)")
            return m, int(which), INTENTS[int(which)] if 0 <= int(which) < len(INTENTS) else which
        if m == _lib.CI_METRIC_THEME:
            if which is None:
                raise ValueError("metric 'theme' needs which= (a theme id)")
            return m, int(which), int(which)
        return m, 0, None

    def compare(self, segment: Union[Segment, int, Mapping[str, Any]], metric: str = "nps",
                which: Union[str, int, None] = None) -> Comparison:
        """Compare a segment with the rest of the population on one metric:
        "nps", "csat", "ces", "sentiment", "intent:<name>" or "theme:<id>"
        (or metric="intent", which="churn").  Raises
        :class:`libci.MissingError` when a side has fewer than two observations."""
        i = self._index(segment)
        m, w, wname = self._metric(metric, which)
        c = _lib.new_struct(_lib.CiComparison)
        check(lib.ci_analyzer_compare(self._require(), i, m, w, ctypes.byref(c)),
              "ci_analyzer_compare")
        return Comparison(_METRIC_NAMES[m], wname, int(c.n), int(c.rest_n), c.value, c.rest,
                          c.gap, c.effect, c.p_value)

    @staticmethod
    def _trend(t: _lib.CiTrend) -> Trend:
        return Trend(int(t.points), t.slope, t.slope_se, t.p_value, t.first, t.last,
                     from_ts(t.first_start), from_ts(t.last_start), int(t.widening))

    def trend(self, segment: Union[Segment, int, Mapping[str, Any], None] = None,
              metric: str = "nps", which: Union[str, int, None] = None,
              bucket: Union[str, int] = "week", min_n: int = 1) -> Trend:
        """The trend of a metric in a segment over buckets of one kind
        (buckets with fewer than ``min_n`` observations are left out).  Raises
        :class:`libci.MissingError` with fewer than three usable buckets."""
        i = self._index(segment)
        m, w, _ = self._metric(metric, which)
        t = _lib.new_struct(_lib.CiTrend)
        check(lib.ci_analyzer_trend(self._require(), i, m, w, _bucket(bucket), int(min_n),
                                    ctypes.byref(t)), "ci_analyzer_trend")
        return self._trend(t)

    def gap_trend(self, a: Union[Segment, int, Mapping[str, Any]],
                  b: Union[Segment, int, Mapping[str, Any], None] = None, metric: str = "nps",
                  which: Union[str, int, None] = None, bucket: Union[str, int] = "week",
                  min_n: int = 1) -> Trend:
        """The trend of the gap between segments a and b (a minus b; b
        defaults to the population) and whether it widens."""
        ia, ib = self._index(a), self._index(b)
        m, w, _ = self._metric(metric, which)
        t = _lib.new_struct(_lib.CiTrend)
        check(lib.ci_analyzer_gap_trend(self._require(), ia, ib, m, w, _bucket(bucket),
                                        int(min_n), ctypes.byref(t)), "ci_analyzer_gap_trend")
        return self._trend(t)

    # -- accounts --------------------------------------------------------------
    def _account(self, i: int) -> AccountHealth:
        h = _lib.new_struct(_lib.CiAccountHealth)
        check(lib.ci_analyzer_account(self._require(), i, ctypes.byref(h)), "ci_analyzer_account")
        return AccountHealth(
            account_id=_lib.view_str(h.account_id.data, h.account_id.len),
            contacts=int(h.contacts), first_seen=from_ts(h.first_seen),
            last_seen=from_ts(h.last_seen), contacts_recent=int(h.contacts_recent),
            contacts_baseline=h.contacts_baseline, frequency_change=h.frequency_change,
            repeat_contacts=int(h.repeat_contacts),
            top_theme=h.top_theme if h.top_theme >= 0 else None,
            top_theme_contacts=int(h.top_theme_contacts), sentiment_n=int(h.sentiment_n),
            sentiment_mean=_opt(h.sentiment_n, h.sentiment_mean),
            sentiment_slope=h.sentiment_slope,
            sentiment_last=_opt(h.sentiment_n, h.sentiment_last),
            last_nps=h.last_nps if h.has_nps else None,
            last_nps_time=from_ts(h.last_nps_time) if h.has_nps else None,
            churn_mentions=int(h.churn_mentions),
            value=h.value if h.has_value else None, churn_risk=h.churn_risk,
            reasons=[name for r, name in enumerate(RISK_REASONS) if h.reasons & (1 << r)],
            reason_weights={name: h.reason_weight[r] for r, name in enumerate(RISK_REASONS)},
        )

    def accounts(self) -> List[AccountHealth]:
        """Health of every account, in first-seen order."""
        ptr = self._require()
        self.summarize()
        return [self._account(i) for i in range(lib.ci_analyzer_account_count(ptr))]

    def account(self, account_id: Scalar) -> AccountHealth:
        """Health of one account; :class:`libci.NotFoundError` if unknown."""
        b = _text_or_none(account_id, "account id") or b""
        idx = ctypes.c_size_t()
        check(lib.ci_analyzer_find_account(self._require(), b, len(b), ctypes.byref(idx)),
              "ci_analyzer_find_account")
        return self._account(idx.value)

    def riskiest(self, k: int = 10) -> List[AccountHealth]:
        """Up to k accounts, highest churn risk first."""
        ptr = self._require()
        k = max(0, int(k))
        idx = (ctypes.c_size_t * max(1, k))()
        n = ctypes.c_size_t()
        check(lib.ci_analyzer_riskiest(ptr, k, idx, ctypes.byref(n)), "ci_analyzer_riskiest")
        return [self._account(idx[j]) for j in range(n.value)]

    # -- insights --------------------------------------------------------------
    def _build_insights(self, max_insights: Optional[int], min_n: Optional[int],
                        alpha: Optional[float], min_effect: Optional[float],
                        trend_bucket: Union[str, int, None]) -> _Insights:
        o = _lib.new_struct(_lib.CiInsightOptions)
        if max_insights is not None:
            o.max_insights = int(max_insights)
        if min_n is not None:
            o.min_n = int(min_n)
        if alpha is not None:
            o.alpha = float(alpha)
        if min_effect is not None:
            o.min_effect = float(min_effect)
        if trend_bucket is not None:
            o.trend_bucket = _bucket(trend_bucket)
        out = ctypes.c_void_p()
        check(lib.ci_insights_build(self._require(), ctypes.byref(o), None, ctypes.byref(out)),
              "ci_insights_build")
        return _Insights(out)

    def _label(self, metric: int, which: int) -> str:
        if metric == _lib.CI_METRIC_INTENT:
            return INTENTS[which] if 0 <= which < len(INTENTS) else str(which)
        if self.themes is not None and not self.themes.closed and 0 <= which < len(self.themes):
            return self.themes.label(which)
        return f"theme {which}"

    def insights(self, max_insights: Optional[int] = None, min_n: Optional[int] = None,
                 alpha: Optional[float] = None, min_effect: Optional[float] = None,
                 trend_bucket: Union[str, int, None] = None) -> List[Insight]:
        """Find what stands out (gaps, trends, widening gaps), ranked, with
        drivers, examples and a sentence each.  Options left at None keep the
        library defaults (20 insights, min_n 30, alpha 0.05, min_effect 0.2,
        weekly trends)."""
        with self._build_insights(max_insights, min_n, alpha, min_effect, trend_bucket) as ins:
            ip = ins._require()
            values = self._values()
            seg_cache: Dict[int, Dict[str, str]] = {}
            out: List[Insight] = []
            x = _lib.new_struct(_lib.CiInsight)
            blen = ctypes.c_size_t()
            for r in range(lib.ci_insights_count(ip)):
                check(lib.ci_insights_get(ip, r, ctypes.byref(x)), "ci_insights_get")
                check(lib.ci_insights_sentence(ip, r, None, 0, ctypes.byref(blen)),
                      "ci_insights_sentence")
                buf = ctypes.create_string_buffer(blen.value + 1)
                check(lib.ci_insights_sentence(ip, r, buf, len(buf), None), "ci_insights_sentence")
                if x.segment not in seg_cache:
                    check(lib.ci_analyzer_segment(self._require(), x.segment, values, None),
                          "ci_analyzer_segment")
                    seg_cache[x.segment] = {
                        name: _lib.cstr_to_str(values[d]) or ""
                        for d, name in enumerate(self.dimensions) if values[d].data}
                which: Optional[Union[str, int]] = None
                if x.metric == _lib.CI_METRIC_INTENT:
                    which = INTENTS[x.which] if 0 <= x.which < len(INTENTS) else x.which
                elif x.metric == _lib.CI_METRIC_THEME:
                    which = x.which
                drivers = []
                for j in range(min(x.n_drivers, _lib.CI_INSIGHT_MAX_DRIVERS)):
                    d = x.drivers[j]
                    kind = "intent" if d.metric == _lib.CI_METRIC_INTENT else "theme"
                    dwhich: Union[str, int] = (self._label(d.metric, d.which)
                                               if kind == "intent" else d.which)
                    drivers.append(Driver(kind, dwhich, self._label(d.metric, d.which), d.share,
                                          d.rest_share, d.lift, int(d.count)))
                examples = [_lib.view_str(x.examples[j].data, x.examples[j].len)
                            for j in range(min(x.n_examples, _lib.CI_INSIGHT_MAX_EXAMPLES))]
                out.append(Insight(
                    rank=r, kind=_INSIGHT_KINDS.get(x.kind, str(x.kind)),
                    segment=dict(seg_cache[x.segment]), segment_index=int(x.segment),
                    metric=_METRIC_NAMES.get(x.metric, str(x.metric)), which=which,
                    direction=int(x.direction), value=x.value, rest=x.rest, gap=x.gap,
                    effect=x.effect, p_value=x.p_value, q_value=x.q_value, slope=x.slope,
                    bucket=_BUCKET_NAMES.get(x.bucket), count=int(x.count), n=int(x.n),
                    value_at_stake=x.value_at_stake, score=x.score, drivers=drivers,
                    examples=examples, sentence=buf.value.decode("utf-8", "replace")))
            return out

    def insights_json(self, max_insights: Optional[int] = None, min_n: Optional[int] = None,
                      alpha: Optional[float] = None, min_effect: Optional[float] = None,
                      trend_bucket: Union[str, int, None] = None) -> str:
        """The insights as the library's JSON array (see ci_insights_json())."""
        with self._build_insights(max_insights, min_n, alpha, min_effect, trend_bucket) as ins:
            data = ctypes.c_void_p()
            n = ctypes.c_size_t()
            check(lib.ci_insights_json(ins._require(), ctypes.byref(data), ctypes.byref(n)),
                  "ci_insights_json")
            return _lib.take_buffer(data, n.value).decode("utf-8")

    # -- snapshots and merging -------------------------------------------------
    def merge(self, other: "Analyzer") -> "Analyzer":
        """Add everything of ``other`` (same dimensions, depth, buckets and
        theme count) into this analyzer; returns self."""
        check(lib.ci_analyzer_merge(self._require(), other._require()), "ci_analyzer_merge")
        return self

    def to_bytes(self) -> bytes:
        """A snapshot of everything aggregated (versioned, checksummed, compressed)."""
        data = ctypes.c_void_p()
        n = ctypes.c_size_t()
        check(lib.ci_analyzer_save(self._require(), ctypes.byref(data), ctypes.byref(n)),
              "ci_analyzer_save")
        return _lib.take_buffer(data, n.value)

    def save(self, path: PathLike) -> None:
        """Write a snapshot file (atomically)."""
        check(lib.ci_analyzer_save_file(self._require(), _lib.fs_path(path)),
              "ci_analyzer_save_file")

    @classmethod
    def _load_opts(cls, lexicon: Union[Lexicon, str, None], themes: Optional[ThemeModel],
                   vader_compat: bool) -> Tuple[_lib.CiAnalyzerOptions, Optional[Lexicon]]:
        lex = cls._lexicon_arg(lexicon)
        opts = _lib.new_struct(_lib.CiAnalyzerOptions)
        opts.lexicon = lex._require() if lex is not None else None
        opts.vader_compat = int(bool(vader_compat))
        opts.themes = themes._require() if themes is not None else None
        return opts, lex

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview],
                   lexicon: Union[Lexicon, str, None] = None,
                   themes: Optional[ThemeModel] = None,
                   vader_compat: bool = False) -> "Analyzer":
        """Load a snapshot.  Pass ``lexicon`` (a Lexicon or "builtin") and
        ``themes`` (the same model) to keep adding signals; without them the
        analyzer can still be read, merged and saved."""
        buf = bytes(data)
        opts, lex = cls._load_opts(lexicon, themes, vader_compat)
        out = ctypes.c_void_p()
        diag = _lib.new_struct(_lib.CiDiag)
        check(lib.ci_analyzer_load(buf, len(buf), ctypes.byref(opts), None, ctypes.byref(out),
                                   ctypes.byref(diag)), "ci_analyzer_load", diag)
        self = cls.__new__(cls)
        self._setup(out, lex, themes, vader_compat, len(themes) if themes is not None else None)
        return self

    @classmethod
    def load(cls, path: PathLike, lexicon: Union[Lexicon, str, None] = None,
             themes: Optional[ThemeModel] = None, vader_compat: bool = False) -> "Analyzer":
        """Load a snapshot file written by :meth:`save`."""
        opts, lex = cls._load_opts(lexicon, themes, vader_compat)
        out = ctypes.c_void_p()
        diag = _lib.new_struct(_lib.CiDiag)
        check(lib.ci_analyzer_load_file(_lib.fs_path(path), ctypes.byref(opts), None,
                                        ctypes.byref(out), ctypes.byref(diag)),
              "ci_analyzer_load_file", diag)
        self = cls.__new__(cls)
        self._setup(out, lex, themes, vader_compat, len(themes) if themes is not None else None)
        return self

    def __reduce__(self) -> Any:
        lex: Optional[str] = None
        if self.lexicon is not None:
            if not self.lexicon.is_builtin:
                raise TypeError("an Analyzer with a custom lexicon cannot be pickled: send "
                                "analyzer.to_bytes() and pass lexicon= to Analyzer.from_bytes()")
            lex = _BUILTIN
        return (_restore, (self.to_bytes(), lex, self.themes, self.vader_compat))


def _restore(data: bytes, lexicon: Optional[str], themes: Optional[ThemeModel],
             vader_compat: bool) -> Analyzer:
    return Analyzer.from_bytes(data, lexicon=lexicon, themes=themes, vader_compat=vader_compat)
