"""tokscan/detect/matcher.py: Hyperscan and the Python fallback give the same answer on any
bytes, and so the detector the same findings (only their speed differs); the answer is
right for every needle, whole or split by wrapping; TOKSCAN_MATCHER chooses."""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import process
from support.keys import BASE62

from tokscan import keyformat
from tokscan.detect import finder, matcher, placeholder
from tokscan.errors import TokscanError
from tokscan.model import Chunk, Origin

PYTHON = matcher._PythonSearch()
HAS_HYPERSCAN = importlib.util.find_spec("hyperscan") is not None


def engines() -> list[object]:
    found: list[object] = [PYTHON]
    with contextlib.suppress(Exception):  # where Hyperscan is not installed
        found.append(matcher._Hyperscan())
    return found


ENGINES = engines()


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
@pytest.mark.parametrize("needle", matcher.NEEDLES)
def test_every_needle_is_seen(engine, needle):
    assert engine.holds_needle(b"some text " + needle + b" more")
    assert engine.holds_needle(bytearray(needle))
    assert engine.holds_needle(memoryview(b"xx" + needle)[2:])


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
@pytest.mark.parametrize("needle", keyformat.BASE64_ALL_NEEDLES)
def test_a_base64_needle_split_by_any_wrapping_is_seen(engine, needle):
    for cut in range(1, len(needle)):
        for joint in (b"\n", b"\r\n", b"\n    ", b"\n" + b" " * 12, b"\t\t", b" "):
            assert engine.holds_needle(needle[:cut] + joint + needle[cut:])
    spread = b"\n".join(needle[i : i + 1] for i in range(len(needle)))  # one per line
    assert engine.holds_needle(b"x: |\n" + spread + b"\n")
    assert engine.holds_needle(memoryview(b"ab" + spread)[2:])


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
@pytest.mark.parametrize("needle", keyformat.BASE64_ALL_NEEDLES)
def test_a_split_needle_with_another_character_in_it_is_not(engine, needle):
    for cut in range(1, len(needle)):
        assert not engine.holds_needle(needle[:cut] + b"\n." + needle[cut:])
        assert not engine.holds_needle(needle[:cut] + b"\n")  # cut off at the end
        assert not engine.holds_needle(b" " + needle[cut:])  # cut off at the start


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_text_without_needles_is_not(engine):
    assert not engine.holds_needle(b"import os\nKEY = os.environ['TOKMODEL_API_KEY']\n")
    assert not engine.holds_needle(b"")


pieces = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([*matcher.NEEDLES, *keyformat.BASE64_ALL_NEEDLES, b"\n", b" ", b"\t",
                     b"\r\n", b"t", b"m", b"-", b"\0", b"+", b"="]),
    # a needle with wrapping or another byte somewhere inside
    st.builds(lambda n, at, joint: n[: at % len(n)] + joint + n[at % len(n) :],
              st.sampled_from(keyformat.BASE64_ALL_NEEDLES), st.integers(1, 8),
              st.sampled_from([b"\n", b"\r\n  ", b" \t ", b"\n\n", b".", b"\nA"])),
)


@settings(max_examples=400)
@given(st.lists(pieces, max_size=30))
def test_both_engines_agree(parts):
    data = b"".join(parts)
    answers = {engine.holds_needle(data) for engine in ENGINES}
    assert len(answers) == 1
    # Without the plain prefix: what the prefix's absence answers, the same for both.
    encoded = {engine.holds_needle(data, plain=False) for engine in ENGINES}
    assert encoded == {PYTHON.holds_needle(data.replace(keyformat.PREFIX, b"t.m"))}


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_the_plain_prefix_alone_is_not_an_encoded_needle(engine):
    text = b"see utm-source and tm- in a line\n" * 100
    assert engine.holds_needle(text)
    assert not engine.holds_needle(text, plain=False)
    for needle in matcher.NEEDLES[1:]:
        assert engine.holds_needle(text + needle, plain=False)


# ---- identical findings: the detector with either search ------------------------------

bodies = st.text(alphabet=BASE62, min_size=32, max_size=32).filter(
    lambda body: not placeholder.is_placeholder(body)
)


def _wrapped(text: bytes, width: int, joint: bytes) -> bytes:
    return joint.join(text[i : i + width] for i in range(0, len(text), width))


@st.composite
def key_texts(draw: st.DrawFn) -> bytes:
    """A key and what surrounds it: plain, a near-miss, base64 (once or twice, wrapped at
    any width with any joint), or UTF-16 of either byte order."""
    body = draw(bodies)
    near = draw(st.sampled_from(["", "", "", "u", "x"]))  # a glued letter hides the key
    length = draw(st.sampled_from([32, 32, 32, 31, 33]))
    key = (near + "tm-" + (body * 2)[:length]).encode()
    text = draw(st.binary(max_size=8)) + key + draw(st.binary(max_size=8))
    form = draw(st.sampled_from(["plain", "base64", "base64-twice", "utf-16-le", "utf-16-be"]))
    if form.startswith("base64"):
        text = base64.b64encode(draw(st.binary(max_size=4)) + text)
        if form == "base64-twice":
            text = base64.b64encode(text)
        width = draw(st.integers(2, 80))
        joint = draw(st.sampled_from([b"\n", b"\r\n", b"\n  ", b"\n" + b" " * 10, b" "]))
        text = _wrapped(text, width, joint)
    elif form.startswith("utf-16"):
        text = text.decode("latin-1").encode(form)
    return text


