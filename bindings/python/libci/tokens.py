"""Tokenizer and normalization."""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass
from typing import Iterable, List, Union

from . import _lib
from ._handle import Handle
from ._lib import lib
from .errors import check

Text = Union[str, bytes, bytearray, memoryview]


class TokenFlag(enum.IntFlag):
    """Bits of :attr:`Token.flags` (``CI_TOKEN_*``)."""

    ALLCAPS = 1 << 0
    ELONGATED = 1 << 1
    CONTRACTION = 1 << 2
    NEGATION = 1 << 3
    REPLACED = 1 << 4
    SPLIT = 1 << 5
    NONASCII = 1 << 6


_KIND_NAMES = {k: _lib.name_of(lib.ci_token_kind_name, k) for k in range(1, 11)}


@dataclass(frozen=True)
class Token:
    """One token.

    Attributes:
        text: the normalized text (NFKC + case folding; always valid UTF-8).
        kind: "word", "number", "punct", "symbol", "emoji", "emoticon", "url",
            "email", "mention" or "hashtag".
        offset: byte offset of the token in the UTF-8 input (bytes, not characters).
        length: its length in source bytes.
        flags: :class:`TokenFlag` bits.
    """

    text: str
    kind: str
    offset: int
    length: int
    flags: TokenFlag

    @property
    def flag_names(self) -> List[str]:
        """Names of the set flags, such as ``["allcaps", "negation"]``."""
        out = []
        for bit in TokenFlag:
            if self.flags & bit:
                out.append(_lib.name_of(lib.ci_token_flag_name, int(bit)) or str(bit.name).lower())
        return out

    def source(self, data: Text) -> bytes:
        """The token's source bytes, given the text that was tokenized."""
        return _lib.to_bytes(data)[self.offset:self.offset + self.length]


# Tokens per ci_tokenizer_next_batch() call.
_BATCH = 256


class Tokenizer(Handle):
    """A streaming tokenizer: feed chunks split anywhere, get the same tokens.

    >>> with Tokenizer() as t:
    ...     toks = t.feed("Hello wor") + t.feed("ld :)") + t.finish()
    """

    def __init__(self) -> None:
        out = ctypes.c_void_p()
        check(lib.ci_tokenizer_new(None, ctypes.byref(out)), "ci_tokenizer_new")
        super().__init__(out, lib.ci_tokenizer_free)
        # one array for the batch call; its first struct_size is the size
        # of every element (ours)
        self._toks = (_lib.CiToken * _BATCH)()
        self._toks[0].struct_size = ctypes.sizeof(_lib.CiToken)
        self._finished = False

    def _drain(self) -> List[Token]:
        ptr = self._require()
        out: List[Token] = []
        toks = self._toks
        n = ctypes.c_size_t()
        while True:
            st = check(lib.ci_tokenizer_next_batch(ptr, toks, _BATCH, ctypes.byref(n)),
                       "ci_tokenizer_next_batch")
            if st != _lib.CI_OK:
                return out
            for i in range(n.value):
                tok = toks[i]
                out.append(Token(
                    text=_lib.view_str(tok.norm, tok.norm_len),
                    kind=_KIND_NAMES.get(tok.kind) or str(tok.kind),
                    offset=int(tok.offset),
                    length=int(tok.length),
                    flags=TokenFlag(tok.flags),
                ))

    def feed(self, chunk: Text) -> List[Token]:
        """Feed the next chunk; returns the tokens it completed."""
        data = _lib.to_bytes(chunk)
        check(lib.ci_tokenizer_feed(self._require(), data, len(data)), "ci_tokenizer_feed")
        return self._drain()  # drained before `data` may go away

    def finish(self) -> List[Token]:
        """End the stream; returns the remaining tokens."""
        check(lib.ci_tokenizer_finish(self._require()), "ci_tokenizer_finish")
        return self._drain()

    def reset(self) -> None:
        """Start a new stream at offset 0."""
        check(lib.ci_tokenizer_reset(self._require()), "ci_tokenizer_reset")

    def tokenize(self, text: Text) -> List[Token]:
        """Reset, tokenize one whole text, and return its tokens."""
        self.reset()
        return self.feed(text) + self.finish()


def tokenize(text: Text) -> List[Token]:
    """Split one text into tokens.  ``str`` is encoded as UTF-8; ``bytes`` are
    used as they are (invalid UTF-8 is replaced by U+FFFD in ``Token.text``).
    Offsets and lengths count bytes of the UTF-8 input."""
    with Tokenizer() as t:
        return t.feed(text) + t.finish()


def tokenize_stream(chunks: Iterable[Text]) -> List[Token]:
    """Tokenize a stream given as chunks (split anywhere)."""
    with Tokenizer() as t:
        out: List[Token] = []
        for c in chunks:
            out += t.feed(c)
        return out + t.finish()


def normalize(text: Text) -> str:
    """Normalize as the tokenizer does: invalid UTF-8 replaced by U+FFFD, then
    NFKC and case folding."""
    data = _lib.to_bytes(text)
    out = ctypes.c_void_p()
    n = ctypes.c_size_t()
    check(lib.ci_normalize(data, len(data), None, ctypes.byref(out), ctypes.byref(n)),
          "ci_normalize")
    return _lib.take_buffer(out, n.value).decode("utf-8")
