"""Telling placeholders (`tm-xxxx…`, `tm-YOURAPIKEYHERE…`) from real keys.

A real key body is 32 random characters; a placeholder is made by a person: one character
repeated, a short pattern repeated, an alphabet or keyboard run, or filler words. Each rule
below is cheap and has a tiny false-positive rate on random keys, which
`benchmarks/placeholder_rates.py` measures on a million base62 and a million hex keys.
"""

from __future__ import annotations

import itertools

TYPE_CHECKING = False  # typing itself costs an import on the hook's path
if TYPE_CHECKING:
    from collections.abc import Sequence

# Words people type into example keys. Three-letter words are safe here because filler has
# to cover most of the body before a key is rejected (see `_FILLER_SHARE`).
_WORDS = (
    "abc", "xyz", "api", "key", "keys", "your", "yours", "here", "goes", "put", "paste",
    "insert", "enter", "replace", "with", "this", "the", "my", "our", "token", "secret",
    "example", "sample", "test", "testing", "dummy", "fake", "mock", "demo", "placeholder",
    "change", "changeme", "redacted", "masked", "hidden", "removed", "censored", "tokmodel",
    "value", "string", "char", "chars", "character", "characters", "long", "random",
    "foo", "bar", "baz", "qux", "null", "none", "invalid", "not", "real", "valid", "default",
    "todo", "fixme", "temp", "lorem", "ipsum", "dolor", "password", "pass", "some", "generated",
    "new", "old", "prod", "production", "staging", "dev", "local",
    "copy", "from", "console", "for", "just", "only", "use", "purpose", "purposes", "docs",
    "sit", "amet", "hello", "world", "super",
    # Hex speak, the filler of hex examples.
    "dead", "beef", "cafe", "babe", "feed", "face",
)
# Orderings people run their fingers or eyes along.
_SEQUENCES = (
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_MIN_RUN = 3  # the same character this many times in a row is filler
_MIN_SEQUENCE = 4  # this many characters in alphabet or keyboard order are filler
_FILLER_SHARE = 0.6  # a body at least this much filler is a placeholder
_MAX_PERIOD = 16  # a body that repeats a pattern this short is a placeholder
_MIN_DISTINCT = 5  # a body with fewer distinct characters than this is a placeholder


def _ranks() -> dict[tuple[str, str], frozenset[int]]:
    """For each ordered pair of neighbours in an ordering, the directions it steps in:
    +1 (forwards) and/or -1 (backwards). A pair can be both: `dc` runs forwards along the
    keyboard column `edc` and backwards along the alphabet."""
    steps: dict[tuple[str, str], set[int]] = {}
    for order in _SEQUENCES:
        for a, b in itertools.pairwise(order):
            steps.setdefault((a, b), set()).add(1)
            steps.setdefault((b, a), set()).add(-1)
    return {pair: frozenset(directions) for pair, directions in steps.items()}


_STEP = _ranks()
_EITHER_WAY = frozenset((1, -1))
_NO_STEP: frozenset[int] = frozenset()


def reason(body: str) -> str | None:
    """Why `body` (the 32 characters after `tm-`) looks like a placeholder, or None."""
    text = body.lower()
    if len(set(text)) < _MIN_DISTINCT:
        return "too few distinct characters"
    period = _period(text)
    if period is not None:
        return f"repeats a {period}-character pattern"
    if _filler_share(text) >= _FILLER_SHARE:
        return "mostly filler (words, runs or sequences)"
    return None


def is_placeholder(body: str) -> bool:
    return reason(body) is not None


def _period(text: str) -> int | None:
    for period in range(1, _MAX_PERIOD + 1):
        if text[period:] == text[:-period]:
            return period
    return None


def _filler_share(text: str) -> float:
    covered = bytearray(len(text))
    _mark_words(text, covered)
    _mark_runs(text, covered)
    for stride in (1, 2):
        for offset in range(stride):
            _mark_sequences(text, covered, range(offset, len(text), stride))
    # Letters and digits that each run in order while they interleave (`abc123def456…`).
    _mark_sequences(text, covered, [i for i, c in enumerate(text) if c.isalpha()])
    _mark_sequences(text, covered, [i for i, c in enumerate(text) if c.isdigit()])
    return sum(covered) / len(text)


def _mark_words(text: str, covered: bytearray) -> None:
    for word in _WORDS:
        start = text.find(word)
        while start >= 0:
            covered[start : start + len(word)] = b"\x01" * len(word)
            start = text.find(word, start + 1)


def _mark_runs(text: str, covered: bytearray) -> None:
    start = 0
    for pos in range(1, len(text) + 1):
        if pos < len(text) and text[pos] == text[start]:
            continue
        if pos - start >= _MIN_RUN:
            covered[start:pos] = b"\x01" * (pos - start)
        start = pos


def _mark_sequences(text: str, covered: bytearray, positions: Sequence[int]) -> None:
    """Mark runs of at least `_MIN_SEQUENCE` characters, taken at `positions` in turn, that
    go steadily forwards or steadily backwards along one of `_SEQUENCES`."""
    if not positions:
        return
    chain = [positions[0]]
    ways = _EITHER_WAY  # the directions the chain can still run in
    for index in range(1, len(positions) + 1):
        before = positions[index - 1]
        pos = positions[index] if index < len(positions) else -1
        steps = _STEP.get((text[before], text[pos]), _NO_STEP) if pos >= 0 else _NO_STEP
        if ways & steps:
            chain.append(pos)
            ways &= steps
            continue
        if len(chain) >= _MIN_SEQUENCE:
            for p in chain:
                covered[p] = 1
        # The pair that broke the chain may start the next one.
        chain = [before, pos] if steps else [pos]
        ways = steps or _EITHER_WAY