def findings(data: bytes, engine: object) -> list[tuple[object, ...]]:
    previous = matcher._search
    matcher._search = engine  # type: ignore[assignment]
    try:
        return [
            (c.key, c.line, c.column, c.pragma, c.encoding, c.byte_offset)
            for binary in (False, True)
            for c in finder.find(Chunk(data, Origin("f"), binary=binary))
        ]
    finally:
        matcher._search = previous


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(key_texts(), pieces), min_size=1, max_size=6))
@example([b"k: |\n  dG\n  0t" + b"\n"])
def test_both_engines_give_the_same_findings(parts):
    if not HAS_HYPERSCAN:
        pytest.skip("hyperscan is not installed here: only the fallback can run")
    data = b"".join(parts)
    results = [findings(data, engine) for engine in ENGINES]
    assert results[0] == results[1]


def test_a_wrapped_base64_key_is_found_with_either_engine(keys):
    key = keys()
    encoded = base64.b64encode(f"token: {key}\n".encode())
    for width in range(16, 80, 3):  # from narrow columns to MIME's 76
        data = b"secret: |\n" + _wrapped(encoded, width, b"\n" + b" " * 10) + b"\n"
        for engine in ENGINES:
            assert [f[0] for f in findings(data, engine)][:1] == [key], (width, engine.name)


# ---- choosing the search ----------------------------------------------------------------


def _loaded(monkeypatch: pytest.MonkeyPatch, value: str | None) -> str:
    monkeypatch.setattr(matcher, "_search", None)
    if value is None:
        monkeypatch.delenv(matcher.ENVIRONMENT, raising=False)
    else:
        monkeypatch.setenv(matcher.ENVIRONMENT, value)
    return matcher.name()


def test_the_fallback_can_be_forced(monkeypatch):
    assert _loaded(monkeypatch, "python") == "python"
    assert _loaded(monkeypatch, " Python ") == "python"


def test_hyperscan_is_used_where_it_is_installed(monkeypatch):
    pytest.importorskip("hyperscan")
    assert _loaded(monkeypatch, None) == "hyperscan"
    assert _loaded(monkeypatch, "auto") == "hyperscan"
    assert _loaded(monkeypatch, "hyperscan") == "hyperscan"


def test_the_default_follows_what_is_installed(monkeypatch):
    expected = "hyperscan" if HAS_HYPERSCAN else "python"
    assert _loaded(monkeypatch, "") == expected


def test_a_wrong_choice_is_a_clear_error(monkeypatch):
    with pytest.raises(TokscanError) as raised:
        _loaded(monkeypatch, "re2")
    assert "TOKSCAN_MATCHER='re2' is not one of: auto, hyperscan, python" in raised.value.message
    assert int(raised.value.exit_code) == 2


@pytest.mark.skipif(os.name != "posix", reason="uses a Python without hyperscan on its path")
def test_forcing_hyperscan_where_it_cannot_load_is_an_error(tmp_path):
    (tmp_path / "hyperscan.py").write_text("raise ImportError('no wheel for this machine')\n")
    env = {"TOKSCAN_MATCHER": "hyperscan",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = process.run(["--version"], tmp_path, env=env)
    assert result.code == 2
    assert "TOKSCAN_MATCHER=hyperscan, but Hyperscan cannot be loaded" in result.stderr
    assert "no wheel for this machine" in result.stderr
    env["TOKSCAN_MATCHER"] = "auto"  # the same machine falls back without a word
    result = process.run(["--version"], tmp_path, env=env)
    assert (result.code, result.stdout) == (0, "tokscan, version 0.1.0 (matcher: python)\n")


def test_readme_performance_section_knows_the_compiled_search():
    """The performance section said a compiled search was what "this pure-Python project
    does not have yet", after Hyperscan became the matcher; figures from before it must
    say so."""
    from support.paths import ROOT

    section = (ROOT / "README.md").read_text().split("## Performance", 1)[1]
    section = " ".join(section.split("## Choices where the spec is silent", 1)[0].split())
    assert "does not have yet" not in section
    assert "before the decoders and the Hyperscan matcher" in section


# ---- many regions in one search -----------------------------------------------------------


@st.composite
def regions(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, int]]]:
    """Pieces glued together, cut into regions with gaps (like headers) between some."""
    data = b"".join(draw(st.lists(pieces, max_size=30)))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds, start = [], 0
    for cut in [*cuts, len(data)]:
        gap = draw(st.integers(0, 3))
        if start + gap <= cut:
            bounds.append((start + gap, cut))
        start = cut
    return data, bounds


@settings(max_examples=400)
@given(regions())
def test_regions_with_needles_answers_as_each_region_would(case):
    data, bounds = case
    for engine in ENGINES:
        expected = [i for i, (s, e) in enumerate(bounds) if engine.holds_needle(data[s:e])]
        assert engine.regions_with_needles(data, bounds) == expected, engine.name
        assert engine.regions_with_needles(bytearray(data), bounds) == expected


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_a_needle_across_two_regions_is_in_neither(engine):
    needle = keyformat.BASE64_NEEDLES[0]
    data = b"text " + needle[:2] + needle[2:] + b" more"
    cut = 5 + 2
    assert engine.regions_with_needles(data, [(0, cut), (cut, len(data))]) == []
    assert engine.regions_with_needles(data, [(0, len(data))]) == [0]
    assert engine.regions_with_needles(data, []) == []


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan is not installed here")
def test_hyperscan_searches_from_several_threads_at_once():
    import threading

    engine = matcher._Hyperscan()
    data = (b"x" * 100_000 + keyformat.PREFIX) * 20
    answers: list[bool] = []
    threads = [threading.Thread(target=lambda: answers.extend(
        engine.holds_needle(data) for _ in range(20))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 80
