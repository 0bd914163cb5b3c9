"""tokscan/detect/finder.py: bytes in, candidates (key, line, column, pragma) out (SPEC §2)."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import reference

from tokscan import detect
from tokscan.detect import placeholder
from tokscan.model import Chunk, Origin

BASE62 = string.ascii_letters + string.digits
bodies = st.text(alphabet=BASE62, min_size=32, max_size=32).filter(
    lambda body: not placeholder.is_placeholder(body)
)


def scan(data: bytes) -> list[tuple[str, int, int, bool]]:
    return [(c.key, c.line, c.column, c.pragma) for c in detect.find(Chunk(data, Origin("f")))]


def where(data: bytes) -> list[tuple[str, int, int]]:
    return [(key, line, column) for key, line, column, _ in scan(data)]


# --- boundaries -----------------------------------------------------------------------

FOUND_BEFORE = [
    "",
    " ",
    "\t",
    '"',
    "'",
    "`",
    "=",
    ":",
    "(",
    "[",
    "{",
    "<",
    ">",
    "/",
    ",",
    ";",
    "$",
    "@",
    "_",
    "-",
    ".",
    "é",
    "中",
    "😀",
    "\u00a0",
    "\u200b",
    "\u05d0",  # NBSP, ZWSP, Hebrew alef
    "\\n",
    "\\t",
    "\\r",
    "\\0",
    "\\\\\\n",
    "\\x3D",
    "\\x3d",
    "\\u003d",
    "\\u003D",
    "\\U0000003D",
    "\\075",
    "%3D",
    "%3d",
    "%22",
    "%20",
    "&quot;",
    "&#61;",
    "tm-",
    "tm_",
    "https://example.com/?key=",
    "https%3A%2F%2Fexample.com%2F%3Fkey%3D",
]
FOUND_AFTER = ["", " ", '"', "'", "_", "-", ".", ",", "é", "中", "\\n", "%22", "\r", "&"]
GLUED_BEFORE = [
    "u",
    "a",
    "Z",
    "0",
    "9",
    "x",
    "\\\\n",
    "\\\\\\\\n",
    "%2",
    "%ZZ",
    "3D",
    "\\x3G",
    "\\\\x3D",
    "\\\\u003d",
    "utm",
    "TM",
    "tm",
]
GLUED_AFTER = ["a", "Z", "0", "9"]


@pytest.mark.parametrize("before", FOUND_BEFORE)
@pytest.mark.parametrize("after", FOUND_AFTER)
def test_key_between_boundaries_is_found(before, after, keys):
    key = keys()
    data = f"{before}{key}{after}".encode()
    assert where(data) == [(key, 1, len(before) + 1)]


@pytest.mark.parametrize("before", GLUED_BEFORE)
def test_alphanumeric_before_hides_the_key(before, keys):
    assert scan(f"{before}{keys()}".encode()) == []


@pytest.mark.parametrize("after", GLUED_AFTER)
def test_alphanumeric_after_hides_the_key(after, keys):
    assert scan(f"{keys()}{after}".encode()) == []


def test_non_ascii_bytes_around_the_key_are_boundaries(keys):
    key = keys()
    data = b"\xff" + key.encode() + b"\x80\xfe"
    assert where(data) == [(key, 1, 2)]


@pytest.mark.parametrize("length", [30, 31, 33, 34])
def test_wrong_body_length_is_not_a_key(length, keys):
    body = (keys()[3:] * 2)[:length]
    assert scan(f'k = "tm-{body}"'.encode()) == []


@pytest.mark.parametrize(
    "prefix", ["TM-", "Tm-", "tM-", "tm_", "tm ", "tm--", "tm:", "tm.", "t-m-"]
)
def test_other_prefixes_are_not_keys(prefix, keys):
    assert scan(f'k = "{prefix}{keys()[3:]}"'.encode()) == []


def test_two_keys_glued_together_are_neither(keys):
    assert scan((keys() + keys()).encode()) == []


def test_key_after_a_doubled_prefix_is_found(keys):
    key = keys()
    assert where(f"tm-{key}".encode()) == [(key, 1, 4)]


def test_placeholders_are_not_candidates():
    assert scan(b'KEY = "tm-' + b"x" * 32 + b'"') == []
    assert scan(b"tm-" + string.ascii_lowercase.encode() + b"012345") == []


# --- locations ------------------------------------------------------------------------


def test_key_at_first_and_last_byte(keys):
    first, last = keys(), keys()
    data = f"{first} and\nthen {last}".encode()
    assert where(data) == [(first, 1, 1), (last, 2, 6)]
    assert where(first.encode()) == [(first, 1, 1)]


def test_several_keys_on_one_line(keys):
    a, b, c = keys(), keys(), keys()
    line = f'{{"a":"{a}","b":"{b}"}} {c}-{a}'
    expected = [(k, 1, line.index(k, start) + 1) for k, start in ((a, 0), (b, 0), (c, 0))]
    expected.append((a, 1, line.rindex(a) + 1))
    assert where(line.encode()) == expected


@pytest.mark.parametrize(
    ("prefix", "line", "column"),
    [
        ("", 1, 1),
        ("é", 1, 2),  # two bytes, one character
        ("中文", 1, 3),  # three bytes each
        ("😀😀", 1, 3),  # four bytes each
        ("a\tb\t", 1, 5),  # a tab is one character
        ("x\r\n", 2, 1),  # CRLF: the \r belongs to the line before
        ("x\r\ny\r\n  ", 3, 3),
        ("x\ry ", 1, 5),  # a lone CR does not end a line (as in git)
        ("\ufeff", 1, 2),  # a BOM is a character of the decoded line
        ("\n\n\n", 4, 1),
        ("שלום ", 1, 6),  # right-to-left text: columns count logical characters
        ("e\u0301 ", 1, 4),  # a combining accent is a character of its own
    ],
)
def test_line_and_character_column(prefix, line, column, keys):
    key = keys()
    assert where(f"{prefix}{key}".encode()) == [(key, line, column)]


@pytest.mark.parametrize(
    ("before", "column"),
    [
        (b"\xff", 2),  # one undecodable byte: one character
        (b"\xff\xfe\xfd ", 5),
        (b"\xe4\xb8 ", 4),  # a truncated three-byte sequence: two characters
        (b"\xed\xa0\x80 ", 5),  # an encoded surrogate is not UTF-8: three characters
        (b"\xc3\xa9\xff\xc3\xa9 ", 5),
    ],
)
def test_undecodable_bytes_count_one_character_each(before, column, keys):
    key = keys()
    assert where(b"line one\n" + before + key.encode()) == [(key, 2, column)]


def test_crlf_file_locations(keys):
    a, b = keys(), keys()
    data = f'first\r\nA = "{a}"\r\n\r\n  B: {b}\r\n'.encode()
    assert where(data) == [(a, 2, 6), (b, 4, 6)]


# --- the pragma -----------------------------------------------------------------------


def test_pragma_marks_only_its_own_line(keys):
    a, b, c = keys(), keys(), keys()
    data = (
        f"A = '{a}'  # tokscan:allow\n"
        f"B = '{b}'\n"
        f"# tokscan:allow\n"
        f"C = '{c}' # tokscan: allow (a space breaks it)\r\n"
        f"/* tokscan:allow */ D = '{a}'\r\n"
    ).encode()
    assert [(key, pragma) for key, _, _, pragma in scan(data)] == [
        (a, True),
        (b, False),
        (c, False),
        (a, True),
    ]


# --- chunks ---------------------------------------------------------------------------


def test_chunk_offsets_and_reporting_window(keys):
    a, b = keys(), keys()
    data = f"{a} {b}".encode()
    # A chunk that starts at line 7, column 3 reports locations from there.
    chunk = Chunk(data, Origin("f"), line=7, column=3)
    assert [(c.line, c.column) for c in detect.find(chunk)] == [(7, 3), (7, 39)]
    # Only keys that start inside [report_from, report_until) are reported.
    assert [c.key for c in detect.find(Chunk(data, Origin("f"), report_from=1))] == [b]
    assert [c.key for c in detect.find(Chunk(data, Origin("f"), report_until=36))] == [a]
    assert list(detect.find(Chunk(data, Origin("f"))))[1].key == b


# --- properties -----------------------------------------------------------------------

non_alnum = st.characters(blacklist_characters=BASE62, blacklist_categories=("Cs",))


@given(before=st.text(non_alnum, max_size=40), body=bodies, after=st.text(non_alnum, max_size=40))
@example(before="\n\r\n\t", body="Ab3d" + "Q9z" * 8 + "C1dE", after="\\")
def test_key_in_any_non_alphanumeric_context_is_found_where_it_is(before, body, after):
    key = "tm-" + body
    data = (before + key + after).encode()
    lines = before.split("\n")
    assert where(data) == [(key, len(lines), len(lines[-1]) + 1)]


glue_context = st.characters(blacklist_characters=BASE62 + "\\%", blacklist_categories=("Cs",))


@given(
    before=st.text(glue_context, max_size=20),
    glue=st.sampled_from(BASE62),
    body=bodies,
    after=st.text(glue_context, max_size=20),
    side=st.sampled_from(["before", "after"]),
)
def test_adjacent_alphanumeric_makes_it_not_a_key(before, glue, body, after, side):
    key = "tm-" + body
    glued = glue + key if side == "before" else key + glue
    assert scan((before + glued + after).encode()) == []


# Pieces that make keys, near-keys, escapes and awkward bytes likely in generated data.
def _pieces(body: str) -> list[bytes]:
    key = ("tm-" + body).encode()
    return [
        key,
        key,
        b"tm-",
        b"tm-" + body[:31].encode(),
        key + b"a",
        b"u" + key,
        b"\\",
        b"\\\\",
        b"\\n",
        b"\\x3D",
        b"\\u003d",
        b"\\075",
        b"%3D",
        b"%2",
        b"\n",
        b"\r\n",
        b"\t",
        b" ",
        b"=",
        b"n",
        b"x",
        b"7",
        "é".encode(),
        "中".encode(),
        "😀".encode(),
        b"\xff",
        b"\x80",
        b"\xe4\xb8",
        b"tokscan:allow",
    ]


@st.composite
def awkward_bytes(draw: st.DrawFn) -> bytes:
    body = draw(bodies)
    pieces = _pieces(body)
    parts = draw(st.lists(st.one_of(st.sampled_from(pieces), st.binary(max_size=8)), max_size=40))
    return b"".join(parts)


@pytest.mark.slow
@settings(max_examples=400)
@given(st.one_of(st.binary(max_size=300), awkward_bytes()))
def test_any_bytes_match_the_slow_reference(data):
    assert scan(data) == [tuple(hit) for hit in reference.find(data)]
