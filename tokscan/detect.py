"""The detector: chunks of bytes in, candidate keys out.

Works on any bytes. A cheap search for the `tm-` prefix runs before anything else, so text
without it costs one pass of `bytes.find`. Placeholders never become candidates.
"""

from __future__ import annotations

from collections.abc import Iterator

from tokscan import key as keyformat
from tokscan import placeholder
from tokscan.model import Candidate, Chunk

PRAGMA = b"tokscan:allow"


def find(chunk: Chunk) -> Iterator[Candidate]:
    """Every real key that starts in the chunk's reporting window, in order."""
    data = chunk.data
    end = len(data) if chunk.report_until is None else chunk.report_until
    pos = data.find(keyformat.PREFIX, chunk.report_from)
    if pos < 0 or pos >= end:
        return
    line, line_start, counted_to = chunk.line, 0, 0
    while 0 <= pos < end:
        key = keyformat.match_at(data, pos)
        if key is not None and not placeholder.is_placeholder(key[len(keyformat.PREFIX) :]):
            newlines = data.count(b"\n", counted_to, pos)
            if newlines:
                line += newlines
                line_start = data.rfind(b"\n", counted_to, pos) + 1
            counted_to = pos
            before = len(data[line_start:pos].decode("utf-8", "surrogateescape"))
            on_first_line = line == chunk.line
            column = before + (chunk.column if on_first_line else 1)
            line_end = data.find(b"\n", pos)
            pragma = PRAGMA in data[line_start : len(data) if line_end < 0 else line_end]
            yield Candidate(key, line, column, pragma)
            pos += keyformat.KEY_LENGTH
        else:
            pos += 1
        pos = data.find(keyformat.PREFIX, pos)

