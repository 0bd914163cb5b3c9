"""tokscan/detect/matcher.py: Hyperscan and the Python fallback give the same answer on any
bytes (only their speed differs), and the answer is right for every needle, whole or split
by wrapping."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokscan import keyformat
from tokscan.detect import matcher

PYTHON = matcher._PythonSearch()


def engines() -> list[object]:
    found: list[object] = [PYTHON]
    with contextlib.suppress(Exception):  # where Hyperscan is not installed
        found.append(matcher._Hyperscan())
    return found


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.name)
@pytest.mark.parametrize("needle", matcher.NEEDLES)
def test_every_needle_is_seen(engine, needle):
    assert engine.holds_needle(b"some text " + needle + b" more")
    assert engine.holds_needle(bytearray(needle))
    assert engine.holds_needle(memoryview(b"xx" + needle)[2:])


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.name)
@pytest.mark.parametrize("needle", keyformat.BASE64_ALL_NEEDLES)
def test_a_base64_needle_split_by_wrapping_is_seen(engine, needle):
    for cut in range(1, len(needle)):
        assert engine.holds_needle(needle[:cut] + b"\n    " + needle[cut:])
        assert engine.holds_needle(needle[:cut] + b"\r\n" + needle[cut:])


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.name)
def test_text_without_needles_is_not(engine):
    assert not engine.holds_needle(b"import os\nKEY = os.environ['TOKMODEL_API_KEY']\n")
    assert not engine.holds_needle(b"")


@settings(max_examples=300)
@given(st.lists(st.one_of(st.binary(max_size=12), st.sampled_from(
    [*matcher.NEEDLES, b"\n", b" ", b"\t", b"t", b"m", b"-", b"\0"])), max_size=30))
def test_both_engines_agree(parts):
    data = b"".join(parts)
    answers = {engine.holds_needle(data) for engine in engines()}
    assert len(answers) == 1


def test_hyperscan_is_used_where_it_is_installed():
    pytest.importorskip("hyperscan")
    assert matcher.engine().name == "hyperscan"
