"""tokscan/detect/placeholder.py: placeholders rejected, random keys kept (SPEC §2).

The full measurement on a million keys of each alphabet is benchmarks/placeholder_rates.py;
here 200,000 of each must all be kept, which bounds the rate well below 1 in 100,000 would
allow (at that rate, 200,000 keys would lose two on average).
"""

from __future__ import annotations

import random
import string

import pytest
from support.paths import FIXTURES

from tokscan.detect import placeholder

FIXTURE = FIXTURES / "placeholders.txt"
BASE62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def fixture_placeholders() -> list[str]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_fixture_is_well_formed():
    entries = fixture_placeholders()
    assert len(entries) >= 100
    assert len(set(entries)) == len(entries), "duplicate entries"
    for entry in entries:
        assert entry.startswith("tm-") and len(entry) == 35, entry
        assert all(c in BASE62 for c in entry[3:]), entry


@pytest.mark.parametrize("entry", fixture_placeholders())
def test_every_fixture_placeholder_is_rejected(entry):
    assert placeholder.is_placeholder(entry[3:])
    assert placeholder.reason(entry[3:])


@pytest.mark.slow
@pytest.mark.parametrize(("alphabet", "seed"), [(BASE62, 1), (HEX, 2), (HEX.upper() + HEX, 3)])
def test_random_keys_are_never_rejected(alphabet, seed):
    rng = random.Random(seed)
    rejected = []
    for _ in range(200_000 if alphabet in (BASE62, HEX) else 20_000):
        body = "".join(rng.choices(alphabet, k=32))
        if placeholder.is_placeholder(body):
            rejected.append(body)
    assert rejected == []


@pytest.mark.parametrize("order", ["0123456789abcdefghijklmnopqrstuvwxyz", "1234567890",
                                   "qwertyuiop", "asdfghjkl", "zxcvbnm",
                                   "qazwsxedcrfvtgbyhnujmikolp"])
def test_every_run_along_an_ordering_is_filler(order):
    """Regression: pairs that run forwards in one ordering and backwards in another (`dc` in
    the keyboard column `edc`, `nm` in `zxcvbnm`) broke alphabet runs such as `cdef`."""
    for width in range(4, len(order) + 1):
        for start in range(len(order) - width + 1):
            run = order[start : start + width]
            assert placeholder._filler_share(run) == 1.0, run
            assert placeholder._filler_share(run[::-1]) == 1.0, run[::-1]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("x" * 32, "too few distinct characters"),
        ("a7Kd2" * 6 + "a7", "repeats a 5-character pattern"),
        ("abcdefgh" * 4, "repeats a 8-character pattern"),
        ("yourapikeyhere" + "0" * 18, "mostly filler (words, runs or sequences)"),
    ],
)
def test_reasons(body, reason):
    assert len(body) == 32
    assert placeholder.reason(body) == reason


def test_a_real_looking_key_with_a_word_in_it_is_kept():
    # A word or two inside an otherwise random body is chance, not a placeholder.
    assert not placeholder.is_placeholder("Zq8TestR2vLx9KpW3mNj7HbYc4Fg6Ds1")
    assert not placeholder.is_placeholder("api0Wq7ZpL3kR9xN2mJ8vB5cT1hY6gF4")
