"""Text that is not UTF-8: UTF-16 and UTF-32, told apart from binary data before a file is
called binary (a NUL byte is what makes git, and tokscan, call a file binary, and UTF-16
text is full of them).

A byte-order mark says it outright. Without one (PowerShell's `Out-File` writes UTF-16
with one, .NET's `Encoding.Unicode` without), ASCII-range text shows its pattern of NULs:
every second byte in UTF-16, three of every four in UTF-32, on the same side of each unit.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32le"),  # before UTF-16's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)
# The share of units that must show the pattern: text in other scripts (UTF-16 of CJK has
# no NULs) stays binary, which is scanned as bytes anyway.
_PATTERN_SHARE = 0.9
_MIN_UNITS = 8


def sniff(head: bytes) -> tuple[str, int] | None:
    """(encoding, length of its byte-order mark) when `head` starts UTF-16 or UTF-32 text."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    for width, name, zero_at in (
        (4, "utf-32le", (1, 2, 3)),
        (4, "utf-32be", (0, 1, 2)),
        (2, "utf-16le", (1,)),
        (2, "utf-16be", (0,)),
    ):
        if _has_pattern(head, width, zero_at):
            return name, 0
    return None


def _has_pattern(head: bytes, width: int, zero_at: tuple[int, ...]) -> bool:
    """Whether nearly every unit of `head` has NULs at `zero_at` and a byte that is not NUL
    at its first other place. Counted a column at a time with bytes methods, not byte by
    byte in Python: binary blobs ask this of their first 8000 bytes, and there are many."""
    units = len(head) // width
    if units < _MIN_UNITS:
        return False
    head = head[: units * width]
    letter_at = next(i for i in range(width) if i not in zero_at)
    # A column becomes one bit a unit (a byte 0 or 1), so that the units that fit are the
    # set bits of the columns' AND, counted by int.bit_count.
    fits = int.from_bytes(head[letter_at::width].translate(_IS_NOT_NUL), "little")
    for at in zero_at:
        fits &= int.from_bytes(head[at::width].translate(_IS_NUL), "little")
    return fits.bit_count() >= units * _PATTERN_SHARE


_IS_NUL = bytes([1] + [0] * 255)
_IS_NOT_NUL = bytes([0] + [1] * 255)


def transcode(read: Callable[[int], bytes], head: bytes, encoding: str, bom: int,
              block: int) -> Iterator[bytes]:
    """The text after `head` and what `read` returns, as UTF-8, in pieces; what cannot be
    decoded becomes U+FFFD, which is a boundary like any other non-ASCII character."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    if len(head) > bom:
        yield decoder.decode(head[bom:]).encode("utf-8", "surrogatepass")
    while piece := read(block):
        yield decoder.decode(piece).encode("utf-8", "surrogatepass")
    yield decoder.decode(b"", final=True).encode("utf-8", "surrogatepass")
