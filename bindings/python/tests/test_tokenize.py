"""Tokenizer and normalize()."""

from __future__ import annotations

import pytest

import libci
from libci import TokenFlag

TEXT = "Ich LIEBE das 😀 nicht!!! café don't sooo good :-) https://ex.com/a?b=1 @team #fail $5 3.14"


def test_offsets_land_on_the_bytes():
    data = TEXT.encode()
    toks = libci.tokenize(TEXT)
    assert toks
    prev_end = 0
    for t in toks:
        src = data[t.offset:t.offset + t.length]
        assert t.source(TEXT) == src
        assert libci.normalize(src) == t.text  # the norm is the normalized source bytes
        assert t.offset >= prev_end
        assert data[prev_end:t.offset].strip() == b""  # only whitespace between tokens
        prev_end = t.offset + t.length
    assert data[prev_end:].strip() == b""


def test_kinds_and_flags():
    toks = {t.text: t for t in libci.tokenize(TEXT)}
    assert toks["liebe"].kind == "word" and toks["liebe"].flags & TokenFlag.ALLCAPS
    assert "allcaps" in toks["liebe"].flag_names
    assert toks["😀"].kind == "emoji"
    assert toks["!!!"].kind == "punct"
    assert toks["café"].flags & TokenFlag.NONASCII
    assert toks["don't"].flags & TokenFlag.CONTRACTION and toks["don't"].flags & TokenFlag.NEGATION
    assert toks["sooo"].flags & TokenFlag.ELONGATED
    assert toks[":-)"].kind == "emoticon"
    assert toks["https://ex.com/a?b=1"].kind == "url"
    assert toks["@team"].kind == "mention"
    assert toks["#fail"].kind == "hashtag"
    assert toks["$"].kind == "symbol"
    assert toks["3.14"].kind == "number"


def test_offsets_are_bytes_not_characters():
    toks = libci.tokenize("é ü x")
    assert [(t.offset, t.length) for t in toks] == [(0, 2), (3, 2), (6, 1)]


def test_str_and_bytes_give_the_same_tokens():
    assert libci.tokenize(TEXT) == libci.tokenize(TEXT.encode())
    assert libci.tokenize(bytearray(TEXT.encode())) == libci.tokenize(TEXT)


def test_invalid_utf8_is_replaced_not_rejected():
    toks = libci.tokenize(b"bad\xffbyte ok")
    assert toks[0].text == "bad\ufffdbyte"
    assert toks[0].flags & TokenFlag.REPLACED
    assert toks[0].length == 8
    assert toks[1].text == "ok" and toks[1].offset == 9


def test_streaming_chunks_split_anywhere():
    data = TEXT.encode()
    whole = libci.tokenize(data)
    for step in (1, 2, 3, 7):
        chunks = [data[i:i + step] for i in range(0, len(data), step)]
        assert libci.tokenize_stream(chunks) == whole
    with libci.Tokenizer() as t:
        assert t.tokenize(data) == whole
        assert t.tokenize(data) == whole  # reset between texts


def test_tokenizer_state_errors():
    with libci.Tokenizer() as t:
        t.feed("a b")
        t.finish()
        with pytest.raises(libci.StateError) as e:
            t.feed("c")
        assert e.value.status_name == "CI_ERR_STATE"


def test_normalize():
    assert libci.normalize("ＧＲＥＡＴ Straße") == "great strasse"
    assert libci.normalize(b"x\xffy") == "x\ufffdy"
    assert libci.normalize("") == ""


def test_type_errors():
    with pytest.raises(TypeError):
        libci.tokenize(42)  # type: ignore[arg-type]
