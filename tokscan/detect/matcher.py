"""Whether a buffer holds anything worth a closer look: one search for every needle at once.

The needles are the key prefix and the fixed strings of its encoded forms
(`keyformat.ENCODED_NEEDLES`, `keyformat.UTF32_NEEDLE`), and the base64 needles also where
wrapping (`keyformat.WRAPPING`: spaces, tabs, line breaks) splits them anywhere. Most files
and blobs hold none, and this search is most of what they cost, so it runs on Hyperscan
(the `hyperscan` package: SIMD, all needles in one pass, GB/s a core) where it is
installed, and on Python's bytes search, needle by needle, everywhere else.

Both give the same answer on any bytes (tests/detect/test_matcher.py checks it with
hypothesis, and CI runs the whole suite a second time with the fallback forced), so which
one runs changes only the speed. `TOKSCAN_MATCHER=python` forces the fallback,
`TOKSCAN_MATCHER=hyperscan` makes a missing Hyperscan an error; unset (or `auto`), Hyperscan
is used where it loads. `tokscan --version` and the JSON report's `tool` name the one in use.

The pre-commit hook does not use this module: importing Hyperscan costs more than the
hook's whole search (sources/diff.py searches the few needles itself).
"""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tokscan import keyformat
from tokscan.detect import dbcache
from tokscan.errors import TokscanError

if TYPE_CHECKING:
    import hyperscan

ENVIRONMENT = "TOKSCAN_MATCHER"
CHOICES = ("auto", "hyperscan", "python")

# Found as they are; the plain prefix first (holds_encoded_needle leaves it out).
# (benchmarks/decoders.py narrows both to measure the decoders' cost.)
NEEDLES = (keyformat.PREFIX, *keyformat.ENCODED_NEEDLES, keyformat.UTF32_NEEDLE)
# Found also with wrapping anywhere inside them: MIME and PEM wrap at 64 or 76 columns, so
# one base64-encoded key in twenty has its needle split over two lines.
SPLIT_NEEDLES = keyformat.BASE64_ALL_NEEDLES

Buffer = bytes | bytearray | memoryview


class _PythonSearch:
    name = "python"

    def holds_needle(self, data: Buffer, plain: bool = True) -> bool:
        view = bytes(data) if isinstance(data, memoryview) else data
        if any(needle in view for needle in (NEEDLES if plain else NEEDLES[1:])):
            return True
        if not SPLIT_NEEDLES:
            return False
        unwrapped = view.translate(None, keyformat.WRAPPING)
        return any(needle in unwrapped for needle in SPLIT_NEEDLES)

    def regions_with_needles(self, data: Buffer, bounds: Sequence[tuple[int, int]]) -> list[int]:
        view = memoryview(data)
        return [i for i, (start, end) in enumerate(bounds) if self.holds_needle(view[start:end])]


_WRAPPING = frozenset(keyformat.WRAPPING)


