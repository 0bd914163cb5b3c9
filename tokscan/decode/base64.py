"""Base64 text that may hold a key: found by its needles, decoded around them.

A key in base64 text shows one of three fixed strings whatever surrounds it
(`keyformat.BASE64_NEEDLES`; base64 of base64 shows one of
`keyformat.BASE64_TWICE_NEEDLES`), so the search stays a literal search. Around each needle
this module finds the encoded text it belongs to, and decodes only a window around the
needle, in each of the four ways the window can line up with base64's 4-character groups:
the text before the needle may not start at a group boundary (`KEY=dG0t…`, or a run glued
to a word), and a window costs far less than decoding a megabyte of base64 in which a
needle occurs by chance.

Both alphabets (standard and URL-safe), padded or not, and text wrapped over several lines
(MIME and PEM at 64 or 76 columns, YAML block scalars, indented) are read. What the
decoded bytes hold is the detector's business (detect/finder.py): this module only turns
text into bytes.
"""

from __future__ import annotations

import binascii
import bisect
import re
from collections.abc import Iterator

# A run of either alphabet's characters, and the same with its padding.
_RUN = re.compile(rb"[A-Za-z0-9+/_-]+")
_RUN_WITH_PADDING = re.compile(rb"[A-Za-z0-9+/_-]*=*")
# Two or more lines of nothing but base64 (after indentation), all but the last at least
# 16 characters long: a wrapped block.
_BLOCK = re.compile(
    rb"(?m)(?:^[ \t]*[A-Za-z0-9+/_-]{16,}\r?\n)+[ \t]*[A-Za-z0-9+/_-]+={0,2}\r?(?:\n|\Z)"
)
_WRAPPING = b" \t\r\n"
_URL_SAFE = bytes.maketrans(b"-_", b"+/")
# Characters of encoded text kept on each side of a needle: enough for the bytes before a
# key that decide its boundary, the key itself and the byte after it, at either depth.
WINDOW = 128


class Encoded:
    """Base64 text around a needle: where it starts in the data, and its characters
    (wrapping removed) with the needle's index among them."""

    __slots__ = ("needle_at", "start", "text")

    def __init__(self, start: int, text: bytes, needle_at: int) -> None:
        self.start = start  # offset in the data of the text's first character
        self.text = text
        self.needle_at = needle_at


class Texts:
    """The base64 texts of one buffer, found around needles on demand. A wrapped block is
    found and unwrapped once, however many needles it holds, so a megabyte of MIME text
    with needles in it by chance costs one pass, not one per needle."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._blocks: list[tuple[int, int]] | None = None  # (start, end), in order
        self._unwrapped: dict[int, bytes] = {}  # by block start

    def around(self, pos: int) -> Encoded:
        """The base64 text that holds the needle at `data[pos]`: its wrapped block, else
        the run of alphabet characters on its line."""
        data = self.data
        block = self._block_at(pos)
        if block is not None:
            start = _first_character(data, block[0])
            before = data[start:pos].translate(None, _WRAPPING)
            return Encoded(start, self._text(block), len(before))
        line_start = data.rfind(b"\n", 0, pos) + 1
        start = pos
        for run in _RUN.finditer(data, line_start, pos + 1):  # the last run reaching `pos`
            start = run.start()
        run_end = _RUN_WITH_PADDING.match(data, pos)
        end = pos if run_end is None else run_end.end()
        return Encoded(start, data[start:end], pos - start)

    def split(self, needles: tuple[bytes, ...], start: int, end: int) -> Iterator[Encoded]:
        """The texts of wrapped blocks that start in `data[start:end]`, at each needle they
        hold once unwrapped (which finds a needle that wrapping split over two lines)."""
        for block in self._find_blocks():
            if not start <= block[0] < end:
                continue
            text = self._text(block)
            first = _first_character(self.data, block[0])
            for needle in needles:
                at = text.find(needle)
                while at >= 0:
                    yield Encoded(first, text, at)
                    at = text.find(needle, at + 1)

    def _find_blocks(self) -> list[tuple[int, int]]:
        if self._blocks is None:
            self._blocks = [match.span() for match in _BLOCK.finditer(self.data)]
        return self._blocks

    def _block_at(self, pos: int) -> tuple[int, int] | None:
        blocks = self._find_blocks()
        index = bisect.bisect_right(blocks, (pos, len(self.data) + 1)) - 1
        if index >= 0 and blocks[index][0] <= pos < blocks[index][1]:
            return blocks[index]
        return None

    def _text(self, block: tuple[int, int]) -> bytes:
        text = self._unwrapped.get(block[0])
        if text is None:
            text = self.data[block[0] : block[1]].translate(None, _WRAPPING)
            self._unwrapped[block[0]] = text
        return text


def decodings(encoded: Encoded, window: int = WINDOW) -> Iterator[bytes]:
    """The window around the needle, decoded in each of the four alignments. Padding ends
    a text (one that comes before the needle ends an earlier one); a window that cannot be
    decoded yields nothing."""
    text, at = encoded.text, encoded.needle_at
    first = max(0, at - window)
    first -= first % 4  # the text's own alignment first, then the three others
    part = text[first : min(len(text), at + window)]
    at -= first
    padding = part.rfind(b"=", 0, at)
    if padding >= 0:  # the needle starts a new text after an earlier one's padding
        part, at = part[padding + 1 :], at - padding - 1
    padding = part.find(b"=", at)
    if padding >= 0:
        part = part[:padding]
    if b"-" in part or b"_" in part:
        part = part.translate(_URL_SAFE)
    for shift in range(4):
        piece = part[shift:]
        rest = len(piece) % 4
        if rest == 1:  # a lone character holds no whole byte
            piece = piece[:-1]
        elif rest:
            piece += b"=" * (4 - rest)
        try:
            yield binascii.a2b_base64(piece)
        except binascii.Error:
            continue


def _first_character(data: bytes, line_start: int) -> int:
    """The first character of a line after its indentation."""
    end = line_start
    while end < len(data) and data[end] in b" \t":
        end += 1
    return end
