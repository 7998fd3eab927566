"""Lexicons and sentiment scoring."""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

from . import _lib
from ._handle import Handle
from ._lib import lib
from .errors import check
from .tokens import Text

PathOrBytes = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

#: Intent names in ``ci_intent`` order ("confusion", "frustration", ...).
INTENTS: List[str] = [_lib.name_of(lib.ci_intent_name, i) or str(i)
                      for i in range(_lib.CI_INTENT_COUNT)]
#: An intent is flagged when its strength reaches this value.
INTENT_THRESHOLD = 0.5

_FORMATS = {
    "auto": _lib.CI_LEXICON_AUTO,
    "vader": _lib.CI_LEXICON_VADER,
    "simple": _lib.CI_LEXICON_SIMPLE,
    "emoji": _lib.CI_LEXICON_EMOJI,
}


def intents_from(flags: int, strengths: "ctypes.Array[ctypes.c_double]") -> "tuple[Dict[str, float], Dict[str, float]]":
    """(flagged intents, every intent's strength) from a result struct."""
    every = {name: float(strengths[i]) for i, name in enumerate(INTENTS)}
    flagged = {name: every[name] for i, name in enumerate(INTENTS) if flags & (1 << i)}
    return flagged, every


class Lexicon(Handle):
    """An immutable sentiment lexicon (terms with valences, modifiers, emoji
    descriptions).  Share one between any number of scorers and analyzers;
    they keep it alive as long as they need it."""

    def __init__(self, _ptr: ctypes.c_void_p) -> None:
        super().__init__(_ptr, lib.ci_lexicon_free)
        self.is_builtin = False  #: True for the unmodified built-in lexicon

    @classmethod
    def builtin(cls) -> "Lexicon":
        """libci's built-in English customer lexicon."""
        out = ctypes.c_void_p()
        check(lib.ci_lexicon_new_builtin(None, ctypes.byref(out)), "ci_lexicon_new_builtin")
        lex = cls(out)
        lex.is_builtin = True
        return lex

    @classmethod
    def empty(cls) -> "Lexicon":
        """An empty lexicon (a base for VADER's own files)."""
        out = ctypes.c_void_p()
        check(lib.ci_lexicon_new_empty(None, ctypes.byref(out)), "ci_lexicon_new_empty")
        return cls(out)

    @classmethod
    def load(cls, source: PathOrBytes, base: Optional["Lexicon"] = None,
             format: str = "auto") -> "Lexicon":
        """Load a lexicon from a file path (str or path-like) or from its
        contents (bytes), plain or gzip, over ``base`` (copied; new entries
        win).  ``format`` is "auto", "vader", "simple" or "emoji".

        Raises :class:`libci.FormatError` (with ``.line``) on a malformed line.
        """
        fmt = _FORMATS.get(format)
        if fmt is None:
            raise ValueError(f"unknown lexicon format {format!r}; one of {sorted(_FORMATS)}")
        base_ptr = base._require() if base is not None else None
        out = ctypes.c_void_p()
        diag = _lib.new_struct(_lib.CiDiag)
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            st = lib.ci_lexicon_load_buffer(base_ptr, data, len(data), fmt, None,
                                            ctypes.byref(out), ctypes.byref(diag))
            check(st, "ci_lexicon_load_buffer", diag, lines=True)
        else:
            p = _lib.fs_path(source)
            st = lib.ci_lexicon_load_file(base_ptr, p, fmt, None, ctypes.byref(out),
                                          ctypes.byref(diag))
            if st == -10:  # CI_ERR_IO: say which file, as OSError does
                from .errors import make_error
                err = make_error(st, "ci_lexicon_load_file", diag)
                err.filename = os.fsdecode(p)  # type: ignore[attr-defined]
                raise err
            check(st, "ci_lexicon_load_file", diag, lines=True)
        return cls(out)

    def extend(self, source: PathOrBytes, format: str = "auto") -> "Lexicon":
        """A new lexicon: this one with ``source`` loaded over it."""
        return Lexicon.load(source, base=self, format=format)

    @classmethod
    def vader(cls, lexicon: PathOrBytes, emoji: Optional[PathOrBytes] = None) -> "Lexicon":
        """VADER's own files (``vader_lexicon.txt`` and optionally
        ``emoji_utf8_lexicon.txt``) over an empty lexicon, for
        ``vader_compat=True``."""
        with cls.empty() as e:
            lex = cls.load(lexicon, base=e, format="vader")
        if emoji is None:
            return lex
        with lex:
            return cls.load(emoji, base=lex, format="emoji")

    def lookup(self, term: Text) -> Optional[float]:
        """The valence of a term (normalized as the scorer does), or None."""
        data = _lib.to_bytes(term, "term")
        v = ctypes.c_double()
        st = lib.ci_lexicon_lookup(self._require(), data, len(data), ctypes.byref(v))
        if st == -14:  # CI_ERR_NOT_FOUND
            return None
        check(st, "ci_lexicon_lookup")
        return v.value

    def __contains__(self, term: Text) -> bool:
        return self.lookup(term) is not None

    def __len__(self) -> int:
        """Number of terms with a valence."""
        return int(lib.ci_lexicon_size(self._require()))


