"""close(), context managers, double close, use after close, borrowed
objects, and no leaks over many objects."""

from __future__ import annotations

import gc

import pytest

import libci
from _helpers import rss_bytes


def every_kind_of_object():
    lex = libci.Lexicon.builtin()
    model_bytes = _model_bytes()
    model = libci.ThemeModel.from_bytes(model_bytes)
    return [lex, libci.SentimentScorer(lex), libci.Tokenizer(), model, model.assigner(),
            libci.ThemeTrainer(k=2), libci.Analyzer(["a"], lexicon=lex, themes=model)]


_MODEL = None


def _model_bytes() -> bytes:
    global _MODEL
    if _MODEL is None:
        with libci.ThemeTrainer(k=2, seed=1) as t:
            t.add_many(["refund charge invoice", "invoice refund wrong", "app crash launch",
                        "crash app update"] * 4)
            with t.fit() as m:
                _MODEL = m.to_bytes()
    return _MODEL


def test_close_is_idempotent_and_use_after_close_raises():
    for obj in every_kind_of_object():
        assert not obj.closed
        obj.close()
        obj.close()
        assert obj.closed
        assert "closed" in repr(obj)
        with pytest.raises(ValueError, match="closed"):
            obj._require()
    a = libci.Analyzer(["x"])
    a.close()
    with pytest.raises(ValueError):
        a.add("hi")
    with pytest.raises(ValueError):
        a.segments()


def test_context_managers():
    with libci.Analyzer(["x"]) as a:
        a.add("hello")
    assert a.closed
    with libci.Lexicon.builtin() as lex, libci.SentimentScorer(lex) as s:
        s.score("fine")
    assert lex.closed and s.closed
    with pytest.raises(ValueError):
        with a:  # entering a closed object
            pass


def test_borrowed_objects_outlive_their_users_in_any_close_order():
    lex = libci.Lexicon.load(b"zzqx\t2\n")
    model = libci.ThemeModel.from_bytes(_model_bytes())
    an = libci.Analyzer(["x"], lexicon=lex, themes=model)
    lex.close()
    model.close()
    r = an.add("zzqx refund invoice", attrs={"x": "1"})
    assert r.compound > 0 and r.theme is not None
    an.close()  # frees the analyzer, then the lexicon and the model
    assert lex._ptr is None and model._ptr is None
    # dropping references without close() is safe too
    an = libci.Analyzer(["x"], lexicon=libci.Lexicon.builtin(),
                        themes=libci.ThemeModel.from_bytes(_model_bytes()))
    an.add("crash")
    del an
    gc.collect()


def _churn(n):
    """Create, use and free every kind of object n times."""
    mb = _model_bytes()
    shared = libci.Lexicon.builtin()
    for i in range(n):
        with libci.SentimentScorer(shared, explain=True, sentences=True) as s:
            s.score("I love it :) but the app crashes. Awful!")
        libci.tokenize("Hello wörld 😀 http://x.io")
        libci.normalize("ÉCOLE")
        with libci.ThemeModel.from_bytes(mb) as m:
            m.assign("refund my charge")
            if i % 10 == 0:
                _ = m.to_bytes()
        with libci.Analyzer(["t"], lexicon=shared) as an:
            an.add("thanks!", account="a", attrs={"t": "x"}, nps=9, timestamp=i)
            if i % 10 == 0:
                an.segments()
                an.riskiest(3)
                an.insights(min_n=1)
                libci.Analyzer.from_bytes(an.to_bytes()).close()
        # no close(): left to the garbage collector
        libci.SentimentScorer(shared).score("meh")
        if i % 50 == 0:
            libci.Lexicon.load(b"a\t1\n", base=shared)
            try:
                libci.Lexicon.load(b"bad", format="simple")
            except libci.FormatError:
                pass
    shared.close()


def test_no_leak_over_10000_objects():
    _churn(500)  # warm up allocator pools and caches
    gc.collect()
    before = rss_bytes()
    _churn(10000)
    gc.collect()
    grown = rss_bytes() - before
    # One leaked scorer, model or analyzer per iteration would be tens of MB.
    assert grown < 4 * 1024 * 1024, f"RSS grew by {grown / 1e6:.1f} MB over 10,000 rounds"


def test_memory_handed_out_is_freed():
    """Buffers from ci_*_save / ci_normalize / ci_insights_json are ci_free()d."""
    with libci.Analyzer(["t"]) as an:
        for i in range(50):
            an.add(f"text {i} is great", attrs={"t": str(i % 3)}, nps=i % 11)
        _ = an.to_bytes()
        before = rss_bytes()
        for _ in range(3000):
            an.to_bytes()
            an.insights_json(min_n=1)
            libci.normalize("x" * 10000)
        assert rss_bytes() - before < 4 * 1024 * 1024
