"""The detector: chunks of bytes in, candidate keys out.

Works on any bytes. A cheap search for the `tm-` prefix runs before anything else, so text
without it costs one pass of `bytes.find`. Placeholders never become candidates.
"""

from __future__ import annotations

from collections.abc import Iterator

from tokscan import keyformat
from tokscan.detect import placeholder
from tokscan.model import Candidate, Chunk

PRAGMA = b"tokscan:allow"


def find(chunk: Chunk) -> Iterator[Candidate]:
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
            yield Candidate(key, line, column, pragma)
            pos += keyformat.KEY_LENGTH
        else:
            pos += 1
        pos = data.find(keyformat.PREFIX, pos)
