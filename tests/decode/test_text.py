"""tokscan/decode/text.py: UTF-16 and UTF-32 told from binary data, with and without a
byte-order mark, and read as text."""

from __future__ import annotations

import codecs
import io
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokscan.decode import text
from tokscan.detect import placeholder
from tokscan.model import Origin
from tokscan.sources.stream import scan_stream

BASE62 = string.ascii_letters + string.digits

TEXT = "KEY=value\r\nsecond line: é and ü\r\n" * 20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), ("utf-16le", 2)),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), ("utf-16be", 2)),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), ("utf-32le", 4)),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), ("utf-32be", 4)),
        (TEXT.encode("utf-16-le"), ("utf-16le", 0)),
        (TEXT.encode("utf-16-be"), ("utf-16be", 0)),
        (TEXT.encode("utf-32-le"), ("utf-32le", 0)),
        (TEXT.encode("utf-32-be"), ("utf-32be", 0)),
    ],
)
def test_sniff_tells_the_encoding(data, expected):
    assert text.sniff(data[:8000]) == expected


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
        random.Random(1).randbytes(8000),
        "日本語のテキスト".encode("utf-16-le"),  # no NULs to go by: scanned as bytes
        b"\0" * 100,
        b"a\0",
    ],
)
def test_sniff_leaves_other_data_alone(data):
    assert text.sniff(data) is None


def test_transcode_reads_the_rest_in_pieces():
    data = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")
    stream = io.BytesIO(data[9:])  # a head that ends in the middle of a character
    out = b"".join(text.transcode(stream.read, data[:9], "utf-16le", 2, 7))
    assert out.decode("utf-8") == TEXT


def test_undecodable_units_become_replacement_characters():
    data = "ok".encode("utf-16-le") + b"\x00\xd8" + "go".encode("utf-16-le")  # lone surrogate
    out = b"".join(text.transcode(io.BytesIO(b"").read, data, "utf-16le", 0, 64))
    assert out.decode("utf-8") == "ok\ufffdgo"


@settings(max_examples=150, deadline=None)
@given(body=st.text(alphabet=BASE62, min_size=32, max_size=32).filter(
           lambda b: not placeholder.is_placeholder(b)),
       before=st.text(alphabet=" =:'\"\té", max_size=20),
       lines=st.integers(0, 3),
       encoding=st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]),
       bom=st.booleans())
def test_any_key_in_utf16_or_utf32_text_is_found_once_in_the_decoded_text(
    body, before, lines, encoding, bom
):
    key = "tm-" + body
    content = "line\n" * lines + before + key + " end\n"
    marks = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
             "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}
    data = (marks[encoding] if bom else b"") + content.encode(encoding)
    outcome = scan_stream(Origin("f"), io.BytesIO(b"").read, len(data), head=data)
    found = [(c.key, c.line, c.column, c.encoding) for c in outcome.candidates]
    assert found == [(key, lines + 1, len(before) + 1, (encoding[:-3] + encoding[-2:],))]


def _pattern_byte_by_byte(head: bytes, width: int, zero_at: tuple[int, ...]) -> bool:
    """The rule spelled out a unit at a time: what text._has_pattern computes by columns."""
    units = len(head) // width
    if units < 8:
        return False
    letter_at = next(i for i in range(width) if i not in zero_at)
    fits = sum(
        1
        for unit in range(units)
        if head[unit * width + letter_at] and all(head[unit * width + i] == 0 for i in zero_at)
    )
    return fits >= units * 0.9


@settings(max_examples=300)
@given(st.lists(st.sampled_from([b"\0", b"a", b"\0\0", b"a\0", b"\0a", b"\0\0\0a", b"a\0\0\0",
                                 b"\xff"]), max_size=80))
def test_the_nul_pattern_is_counted_as_the_rule_says(parts):
    head = b"".join(parts)
    for width, zero_at in ((4, (1, 2, 3)), (4, (0, 1, 2)), (2, (1,)), (2, (0,))):
        assert text._has_pattern(head, width, zero_at) == _pattern_byte_by_byte(
            head, width, zero_at
        )