class _Hyperscan:
    """Literals for the whole needles; for needles split by wrapping, patterns that one of
    the split's pieces matches, checked by hand at the few places they match. A split
    needle is pieces with wrapping between them: either one piece has two characters or
    more (`W` + `G0` + `W` for `d G0 t`, no `W` on the needle's own ends), or every piece
    is one character, and then one chosen character has wrapping beside it (`W G W` for
    `d G 0 t`, `J W` for `J 0 T`). So every split needle that the Python search sees
    matches one of these patterns, and the check by hand (the rest of the needle around
    it, wrapping skipped) accepts no other. Patterns of literals and single character
    classes keep Hyperscan near its literal speed, where "any wrapping between any two
    characters" would cost it four times."""

    name = "hyperscan"

    def __init__(self) -> None:
        import hyperscan

        self._hyperscan = hyperscan
        self._stopped = hyperscan.ScanTerminated
        # Escaped bytes: Hyperscan reads expressions as C strings, so a NUL (UTF-16's
        # needle has them) would end the pattern.
        patterns = [_escaped(needle) for needle in NEEDLES]
        self._exact = len(patterns)  # these answer alone; the rest are checked by hand
        self._pieces: list[tuple[bytes, int, int, int]] = []  # needle, i, j, bytes after j
        for needle in SPLIT_NEEDLES:
            for i, j in _pieces(needle):
                after = 1 if j < len(needle) else 0
                before = _WRAP if i > 0 else b""
                patterns.append(before + _escaped(needle[i:j]) + _WRAP * after)
                self._pieces.append((needle, i, j, after))
        def compiled() -> hyperscan.Database:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(
                expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns)
            )
            return database

        self._scratch = threading.local()  # one per thread: Hyperscan scans without the GIL
        # Compiling costs 15-20 ms a process; a cached copy loads in well under one.
        self._database: hyperscan.Database = dbcache.database(
            hyperscan, patterns, hyperscan.HS_MODE_BLOCK, compiled, self._works
        )

    def _works(self, database: hyperscan.Database) -> bool:
        """A loaded database's trial: it finds the prefix where it is, and only there."""
        self._database = database
        self._scratch = threading.local()
        return self.holds_needle(b"x tm-x") and not self.holds_needle(b"x tm x")

    def _scan(self, data: Buffer, on_match: Callable[..., bool]) -> None:
        scratch = getattr(self._scratch, "space", None)
        if scratch is None:
            scratch = self._scratch.space = self._hyperscan.Scratch(self._database)
        with contextlib.suppress(self._stopped):
            self._database.scan(data, match_event_handler=on_match, scratch=scratch)  # type: ignore[type-var]

    def _accepted(self, data: Buffer, pattern: int, end: int) -> bool:
        """Whether the match of `pattern` that ends at `end` is a needle. Most matches of
        pieces are not, and show it in the byte just past them or just before them, which
        is looked at first: this runs for every match, tens of thousands a gigabyte."""
        if pattern < self._exact:
            return True
        needle, i, j, after = self._pieces[pattern - self._exact]
        if after:
            if end >= len(data):
                return False
            byte = data[end]
            if byte != needle[j] and byte not in _WRAPPING:
                return False
        if i:
            before = end - after - (j - i) - 2  # the byte before the wrapping before the piece
            if before < 0:
                return False
            byte = data[before]
            if byte != needle[i - 1] and byte not in _WRAPPING:
                return False
        return _around(data, end, needle, i, j, after)

    def holds_needle(self, data: Buffer, plain: bool = True) -> bool:
        found = False
        first = 0 if plain else 1  # pattern 0 is the plain prefix

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            nonlocal found
            if pattern >= first and self._accepted(data, pattern, end):
                found = True
                return True  # stop: the first needle answers the question
            return False

        self._scan(data, on_match)
        return found

    def regions_with_needles(self, data: Buffer, bounds: Sequence[tuple[int, int]]) -> list[int]:
        if not bounds:
            return []
        view = memoryview(data)
        low, high = bounds[0][0], max(end for _, end in bounds)
        starts = [start for start, _ in bounds]
        flagged: set[int] = set()

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            at = low + end  # one past the match's last byte, in `data`
            if self._accepted(view, pattern, at):
                flagged.add(bisect.bisect_right(starts, at - 1) - 1)
            return False

        self._scan(view[low:high], on_match)
        # A match may reach over from the region before (or from between regions): each
        # region it ends in is asked again on its own.
        return [
            index
            for index in sorted(flagged)
            if index >= 0
            and bounds[index][0] < bounds[index][1]
            and self.holds_needle(view[bounds[index][0] : bounds[index][1]])
        ]


_WRAP = rb"[ \t\r\n]"


def _pieces(needle: bytes) -> list[tuple[int, int]]:
    """The pieces `needle[i:j]` whose patterns find every split of `needle`: every proper
    piece of two characters or more, and one lone character (the split where each
    character stands alone): the middle one least common alone in text, or the first
    where every middle one is common."""
    size = len(needle)
    found = [(i, j) for i in range(size) for j in range(i + 2, size + 1) if j - i < size]
    if needle in _FIRST_ALONE:
        return [*found, (0, 1)]
    middle = max(range(1, size - 1), key=lambda i: _rarity(needle[i]))
    return [*found, (middle, middle + 1)]


