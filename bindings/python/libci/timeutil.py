"""Timestamps: libci counts seconds since 1970-01-01 UTC (int64)."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Optional, Union

from ._lib import CI_TIME_NONE

TimeLike = Union[None, int, float, str, _dt.datetime, _dt.date]

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)


def to_ts(t: TimeLike) -> int:
    """Seconds since the epoch for libci.

    Accepts None (no timestamp), int/float seconds, an aware datetime, a naive
    datetime (read as UTC), a date (midnight UTC), or an ISO 8601 string
    (``2026-07-14T09:31:05Z``; without an offset read as UTC).
    """
    if t is None:
        return CI_TIME_NONE
    if isinstance(t, bool):
        raise TypeError("a timestamp cannot be a bool")
    if isinstance(t, int):
        return t
    if isinstance(t, float):
        if not math.isfinite(t):
            raise ValueError(f"timestamp {t} is not finite")
        return math.floor(t)
    if isinstance(t, str):
        s = t.strip()
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        try:
            t = _dt.datetime.fromisoformat(s)
        except ValueError:
            raise ValueError(f"cannot read timestamp {t!r} (ISO 8601 expected)") from None
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_UTC)
        d = t - _EPOCH
        return d.days * 86400 + d.seconds
    if isinstance(t, _dt.date):
        return (t - _EPOCH.date()).days * 86400
    raise TypeError(f"cannot use {type(t).__name__} as a timestamp")


def from_ts(ts: int) -> Optional[_dt.datetime]:
    """An aware UTC datetime, or None for CI_TIME_NONE."""
    if ts == CI_TIME_NONE:
        return None
    return _EPOCH + _dt.timedelta(seconds=int(ts))
