"""Base64 text that may hold a key: found by its needles, decoded around them.

A key in base64 text shows one of three fixed strings whatever surrounds it
(`key.BASE64_NEEDLES`; base64 of base64 shows one of `key.BASE64_TWICE_NEEDLES`), so the
search stays a literal search. Around each needle this module finds the encoded text it
belongs to, and decodes only a window around the needle, in each of the four ways the
window can line up with base64's 4-character groups: the text before the needle may not
start at a group boundary (`KEY=dG0t…`, or a run glued to a word), and a window costs far
less than decoding a megabyte of base64 in which a needle occurs by chance.

Both alphabets (standard and URL-safe), padded or not, and text wrapped over several lines
(MIME and PEM at 64 or 76 columns, YAML block scalars, indented) are read. What the
decoded bytes hold is the detector's business (detect/finder.py): this module only turns
text into bytes.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator

# Characters of either alphabet (a text runs over these), and the padding (which ends it).
_TEXT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_ALPHABET = _TEXT | {ord("=")}
# Two or more lines of nothing but base64 (after indentation), the last maybe shorter.
_BLOCK = re.compile(rb"(?m)(?:^[ \t]*[A-Za-z0-9+/_-]{16,}={0,2}\r?(?:\n|\Z)){2,}")
_URL_SAFE = bytes.maketrans(b"-_", b"+/")
_INDENT = b" \t"
# A line of a wrapped block holds at least this many characters (MIME uses 76, PEM 64;
# shorter lines are the last of a block, or not base64 at all).
_MIN_WRAP = 16
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


def around(data: bytes, pos: int) -> Encoded:
    """The base64 text that holds the needle at `data[pos]`: the run of alphabet characters
    on its line, extended over the lines of a wrapped block."""
    line_start = data.rfind(b"\n", 0, pos) + 1
    start = pos
    while start > line_start and data[start - 1] in _TEXT:
        start -= 1
    end = _run_end(data, pos)
    parts = [data[start:end]]
    needle_at = pos - start
    if _is_block_line(data, line_start, start, end):
        width = end - start
        # Earlier lines of the block: all as wide as each other, and at least as wide as
        # this one (which may be the block's short last line).
        above_width = None
        short_last = False  # this line is the block's last, shorter than those above
        above_end = line_start - 1
        while above_end > 0:
            above_start = data.rfind(b"\n", 0, above_end) + 1
            text_start = _skip_indent(data, above_start, above_end)
            text_end = _trim_cr(data, text_start, above_end)
            length = text_end - text_start
            if above_width is None:
                above_width = length
            if length != above_width or length < width or not _all_base64(
                data, text_start, text_end
            ):
                break
            parts.insert(0, data[text_start:text_end])
            needle_at += length
            start = text_start
            above_end = above_start - 1
            short_last = length > width
        if short_last:
            return Encoded(start, b"".join(parts), needle_at)
        # Later lines: as wide, except the last, which may be shorter.
        below_start = _next_line(data, end)
        while below_start is not None and width >= _MIN_WRAP:
            line_end = data.find(b"\n", below_start)
            line_end = len(data) if line_end < 0 else line_end
            text_start = _skip_indent(data, below_start, line_end)
            text_end = _trim_cr(data, text_start, line_end)
            length = text_end - text_start
            if not 0 < length <= width or not _all_base64(data, text_start, text_end):
                break
            parts.append(data[text_start:text_end])
            if length < width:
                break
            below_start = _next_line(data, line_end)
    return Encoded(start, b"".join(parts), needle_at)


def wrapped(data: bytes, needles: tuple[bytes, ...], start: int = 0,
            end: int | None = None) -> Iterator[Encoded]:
    """Wrapped blocks in `data[start:end]` whose text, unwrapped, holds a needle that the
    wrapping split over two lines (a needle within a line is found by `around`)."""
    for block in _BLOCK.finditer(data, start, len(data) if end is None else end):
        text = block.group().translate(None, b" \t\r\n")
        for needle in needles:
            at = text.find(needle)
            while at >= 0:
                yield Encoded(block.start() + _indent(block.group()), text, at)
                at = text.find(needle, at + 1)


def _indent(block: bytes) -> int:
    return len(block) - len(block.lstrip(b" \t"))


def decodings(encoded: Encoded, window: int = WINDOW) -> Iterator[bytes]:
    """The window around the needle, decoded in each of the four alignments. Padding ends
    the text; a group that cannot be decoded ends a decoding."""
    text = encoded.text
    padding = text.find(b"=")
    if padding >= 0:
        text = text[:padding]
    if b"-" in text or b"_" in text:
        text = text.translate(_URL_SAFE)
    first = max(0, encoded.needle_at - window)
    first -= first % 4  # the text's own alignment first, then the three others
    last = min(len(text), encoded.needle_at + window)
    for shift in range(4):
        part = text[first + shift : last]
        rest = len(part) % 4
        if rest == 1:  # a lone character holds no whole byte
            part = part[:-1]
        elif rest:
            part += b"=" * (4 - rest)
        try:
            yield binascii.a2b_base64(part)
        except binascii.Error:
            continue


def _run_end(data: bytes, pos: int) -> int:
    end = pos
    size = len(data)
    while end < size and data[end] in _ALPHABET:
        end += 1
    return end


def _is_block_line(data: bytes, line_start: int, start: int, end: int) -> bool:
    """Whether the run is a whole line (after indentation): a line of a wrapped block."""
    if _skip_indent(data, line_start, start) != start or end - start < _MIN_WRAP:
        return False
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end
    return _trim_cr(data, end, line_end) == end


def _skip_indent(data: bytes, start: int, end: int) -> int:
    while start < end and data[start] in _INDENT:
        start += 1
    return start


def _trim_cr(data: bytes, start: int, end: int) -> int:
    return end - 1 if end > start and data[end - 1] == 0x0D else end


def _next_line(data: bytes, pos: int) -> int | None:
    newline = data.find(b"\n", pos)
    return None if newline < 0 else newline + 1


def _all_base64(data: bytes, start: int, end: int) -> bool:
    return all(byte in _ALPHABET for byte in data[start:end])