def _rarity(byte: int) -> int:
    found = _COMMON.find(bytes([byte]))
    return len(_COMMON) if found < 0 else found


# Characters common in text first: a lone middle character is searched with wrapping on
# both sides, so the one least like a word or number between spaces matches least. (`B`
# alone comes before `R` alone: on git/git's blobs `W B W` matches 16 times as often.)
_COMMON = b"aeiousdtn0123456789lrcmhpbfgwyvkxjqzAEIOUSDTNLBRCMHPFGWYVKXJQZ"
# Needles whose middle characters stand alone all over code (`i = 0`), but whose first
# character is seldom followed by a space or line break: measured on the blobs of git/git
# and sqlalchemy, `J W` matches 100 to 1,000 times less than `W 0 W`, `B W` 5 times less
# than `W i W`. Each pattern that matches costs a check by hand.
_FIRST_ALONE = frozenset({b"J0T", b"BiU"})


def _escaped(text: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in text)


def _around(data: Buffer, end: int, needle: bytes, i: int, j: int, after: int) -> bool:
    """Whether the piece `needle[i:j]` that ends `after` bytes before `end` has the rest of
    `needle` around it, with any wrapping between characters."""
    start = end - after - (j - i)
    pos = start - 1
    for expected in reversed(needle[:i]):
        while pos >= 0 and data[pos] in _WRAPPING:
            pos -= 1
        if pos < 0 or data[pos] != expected:
            return False
        pos -= 1
    pos, size = start + j - i, len(data)
    for expected in needle[j:]:
        while pos < size and data[pos] in _WRAPPING:
            pos += 1
        if pos >= size or data[pos] != expected:
            return False
        pos += 1
    return True


def choice() -> str:
    """What TOKSCAN_MATCHER asks for (`auto` when unset)."""
    wanted = os.environ.get(ENVIRONMENT, "").strip().lower() or "auto"
    if wanted not in CHOICES:
        raise TokscanError(
            f"{ENVIRONMENT}={os.environ[ENVIRONMENT]!r} is not one of: {', '.join(CHOICES)}"
        )
    return wanted


def _load() -> _PythonSearch | _Hyperscan:
    wanted = choice()
    if wanted == "python":
        return _PythonSearch()
    try:
        return _Hyperscan()
    except Exception as error:  # not installed, no wheel for this platform, or no SIMD
        if wanted == "hyperscan":
            raise TokscanError(
                f"{ENVIRONMENT}=hyperscan, but Hyperscan cannot be loaded "
                f"({type(error).__name__}: {error}); pip install hyperscan, or unset "
                f"{ENVIRONMENT} to use the portable search"
            ) from None
        return _PythonSearch()


_search: _PythonSearch | _Hyperscan | None = None


def engine() -> _PythonSearch | _Hyperscan:
    """The search in use, loaded on first use (Hyperscan's import is not free)."""
    global _search
    if _search is None:
        _search = _load()
    return _search


def name() -> str:
    """`hyperscan` or `python`: the search that runs (for --version and reports)."""
    return engine().name


def holds_needle(data: Buffer) -> bool:
    """Whether `data` holds the key prefix or one of its encoded forms' needles, the base64
    ones also split by wrapping."""
    return engine().holds_needle(data)


def holds_encoded_needle(data: Buffer) -> bool:
    """Whether `data` holds the needle of an encoded form (base64, also split by wrapping;
    UTF-16; UTF-32): `holds_needle` without the plain prefix, which the detector finds
    itself. Text with a `tm-` and no encoded needle needs no search for encoded keys."""
    return engine().holds_needle(data, plain=False)


def regions_with_needles(data: Buffer, bounds: Sequence[tuple[int, int]]) -> list[int]:
    """The indices of the regions `data[start:end]` (`bounds`: in order, not overlapping)
    that hold a needle, as `holds_needle` would answer for each: one search over them all,
    where searching many small regions one by one costs more in calls than in bytes."""
    return engine().regions_with_needles(data, bounds)
