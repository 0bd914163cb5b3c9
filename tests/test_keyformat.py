"""tokscan/keyformat.py: the key format, its boundaries, fingerprint and redaction (SPEC §2)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokscan import keyformat

BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
bodies = st.text(alphabet=BASE62, min_size=32, max_size=32)


def test_format_constants():
    assert keyformat.PREFIX == b"tm-"
    assert keyformat.BODY_LENGTH == 32
    assert keyformat.KEY_LENGTH == 35


def test_fingerprint_is_sha256_of_the_full_key(keys):
    key = keys()
    assert keyformat.fingerprint(key) == hashlib.sha256(key.encode()).hexdigest()
    # The prefix is part of what is hashed: the body alone gives another fingerprint.
    assert keyformat.fingerprint(key) != hashlib.sha256(key[3:].encode()).hexdigest()


@given(bodies)
def test_fingerprint_is_lowercase_hex_and_recognised(body):
    fingerprint = keyformat.fingerprint("tm-" + body)
    assert len(fingerprint) == 64
    assert fingerprint == fingerprint.lower()
    assert keyformat.is_fingerprint(fingerprint)


@pytest.mark.parametrize(
    "text",
    ["", "0" * 63, "0" * 65, "A" * 64, "g" * 64, " " + "0" * 63, "tm-" + "0" * 61],
)
def test_is_fingerprint_rejects_other_text(text):
    assert not keyformat.is_fingerprint(text)


@given(bodies)
def test_redaction_shows_prefix_first_four_and_last_four(body):
    redacted = keyformat.redact("tm-" + body)
    assert redacted == f"tm-{body[:4]}…{body[-4:]}"
    assert len(redacted) == 3 + 4 + 1 + 4
    # The redacted form is never itself key-shaped, so it can never be mistaken for a key.
    assert keyformat.find_in_text(redacted) == []
    assert body not in redacted


def test_redaction_example_from_the_spec():
    assert keyformat.redact("tm-Ab3d" + "q" * 24 + "C1dE") == "tm-Ab3d…C1dE"


def test_match_at_returns_the_key_only_with_both_boundaries(keys):
    key = keys()
    data = f'x = "{key}"'.encode()
    pos = data.index(b"tm-")
    assert keyformat.match_at(data, pos) == key
    assert keyformat.match_at(data, pos + 1) is None
    assert keyformat.match_at(b"u" + key.encode(), 1) is None
    assert keyformat.match_at(key.encode() + b"9", 0) is None
    assert keyformat.match_at(key.encode()[:-1], 0) is None
    assert keyformat.match_at(key.encode(), 0) == key


@pytest.mark.parametrize(
    ("before", "boundary"),
    [
        (b"", True),
        (b" ", True),
        (b"_", True),
        (b"-", True),
        (b"\xc3\xa9", True),  # é: any non-ASCII character is a boundary
        (b"\xff", True),  # an undecodable byte too
        (b"u", False),
        (b"a", False),
        (b"Z", False),
        (b"7", False),
        (b"\\n", True),
        (b"\\\\n", False),  # an escaped backslash, then a plain n
        (b"\\\\\\n", True),  # an escaped backslash, then \n
        (b"\\\\\\\\n", False),
        (b"\\t", True),
        (b"\\r", True),
        (b"\\0", True),
        (b"\\x3D", True),
        (b"\\x3d", True),
        (b"\\\\x3D", False),
        (b"\\x3G", False),
        (b"x3D", False),
        (b"\\u003d", True),
        (b"\\u003D", True),
        (b"\\\\u003d", False),
        (b"\\u03d", False),  # a broken \u escape: `d` neither ends an escape nor follows "\\"
        (b"\\U0000003D", True),
        (b"\\075", True),
        (b"\\\\075", False),
        (b"\\089", False),  # 8 and 9 are not octal; `9` does not follow a backslash
        (b"%3D", True),
        (b"%3d", True),
        (b"%22", True),
        (b"%2", False),
        (b"%ZZ", False),
        (b"3D", False),
    ],
)
def test_starts_at_boundary(before, boundary):
    data = before + b"tm-"
    assert keyformat.starts_at_boundary(data, len(before)) is boundary


def test_find_in_text(keys):
    first, second = keys(), keys()
    text = f"a={first}, b=x{second} {second}9 ({second})"
    assert keyformat.find_in_text(text) == [first, second]
    assert keyformat.find_in_text("tm-" + "A" * 31) == []


def test_redact_all_scrubs_every_key_shaped_run(keys):
    a, b = keys(), keys()
    text = f"unknown key '{a}', and x{b}9 glued"
    scrubbed = keyformat.redact_all(text)
    assert scrubbed == f"unknown key '{keyformat.redact(a)}', and x{keyformat.redact(b)}9 glued"
    assert keyformat.redact_all("nothing here") == "nothing here"


@pytest.mark.parametrize(
    "before",
    [b"\x1b[31m", b"\x1b[0m", b"\x1b[1;31m", b"\x1b[38;2;255;0;0m", b"\x1b[K",
     b'print("\\033[31m', b"echo -e '\\e[1m", b"'\\x1b[32m", b"\"\\u001b[33m"],
)
def test_a_terminal_control_sequence_before_the_key_is_a_boundary(before, keys):
    key = keys()
    data = before + key.encode() + b"\x1b[0m\n"
    assert keyformat.match_at(data, len(before)) == key


@pytest.mark.parametrize("before", [b"[31m", b"\x1b]31m", b"x1b[31m", b"alarm"])
def test_what_only_looks_like_one_is_not(before, keys):
    data = before + keys().encode() + b"\n"
    assert keyformat.match_at(data, len(before)) is None


def test_a_coloured_log_line_through_scan(repo, keys, run_tokscan):
    key = keys()
    repo.write("build.log", f"\x1b[1;31mERROR\x1b[0m token \x1b[31m{key}\x1b[0m\n")
    result = run_tokscan(["scan", "-f", "json", "build.log"], cwd=repo.path)
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["line"], finding["column"]) == (1, 29)


def test_redact_all_leaves_nothing_key_shaped_where_runs_overlap(keys):
    """Regression: `tm-` + 30 characters + a key is key-shaped twice over; redacting the
    first run left the second one whole (`tm-Ab3d…yztm-` + the key's body)."""
    key = keys()
    text = "name-" + keys()[:33] + key + ".txt"
    scrubbed = keyformat.redact_all(text)
    assert key[3:] not in scrubbed
    assert not re.search(r"tm-[A-Za-z0-9]{32}", scrubbed)