_builtin_lock = threading.Lock()
_builtin: Optional[Lexicon] = None


def builtin_lexicon() -> Lexicon:
    """A shared built-in lexicon (created once; immutable, so thread-safe)."""
    global _builtin
    with _builtin_lock:
        if _builtin is None or _builtin.closed:
            _builtin = Lexicon.builtin()
        return _builtin


@dataclass(frozen=True)
class Sentence:
    """Scores of one sentence (with ``sentences=True``)."""

    offset: int
    length: int
    text: str
    compound: float
    pos: float
    neu: float
    neg: float


@dataclass(frozen=True)
class Contribution:
    """One scored term and what the rules made of it (with ``explain=True``)."""

    term: str
    offset: int
    length: int
    base: float
    valence: float
    sentence: int


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one text.

    ``intents`` holds the flagged intents (strength >= 0.5) by name;
    ``intent_strengths`` every intent's strength in [0, 1].
    """

    compound: float
    pos: float
    neu: float
    neg: float
    intents: Dict[str, float]
    intent_strengths: Dict[str, float]
    sentences: List[Sentence] = field(default_factory=list)
    contributions: List[Contribution] = field(default_factory=list)


class SentimentScorer(Handle):
    """A reusable scorer: a lexicon plus working memory.  One thread at a
    time (give each thread its own; they may share the lexicon).

    Args:
        lexicon: the lexicon (kept alive by the scorer); None for the built-in one.
        vader_compat: reproduce vaderSentiment 3.3 exactly (use with VADER's files).
        explain: record each term's contribution (``SentimentResult.contributions``).
        sentences: also score each sentence (``SentimentResult.sentences``).
    """

    def __init__(self, lexicon: Optional[Lexicon] = None, vader_compat: bool = False,
                 explain: bool = False, sentences: bool = False) -> None:
        lex = lexicon if lexicon is not None else builtin_lexicon()
        opts = _lib.new_struct(_lib.CiSentimentOptions)
        opts.vader_compat = int(bool(vader_compat))
        opts.explain = int(bool(explain))
        opts.sentences = int(bool(sentences))
        out = ctypes.c_void_p()
        check(lib.ci_sentiment_new(lex._require(), ctypes.byref(opts), None, ctypes.byref(out)),
              "ci_sentiment_new")
        super().__init__(out, lib.ci_sentiment_free, borrowed=[lex])
        self.lexicon = lex
        self.vader_compat = bool(vader_compat)
        self._res = _lib.new_struct(_lib.CiSentimentResult)

    def score(self, text: Text) -> SentimentResult:
        """Score one text (str or bytes; invalid UTF-8 is read as U+FFFD)."""
        ptr = self._require()
        data = _lib.to_bytes(text)
        res = self._res
        check(lib.ci_sentiment_score(ptr, data, len(data), ctypes.byref(res)),
              "ci_sentiment_score")
        flagged, every = intents_from(res.intent_flags, res.intent)
        sentences: List[Sentence] = []
        if res.n_sentences:
            s = _lib.new_struct(_lib.CiSentenceScore)
            for i in range(res.n_sentences):
                check(lib.ci_sentiment_sentence(ptr, i, ctypes.byref(s)), "ci_sentiment_sentence")
                o, n = int(s.offset), int(s.length)
                sentences.append(Sentence(o, n, data[o:o + n].decode("utf-8", "replace"),
                                          s.compound, s.pos, s.neu, s.neg))
        contributions: List[Contribution] = []
        if res.n_contributions:
            c = _lib.new_struct(_lib.CiContribution)
            for i in range(res.n_contributions):
                check(lib.ci_sentiment_contribution(ptr, i, ctypes.byref(c)),
                      "ci_sentiment_contribution")
                contributions.append(Contribution(_lib.view_str(c.term, c.term_len),
                                                  int(c.offset), int(c.length), c.base,
                                                  c.valence, int(c.sentence)))
        return SentimentResult(res.compound, res.pos, res.neu, res.neg, flagged, every,
                               sentences, contributions)

    __call__ = score


def sentiment(text: Text, lexicon: Optional[Lexicon] = None, vader_compat: bool = False,
              explain: bool = False, sentences: bool = False) -> SentimentResult:
    """Score one text.  For many texts, reuse a :class:`SentimentScorer`."""
    with SentimentScorer(lexicon, vader_compat, explain, sentences) as s:
        return s.score(text)
