"""The detector: chunks of bytes in, candidate keys out.

Works on any bytes. A cheap search for the `tm-` prefix runs before anything else, so text
without it costs one pass of `bytes.find`. Placeholders never become candidates.

Keys in encoded form are candidates too (SPEC §10): base64, once or twice
(decode/base64.py), and UTF-16 strings (in a binary file, say; a whole UTF-16 file is
transcoded by its source, sources/stream.py, so that lines count in the decoded text). Each
has needles of its own (`key.ENCODED_NEEDLES`), so text without them costs a few more
literal searches and nothing else. An encoded candidate is reported where its encoded text
starts, with `encoding` saying how it was found; one that the same line also holds plainly
is the plain one.
"""

from __future__ import annotations

from collections.abc import Iterator

from tokscan import keyformat
from tokscan.decode import base64
from tokscan.detect import placeholder
from tokscan.model import Candidate, Chunk

PRAGMA = b"tokscan:allow"
# Base64 inside base64 is read (a Kubernetes secret of a base64 value); deeper is not.
MAX_DEPTH = 2
_UTF16_WINDOW = 2 * (keyformat.LOOKBEHIND + keyformat.KEY_LENGTH + 8)


def find(chunk: Chunk) -> Iterator[Candidate]:
    """Every real key that starts in the chunk's reporting window, plain or encoded, in
    the order of their places."""
    plain = list(_plain(chunk))
    encoded = _encoded(chunk, 0) if _has_needle(chunk) else []
    if not encoded:
        yield from plain
        return
    seen = {(c.key, c.line) for c in plain}
    kept = [c for c in encoded if (c.key, c.line) not in seen]
    yield from sorted([*plain, *kept], key=lambda c: (c.line, c.column))


def _has_needle(chunk: Chunk) -> bool:
    from tokscan.detect import matcher  # not on the hook's clean path, which never gets here

    # The plain prefix is not asked about: _plain finds it, and a chunk whose only needle
    # is the prefix holds no encoded key (a large file with one `tm-` would otherwise cost
    # every base64 search).
    return matcher.holds_encoded_needle(chunk.data)


def _encoded(chunk: Chunk, depth: int) -> list[Candidate]:
    """Keys in the base64 and UTF-16 text of the chunk's reporting window, one per key and
    place where its encoded text starts."""
    data = chunk.data
    end = len(data) if chunk.report_until is None else chunk.report_until
    found: dict[tuple[int, str], Candidate] = {}
    starts: set[tuple[int, int]] = set()  # base64 texts already decoded, by needle
    around = base64.Texts(data)
    texts = []
    for needle in keyformat.BASE64_ALL_NEEDLES:
        pos = data.find(needle, chunk.report_from, end)
        while pos >= 0:
            texts.append(around.around(pos))
            pos = data.find(needle, pos + len(needle), end)
    if keyformat.holds_split_needle(data[chunk.report_from : end]):
        texts.extend(around.split(keyformat.BASE64_ALL_NEEDLES, chunk.report_from, end))
    for text in texts:
        if (text.start, text.needle_at) in starts:
            continue
        starts.add((text.start, text.needle_at))
        for decoded in base64.decodings(text):
            for inner in _inside(decoded, chunk, depth):
                site = (text.start, inner.key)
                if site not in found:
                    found[site] = _at(chunk, text.start, inner, "base64")
    pos = data.find(keyformat.UTF16_NEEDLE, chunk.report_from, end)
    while pos >= 0:
        # Inside a run of ASCII text the two byte orders read alike (the NUL follows each
        # letter, or precedes the next one), so the first that yields keys is the one.
        for order, start in (("utf-16le", pos), ("utf-16be", pos - 1)):
            first = max(start - _UTF16_WINDOW, start % 2)
            window = data[first : start + _UTF16_WINDOW]
            window = window[: len(window) - len(window) % 2]
            decoded = window.decode(order, "replace").encode("utf-8", "surrogatepass")
            keys = list(_plain(Chunk(decoded, chunk.origin)))
            for inner in keys:
                site = (max(start, 0), inner.key)
                if site not in found:
                    found[site] = _at(chunk, max(start, 0), inner, order)
            if keys:
                break
        pos = data.find(keyformat.UTF16_NEEDLE, pos + 1, end)
    return list(found.values())


def _inside(decoded: bytes, chunk: Chunk, depth: int) -> Iterator[Candidate]:
    """The keys in decoded bytes: plain, and encoded again while depth allows."""
    inner = Chunk(decoded, chunk.origin)
    yield from _plain(inner)
    if depth + 1 < MAX_DEPTH and any(n in decoded for n in keyformat.BASE64_NEEDLES):
        yield from _encoded(inner, depth + 1)


def _at(chunk: Chunk, pos: int, inner: Candidate, how: str) -> Candidate:
    """`inner`, found in the decoding of the text at `chunk.data[pos]`, placed there."""
    data = chunk.data
    line_start = data.rfind(b"\n", 0, pos) + 1
    line_end = data.find(b"\n", pos)
    line_end = len(data) if line_end < 0 else line_end
    line = chunk.line + data.count(b"\n", 0, pos)
    column = (chunk.column if line_start == 0 else 1) + _chars(data[line_start:pos])
    return Candidate(
        inner.key,
        line,
        column,
        PRAGMA in data[line_start:line_end],
        (how, *inner.encoding),
        chunk.offset + pos if chunk.binary else None,
    )


def _chars(data: bytes) -> int:
    return len(data.decode("utf-8", "surrogateescape"))


def _plain(chunk: Chunk) -> Iterator[Candidate]:
    """Every real key that starts in the chunk's reporting window, in order.

    Work per key is proportional to the distance from the previous key, not to the length
    of its line, so a minified line with thousands of keys stays linear.
    """
    data = chunk.data
    end = len(data) if chunk.report_until is None else chunk.report_until
    pos = data.find(keyformat.PREFIX, chunk.report_from)
    if pos < 0 or pos >= end:
        return
    line = chunk.line
    counted_to = 0  # newlines before this offset are counted in `line`
    column_at, column = 0, chunk.column  # the character column of offset `column_at`
    line_end = -1  # the end of the current line, once looked up
    pragma = False  # whether the current line holds the pragma
    while 0 <= pos < end:
        key = keyformat.match_at(data, pos)
        if key is None and chunk.binary:
            key = keyformat.match_length_prefixed(data, pos)
        if key is not None and not placeholder.is_placeholder(key[len(keyformat.PREFIX) :]):
            newlines = data.count(b"\n", counted_to, pos)
            if newlines:
                line += newlines
                column_at, column = data.rfind(b"\n", counted_to, pos) + 1, 1
            counted_to = pos
            column += len(data[column_at:pos].decode("utf-8", "surrogateescape"))
            column_at = pos
            if pos > line_end:  # a line not looked at yet
                line_start = data.rfind(b"\n", 0, pos) + 1
                line_end = data.find(b"\n", pos)
                line_end = len(data) if line_end < 0 else line_end
                pragma = PRAGMA in data[line_start:line_end]
            offset = chunk.offset + pos if chunk.binary else None
            yield Candidate(key, line, column, pragma, (), offset)
            pos += keyformat.KEY_LENGTH
        else:
            pos += 1
        pos = data.find(keyformat.PREFIX, pos)
