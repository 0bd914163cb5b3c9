"""tokscan/sources/stream.py: chunked scanning finds exactly what a whole-buffer scan finds."""

from __future__ import annotations

import io
import itertools
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import reference

from tokscan import detect, keyformat
from tokscan.detect import placeholder
from tokscan.model import Chunk, Origin
from tokscan.sources import stream
from tokscan.sources.stream import OVERLAP, Chunker, advance, stream_chunks

BASE62 = string.ascii_letters + string.digits
MIN_CHUNK = 4 * (OVERLAP + keyformat.LOOKBEHIND)  # stream_chunks never cuts smaller
EXAMPLE_KEY = b"tm-" + b"Ab3d" + b"Q9z" * 8 + b"C1dE"  # built, so the source holds no key
bodies = st.text(alphabet=BASE62, min_size=32, max_size=32).filter(
    lambda body: not placeholder.is_placeholder(body)
)


def whole(data: bytes) -> list[tuple[str, int, int, bool]]:
    return [(c.key, c.line, c.column, c.pragma) for c in detect.find(Chunk(data, Origin("f")))]


def chunks_of(data: bytes, chunk_size: int, head_size: int = 0) -> list[Chunk]:
    source = io.BytesIO(data)
    head = source.read(head_size) if head_size else b""
    return list(stream_chunks(source.read, Origin("f"), head=head, chunk_size=chunk_size))


def chunked(data: bytes, chunk_size: int, head_size: int = 0) -> list[tuple[str, int, int, bool]]:
    found = [c for chunk in chunks_of(data, chunk_size, head_size) for c in detect.find(chunk)]
    return [(c.key, c.line, c.column, c.pragma) for c in found]


def without_pragma(found: list[tuple[str, int, int, bool]]) -> list[tuple[str, int, int]]:
    return [(key, line, column) for key, line, column, _ in found]


# --- properties -----------------------------------------------------------------------


def _pieces(body: str) -> list[bytes]:
    key = ("tm-" + body).encode()
    return [
        key,
        key,
        b" " + key + b" ",
        key + b"  # tokscan:allow",
        b"# tokscan:allow ",
        b"u" + key,
        key + b"9",
        b"tm-",
        b"\\" * 17,
        b"\\\\",
        b"\\n",
        b"\\u003d",
        b"%3D",
        b"\n",
        b"\r\n",
        b"\t",
        b"=",
        b"n",
        b"x" * 50,
        b"y" * 97,
        b" " * 33,
        "é".encode(),
        "中文".encode(),
        "😀".encode(),
        b"\xff",
        b"\x80\x80",
        b"\xe4\xb8",
    ]


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    pieces = _pieces(draw(bodies))
    return b"".join(draw(st.lists(st.sampled_from(pieces), max_size=120)))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=streams(), chunk_size=st.integers(1, 700), head_size=st.integers(0, 900))
@example(data=b"a" * 133 + b"\\" * 40 + b"n" + EXAMPLE_KEY + b"\n", chunk_size=208, head_size=0)
@example(
    data=b"x" * 156 + b" " + EXAMPLE_KEY + b"  # tokscan:allow\n" + b"y" * 900,
    chunk_size=208,
    head_size=0,
)
def test_chunked_scan_equals_whole_scan(data, chunk_size, head_size):
    found = chunked(data, chunk_size, head_size)
    expected = whole(data)
    assert without_pragma(found) == without_pragma(expected)
    # Lines shorter than a chunk lie whole in one chunk, so their pragma is seen too.
    if max(map(len, data.split(b"\n"))) < MIN_CHUNK // 2:
        assert found == expected


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    data=streams(),
    cuts=st.lists(st.integers(0, 6000), max_size=12),
    chunk_size=st.integers(1, 500),
    first_line=st.integers(1, 50),
)
def test_feeding_a_chunker_in_any_pieces_equals_whole_scan(data, cuts, chunk_size, first_line):
    """The staged source feeds a Chunker line runs of any size, starting at any line."""
    chunker = Chunker(Origin("f"), line=first_line, chunk_size=chunk_size)
    edges = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    pieces = []
    for start, end in itertools.pairwise(edges):
        pieces.extend(chunker.feed(data[start:end]))
    pieces.extend(chunker.finish())
    found = [(c.key, c.line, c.column) for c in (c for piece in pieces for c in detect.find(piece))]
    expected = [(k, line + first_line - 1, col) for k, line, col in without_pragma(whole(data))]
    assert found == expected


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(data=streams(), chunk_size=st.integers(1, 700))
def test_chunked_scan_equals_the_slow_reference(data, chunk_size):
    assert without_pragma(chunked(data, chunk_size)) == [
        (hit.key, hit.line, hit.column) for hit in reference.find(data)
    ]


