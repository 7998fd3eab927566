"""Sentiment: agreement with the cintel CLI and with reference VADER scores,
lexicons, explanations, errors, str vs bytes."""

from __future__ import annotations

import gzip
import json
import subprocess

import pytest

import libci

TEXTS = [
    "My card was charged TWICE and I still haven't received a refund!!!",
    "Can't log in since the update :( please help ASAP",
    "I've been on hold for 45 minutes... sooo frustrating. Third time I call about this.",
    "Thanks so much, the new dashboard is great 👍",
    "We will cancel our subscription if this is not fixed, switching to a competitor.",
    "How do I export the report? I don't understand where the button is.",
    "not bad at all",
    "The app crashes since the update to 5.0.0 😡",
    "",
    "ok",
]


def cli_scores(cintel, texts, *args):
    out = subprocess.run([cintel, "sentiment", *args], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def assert_matches_cli(res, ref):
    assert res.compound == pytest.approx(ref["compound"], abs=5.1e-5)
    for k in ("pos", "neu", "neg"):
        assert getattr(res, k) == pytest.approx(ref[k], abs=5.1e-4)
    assert sorted(res.intents) == sorted(ref["intents"])
    for name, strength in ref["intent_strength"].items():
        assert res.intent_strengths[name] == pytest.approx(strength, abs=5.1e-4)


def test_native_scores_match_the_cli(cintel):
    refs = cli_scores(cintel, TEXTS)
    assert len(refs) == len(TEXTS)
    with libci.SentimentScorer() as s:
        for text, ref in zip(TEXTS, refs):
            assert_matches_cli(s.score(text), ref)
    # the one-shot function agrees with the scorer
    assert libci.sentiment(TEXTS[0]) == libci.SentimentScorer().score(TEXTS[0])


def test_vader_compat_matches_the_cli(cintel, vader_dir):
    lexf, emof = vader_dir / "vader_lexicon.txt", vader_dir / "emoji_utf8_lexicon.txt"
    refs = cli_scores(cintel, TEXTS, "--vader-compat", "--lexicon", str(lexf),
                      "--emoji-lexicon", str(emof))
    with libci.Lexicon.vader(lexf, emof) as lex, libci.SentimentScorer(lex, vader_compat=True) as s:
        for text, ref in zip(TEXTS, refs):
            assert_matches_cli(s.score(text), ref)


def test_vader_reference_scores(vader_dir):
    """Every line of reference.tsv (vaderSentiment 3.3) in vader-compat mode."""
    lex = libci.Lexicon.vader(vader_dir / "vader_lexicon.txt", vader_dir / "emoji_utf8_lexicon.txt")
    scorer = libci.SentimentScorer(lex, vader_compat=True)
    lex.close()  # the scorer keeps it alive
    n = bad = 0
    with open(vader_dir / "reference.tsv", encoding="utf-8", newline="\n") as f:
        next(f)
        for line in f:
            text, comp, neg, neu, pos = line.rstrip("\n").split("\t")
            r = scorer.score(text)
            n += 1
            ok = (abs(r.compound - float(comp)) <= 1e-4 and abs(r.neg - float(neg)) <= 1e-3
                  and abs(r.neu - float(neu)) <= 1e-3 and abs(r.pos - float(pos)) <= 1e-3)
            bad += not ok
    scorer.close()
    assert n > 15000
    assert bad == 0, f"{bad} of {n} lines differ from reference VADER"


def test_result_fields_and_intents():
    r = libci.sentiment("We will cancel our subscription, this is unacceptable!!!")
    assert -1 <= r.compound < 0
    assert r.pos + r.neu + r.neg == pytest.approx(1.0)
    assert "churn" in r.intents
    assert set(r.intent_strengths) == set(libci.INTENTS)
    assert all(v >= libci.INTENT_THRESHOLD for v in r.intents.values())
    assert r.sentences == [] and r.contributions == []


def test_explanations_and_sentences():
    text = "I love it :) but the app crashes. Awful."
    r = libci.sentiment(text, explain=True, sentences=True)
    terms = [c.term for c in r.contributions]
    assert "love" in terms and ":)" in terms
    data = text.encode()
    for c in r.contributions:
        assert c.length > 0 and c.offset + c.length <= len(data)
    love = r.contributions[terms.index("love")]
    assert data[love.offset:love.offset + love.length] == b"love"
    assert love.base > 0
    assert len(r.sentences) == 2
    assert r.sentences[0].text.startswith("I love it")
    assert r.sentences[1].text.strip().startswith("Awful")
    assert r.sentences[1].compound < 0


def test_str_and_bytes_agree_and_invalid_utf8_is_scored():
    text = "Terrible support, I'm furious 😡"
    assert libci.sentiment(text) == libci.sentiment(text.encode())
    r = libci.sentiment(b"great \xff\xfe product")
    assert r.compound > 0


def test_lexicon_load_bytes_path_gzip_and_base(tmp_path):
    base = libci.Lexicon.builtin()
    assert len(base) > 1000
    assert base.lookup("GREAT") == base.lookup("great") and base.lookup("great") > 0
    assert base.lookup("zzqx-not-a-word") is None
    data = b"zzqx\t3.5\n# a comment\n@booster\tmegaa\t0.3\n"
    lex = libci.Lexicon.load(data, base=base)
    assert lex.lookup("zzqx") == 3.5 and "zzqx" in lex and "zzqx" not in base
    assert len(lex) == len(base) + 1
    p = tmp_path / "lex.tsv.gz"
    p.write_bytes(gzip.compress(data))
    lex2 = libci.Lexicon.load(p, base=base)
    assert lex2.lookup("zzqx") == 3.5
    alone = libci.Lexicon.load(str(p))
    assert len(alone) == 1
    assert libci.sentiment("zzqx", lexicon=alone).compound > 0
    ext = base.extend(b"great\t-2\n")
    assert ext.lookup("great") == -2  # later entries win
    for x in (base, lex, lex2, alone, ext):
        x.close()


def test_bad_lexicon_line_raises_with_line_and_message():
    with pytest.raises(libci.FormatError) as e:
        libci.Lexicon.load(b"good\t2\nbad line\nok\t1\n", format="simple")
    err = e.value
    assert isinstance(err, libci.Error) and isinstance(err, ValueError)
    assert err.status_name == "CI_ERR_FORMAT"
    assert err.line == 2
    assert "term<TAB>valence" in err.message
    assert "line 2" in str(err) and "CI_ERR_FORMAT" in str(err)


def test_lexicon_value_errors(tmp_path):
    with pytest.raises(libci.RangeError) as e:
        libci.Lexicon.load(b"a\t1\nb\t9\n")
    assert e.value.line == 2
    with pytest.raises(libci.UTF8Error):
        libci.Lexicon.load(b"caf\xe9\t1\n")
    with pytest.raises(libci.LibciIOError) as e:
        libci.Lexicon.load(tmp_path / "missing.tsv")
    assert isinstance(e.value, OSError)
    with pytest.raises(ValueError):
        libci.Lexicon.load(b"a\t1\n", format="yaml")


def test_scorer_keeps_lexicon_alive():
    lex = libci.Lexicon.load(b"zzqx\t3\n")
    s = libci.SentimentScorer(lex)
    lex.close()  # deferred: the scorer still uses it
    assert lex.closed
    assert s.score("zzqx").compound > 0
    with pytest.raises(ValueError):
        lex.lookup("zzqx")
    s.close()
    assert s.closed and lex.closed
