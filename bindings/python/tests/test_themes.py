"""Themes: fit, assign, save/load round trips, errors."""

from __future__ import annotations

import pickle

import pytest

import libci

TOPICS = {
    "billing": ["I was charged twice on my invoice", "refund for the double charge please",
                "the invoice shows the wrong VAT amount", "billing charged my card twice again",
                "need a refund, the invoice total is wrong"],
    "login": ["cannot log in, password reset link expired", "login fails after password reset",
              "SSO login broken, cannot sign in", "password reset email never arrives",
              "two factor login code does not work, cannot sign in"],
    "mobile": ["the mobile app crashes on launch", "app crashes after the update on iphone",
               "android app keeps crashing when I open it", "mobile app freezes then crashes",
               "crash on startup of the mobile app after update"],
}


def corpus():
    texts = []
    for i in range(12):
        for topic in TOPICS.values():
            texts.append(f"{topic[i % len(topic)]} (ref {i})")
    return texts


@pytest.fixture(scope="module")
def model():
    with libci.ThemeTrainer(k=3, seed=7) as t:
        t.add_many(corpus())
        m = t.fit()
        assignments = t.assignments()
    yield m, assignments
    m.close()


def test_fit_finds_the_topics(model):
    m, assignments = model
    assert len(m) == 3
    themes = m.themes
    assert [t.id for t in themes] == [0, 1, 2]
    assert sum(t.size for t in themes) == len(corpus())
    for t in themes:
        assert t.label and t.terms and t.examples
        assert all(isinstance(w, float) for _, w in t.terms)
        assert t.terms == sorted(t.terms, key=lambda x: -x[1])
    # every topic's texts land in one theme of their own
    texts = corpus()
    by_topic = {}
    for text, th in zip(texts, assignments):
        topic = next(k for k, v in TOPICS.items() if any(text.startswith(s) for s in v))
        by_topic.setdefault(topic, set()).add(th)
    assert all(len(v) == 1 for v in by_topic.values())
    assert len({next(iter(v)) for v in by_topic.values()}) == 3


def test_assign(model):
    m, _ = model
    th, sim = m.assign("my card was charged twice, refund please")
    assert th is not None and 0 < sim <= 1
    assert "charg" in m.themes[th].label or any("charg" in w or "refund" in w or "invoice" in w
                                                for w, _ in m.themes[th].terms)
    assert m.assign(b"my card was charged twice, refund please") == (th, sim)
    assert m.assign("zzz qqq")[0] is None  # no known term: no theme
    with m.assigner(window_seconds=3600) as a:
        a.assign("app crashes", timestamp=0)
        a.assign("zzz", timestamp=10)
        a.assign("zzz", timestamp=7200)
        wins = a.windows()
    assert [(w[1], w[2]) for w in wins] == [(2, 1), (1, 1)]
    assert wins[0][0].timestamp() == 0


def test_save_load_round_trip(model, tmp_path):
    m, _ = model
    data = m.to_bytes()
    with libci.ThemeModel.from_bytes(data) as m2:
        assert m2.themes == m.themes
        assert m2.to_bytes() == data
        for text in corpus()[:10]:
            assert m2.assign(text) == m.assign(text)
    p = tmp_path / "themes.cim"
    m.save(p)
    with libci.ThemeModel.load(p) as m3:
        assert m3.themes == m.themes
    m4 = pickle.loads(pickle.dumps(m))
    assert m4.themes == m.themes
    m4.close()


def test_corrupt_or_foreign_data_raises(model, tmp_path):
    m, _ = model
    data = bytearray(m.to_bytes())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises((libci.ChecksumError, libci.FormatError)):
        libci.ThemeModel.from_bytes(bytes(data))
    with pytest.raises((libci.ChecksumError, libci.FormatError)):
        libci.ThemeModel.from_bytes(m.to_bytes()[:50])
    with pytest.raises(libci.FormatError):
        libci.ThemeModel.from_bytes(b"not a model at all, just some bytes of text")
    with pytest.raises(libci.LibciIOError):
        libci.ThemeModel.load(tmp_path / "missing.cim")


def test_merge_themes(model):
    m, _ = model
    with m.merge(0, 1) as merged:
        assert len(merged) == 2
        assert merged.themes[0].size == m.themes[0].size + m.themes[1].size
    with pytest.raises(libci.InvalidArgumentError):
        m.merge(1, 1)


def test_trainer_errors():
    with libci.ThemeTrainer(k=5) as t:
        t.add("just one text")
        with pytest.raises(libci.StateError):
            t.fit()  # fewer texts than k
    with pytest.raises(libci.InvalidArgumentError):
        libci.ThemeTrainer(max_df=2.0)
    with pytest.raises(ValueError):
        libci.ThemeTrainer(k=-1)


def test_stemmer_flag():
    assert libci.have_stemmer() in (True, False)
