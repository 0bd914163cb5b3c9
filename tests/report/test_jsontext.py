"""Machine-readable reports leave no character raw that a terminal would act on."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokscan.report import jsontext

HOSTILE_PATH = "e\x1b[31mvil\x07\x9b\x7f\u2028.py"  # ESC, BEL, a C1 CSI, DEL, LINE SEPARATOR


def raw_controls(text: str) -> list[str]:
    return [c for c in text if (unicodedata.category(c) == "Cc" and c != "\n")
            or c in "\u2028\u2029"]


@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_dumps_reads_back_as_the_same_value_with_no_raw_control(value):
    text = jsontext.dumps(value)
    assert json.loads(text) == value
    assert not raw_controls(text)


def test_readable_text_stays_readable():
    assert jsontext.dumps({"path": "données/ключ.py"}) == '{\n  "path": "données/ключ.py"\n}'


@pytest.mark.parametrize("form", ["json", "sarif", "gitlab"])
def test_a_hostile_file_name_reaches_no_report_raw(repo, keys, run_tokscan, form):
    """Regression: json.dumps escaped C0 controls only, so DEL and U+009B (a CSI to a UTF-8
    terminal) in a file name reached the JSON, SARIF and GitLab reports raw."""
    repo.write(HOSTILE_PATH, f"K = '{keys()}'\n")
    result = run_tokscan(["scan", "-f", form], cwd=repo.path)
    assert result.code == 1
    assert not raw_controls(result.stdout)
    assert "\\u009b" in result.stdout and "\\u007f" in result.stdout
    if form != "sarif":  # SARIF names files by percent-encoded URI
        assert HOSTILE_PATH in strings(json.loads(result.stdout))


def strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*map(strings, value)) if value else set()
    return set()


@given(st.lists(st.dictionaries(st.text(), st.text() | st.integers(), max_size=3), max_size=5))
def test_streamed_pieces_join_to_what_dumps_writes(items):
    whole = {"version": 1, "findings": [], "summary": {"n": len(items)}}
    joined = "".join(jsontext.streamed(whole, "findings", iter(items)))
    assert joined == jsontext.dumps({**whole, "findings": items}) + "\n"
