"""libci for Python: customer intelligence (tokens, sentiment and intents,
themes, segments, insights, account health) over the libci C library.

The shared library is located through ``LIBCI_LIBRARY`` (a path), else a
``libci.so*`` next to this package, else the system's (``find_library('ci')``,
``libci.so.1``).  Every object owns C memory: call ``close()`` or use it as a
context manager (the garbage collector frees what you forget).

    >>> import libci
    >>> libci.sentiment("Thanks, the fix works great!").compound > 0
    True
"""

from __future__ import annotations

from ._lib import lib as _clib, path as library_path
from .analyzer import (
    BUCKETS,
    METRICS,
    RISK_REASONS,
    AccountHealth,
    Analyzer,
    Comparison,
    Driver,
    Example,
    Insight,
    Segment,
    SignalResult,
    Stats,
    Trend,
)
from .errors import (
    ChecksumError,
    Error,
    FormatError,
    InvalidArgumentError,
    LibciIOError,
    LimitError,
    MissingError,
    NonFiniteError,
    NotFoundError,
    OutOfMemoryError,
    RangeError,
    StateError,
    StructSizeError,
    UnsupportedError,
    UTF8Error,
    VersionError,
)
from .sentiment import (
    INTENT_THRESHOLD,
    INTENTS,
    Contribution,
    Lexicon,
    Sentence,
    SentimentResult,
    SentimentScorer,
    sentiment,
)
from .themes import Theme, ThemeAssigner, ThemeModel, ThemeTrainer, have_stemmer
from .tokens import Token, TokenFlag, Tokenizer, normalize, tokenize, tokenize_stream


def version() -> str:
    """The version of the loaded libci library, "MAJOR.MINOR.PATCH"."""
    return _clib.ci_version_string().decode()


def version_number() -> int:
    """The loaded library's version as MAJOR*10000 + MINOR*100 + PATCH."""
    return int(_clib.ci_version_number())


#: The version of the loaded libci library.
__version__ = version()

__all__ = [
    "AccountHealth", "Analyzer", "BUCKETS", "ChecksumError", "Comparison", "Contribution",
    "Driver", "Error", "Example", "FormatError", "INTENTS", "INTENT_THRESHOLD", "Insight",
    "InvalidArgumentError", "Lexicon", "LibciIOError", "LimitError", "METRICS", "MissingError",
    "NonFiniteError", "NotFoundError", "OutOfMemoryError", "RISK_REASONS", "RangeError",
    "Segment", "Sentence", "SentimentResult", "SentimentScorer", "SignalResult", "StateError",
    "Stats", "StructSizeError", "Theme", "ThemeAssigner", "ThemeModel", "ThemeTrainer", "Token",
    "TokenFlag", "Tokenizer", "Trend", "UTF8Error", "UnsupportedError", "VersionError",
    "have_stemmer", "library_path", "normalize", "sentiment", "tokenize", "tokenize_stream",
    "version", "version_number",
]
