"""tokscan/decode/base64.py through the detector: a key encoded in base64, any way, around
any surrounding bytes, is found exactly once, where its encoded text starts; random base64,
placeholders and near-misses in base64 are not keys (SPEC §10)."""

from __future__ import annotations

import base64
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.keys import KeyFactory

from tokscan import detect, keyformat
from tokscan.decode.base64 import Texts, decodings
from tokscan.detect import placeholder
from tokscan.model import Chunk, Origin

BASE62 = string.ascii_letters + string.digits
bodies = st.text(alphabet=BASE62, min_size=32, max_size=32).filter(
    lambda body: not placeholder.is_placeholder(body)
)
# What may stand before and after a key inside the encoded bytes: anything that keeps it a
# key (not a letter or digit right next to it).
context = st.binary(max_size=60).map(lambda b: b.translate(_NO_ALNUM))
_NO_ALNUM = bytes((c if chr(c) not in BASE62 else 0x20) for c in range(256))
# What may stand around the encoded text in a file: no base64 alphabet right next to it
# (that would change the text), and no newline (the test checks the column).
outside = st.text(alphabet=" \t\"'=:;,(){}<>|", max_size=20)


def found(data: bytes) -> list[tuple[str, int, int, tuple[str, ...]]]:
    return [(c.key, c.line, c.column, c.encoding)
            for c in detect.find(Chunk(data, Origin("f")))]


def encode(data: bytes, url_safe: bool, padded: bool) -> str:
    text = (base64.urlsafe_b64encode if url_safe else base64.b64encode)(data).decode()
    return text if padded else text.rstrip("=")


@settings(max_examples=300, deadline=None)
@given(body=bodies, before=context, after=context, url_safe=st.booleans(),
       padded=st.booleans(), prefix=outside, suffix=outside, lines=st.integers(0, 3))
def test_any_key_in_base64_is_found_once_where_the_text_starts(
    body, before, after, url_safe, padded, prefix, suffix, lines
):
    key = "tm-" + body
    text = encode(before + key.encode() + after, url_safe, padded)
    data = ("x\n" * lines + prefix + text + suffix + "\n").encode()
    assert found(data) == [(key, lines + 1, len(prefix) + 1, ("base64",))]


@settings(max_examples=100, deadline=None)
@given(body=bodies, before=context, after=context, width=st.sampled_from([64, 76]),
       indent=st.sampled_from(["", "  ", "    "]))
def test_wrapped_base64_is_found_at_its_first_line(body, before, after, width, indent):
    key = "tm-" + body
    text = base64.b64encode(b"." * 90 + before + key.encode() + after).decode()
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    data = ("data: |\n" + "".join(f"{indent}{line}\n" for line in lines)).encode()
    assert found(data) == [(key, 2, len(indent) + 1, ("base64",))]


@settings(max_examples=100, deadline=None)
@given(body=bodies, before=context, after=context)
def test_base64_of_base64_is_found(body, before, after):
    key = "tm-" + body
    twice = base64.b64encode(base64.b64encode(before + key.encode() + after)).decode()
    assert found(f"v: {twice}\n".encode()) == [(key, 1, 4, ("base64", "base64"))]


def test_three_times_is_not_read():
    key = KeyFactory(seed=3)()
    thrice = base64.b64encode(base64.b64encode(base64.b64encode(key.encode())))
    assert found(b"v: " + thrice + b"\n") == []


NEAR_MISSES = [
    "atm-{body}",  # glued to a word
    "tm-{body}x",  # a 33-character body
    "tm-{short}",  # 31
    "TM-{body}",
]


@pytest.mark.parametrize("shape", NEAR_MISSES)
def test_base64_of_a_near_miss_is_not_a_key(shape):
    keys = KeyFactory(seed=5)
    body = keys.body()
    text = shape.format(body=body, short=body[:31]).encode()
    for shift in range(3):
        encoded = base64.b64encode(b" " * shift + text + b" ")
        assert found(b"k: " + encoded + b"\n") == []


def test_base64_of_placeholders_is_not_a_key():
    for body in ("x" * 32, "abcdefghijklmnopqrstuvwxyz012345", "0123456789" * 3 + "ab"):
        encoded = base64.b64encode(f"KEY=tm-{body}\n".encode())
        assert found(b"k: " + encoded + b"\n") == []


def test_a_megabyte_of_random_base64_in_one_line_holds_no_key():
    rng = random.Random(7)
    data = base64.b64encode(rng.randbytes(3 << 18))
    assert any(needle in data for needle in keyformat.BASE64_ALL_NEEDLES)  # it is searched
    assert found(b"blob: " + data + b"\n") == []


def test_random_binary_holds_no_key():
    rng = random.Random(8)
    for _ in range(20):
        data = rng.randbytes(1 << 16)
        assert list(detect.find(Chunk(data, Origin("f"), binary=True))) == []


def test_around_finds_the_text_a_needle_belongs_to():
    data = b'x = "' + base64.b64encode(b"hello tm-and more") + b'";'
    pos = min(p for n in keyformat.BASE64_NEEDLES if (p := data.find(n)) >= 0)
    text = Texts(data).around(pos)
    assert data[text.start :].startswith(text.text)
    assert text.start == 5 and text.text.endswith(b"=")
    assert any(b"tm-" in decoded for decoded in decodings(text))


def test_a_wrapped_block_is_unwrapped_once_for_all_its_needles():
    rng = random.Random(9)
    lines = base64.encodebytes(rng.randbytes(3 << 16)).splitlines()
    data = b"cert: |\n" + b"".join(b"  " + line + b"\n" for line in lines)
    texts = Texts(data)
    starts = {texts.around(data.find(n, 100)).start for n in keyformat.BASE64_NEEDLES
              if data.find(n, 100) >= 0}
    assert starts == {len(b"cert: |\n  ")}  # every needle belongs to the one block
    assert len(texts._unwrapped) == 1