@given(st.binary(max_size=3000), st.integers(MIN_CHUNK, 1000))
def test_chunks_cover_the_input_in_bounded_pieces(data, chunk_size):
    pieces = chunks_of(data, chunk_size)
    reported = b"".join(c.data[c.report_from : c.report_until] for c in pieces)
    assert reported == data  # every byte is reported by exactly one chunk
    # Chunks start on a line or, inside a long line, at most a little before their window.
    assert all(
        c.report_from == 0 or c.report_from <= OVERLAP + keyformat.LOOKBEHIND + 4 for c in pieces
    )
    assert all(len(c.data) <= 2 * chunk_size + OVERLAP + keyformat.LOOKBEHIND for c in pieces)


# --- keys at chunk edges --------------------------------------------------------------


@pytest.mark.parametrize("newlines", [False, True])
def test_key_at_every_offset_around_a_chunk_edge(newlines, keys):
    chunk_size = 256
    key = keys()
    filler = (b"ab\n" if newlines else b"ab ") * 200
    for offset in range(chunk_size - 2 * OVERLAP, chunk_size + OVERLAP):
        data = filler[:offset] + b" " + key.encode() + b" " + filler
        assert chunked(data, chunk_size) == whole(data), offset
        assert len(whole(data)) == 1


def test_multibyte_characters_at_every_offset_around_a_chunk_edge(keys):
    chunk_size = 300
    key = keys()
    for offset in range(chunk_size - 3 * OVERLAP, chunk_size + 8):
        data = b"a" * offset + "😀中é".encode() * 30 + key.encode() + b"\n" + key.encode()
        assert chunked(data, chunk_size) == whole(data), offset
        assert len(whole(data)) == 2


def test_long_line_spanning_many_chunks(keys):
    """A minified file: one line several chunks long, keys everywhere, columns in the 1000s."""
    made = [keys() for _ in range(40)]
    line = b"".join(
        b"var x" + str(i).encode() + b'="' + k.encode() + b'";' + "ü".encode() * i
        for i, k in enumerate(made)
    )
    data = line * 3 + b"\n" + line
    found = chunked(data, 220)
    assert found == whole(data)
    assert [key for key, *_ in found] == made * 4
    assert found[-1][1] == 2


def test_pragma_next_to_a_key_at_a_chunk_edge(keys):
    """Regression: a key reported near the end of a chunk lost the pragma after it."""
    key = keys()
    for offset in range(100, 300):
        data = b"x" * offset + b"\n" + key.encode() + b"  # tokscan:allow\n" + b"y" * 900
        assert chunked(data, 208)[0][3] is True, offset


def test_long_backslash_run_before_an_escape_at_a_chunk_edge(keys):
    """Regression: a run of backslashes cut by a chunk edge flipped the escape's parity."""
    key = keys()
    for run in (40, 41):
        for offset in range(0, 300):
            data = b"a" * offset + b"\\" * run + b"n" + key.encode() + b"\n"
            assert chunked(data, 208) == whole(data), (run, offset)


# --- advance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consumed", "start", "after"),
    [
        (b"", (1, 1), (1, 1)),
        (b"abc", (3, 5), (3, 8)),
        (b"ab\ncd", (3, 5), (4, 3)),
        (b"\n\n", (1, 9), (3, 1)),
        ("é中😀".encode(), (1, 1), (1, 4)),
        (b"\xff\xfe", (2, 2), (2, 4)),
        (b"x\r\n", (1, 1), (2, 1)),
    ],
)
def test_advance(consumed, start, after):
    assert advance(consumed, *start) == after


def test_char_start_never_splits_a_utf8_sequence():
    data = "a😀b".encode()
    assert [stream._char_start(data, pos) for pos in range(len(data))] == [0, 1, 1, 1, 1, 5]
