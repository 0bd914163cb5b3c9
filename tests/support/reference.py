"""A slow, literal reading of SPEC §2, written independently of tokscan/detect/ and
tokscan/keyformat.py, to check the fast detector (and the chunked one) against.

It looks at every position, decodes whole lines to count columns, and decides escapes with
one regular expression over everything before the key, so no window or chunk edge can
change its answer.
"""

from __future__ import annotations

import re
import string
from typing import NamedTuple

from tokscan.detect import placeholder

ALNUM = frozenset((string.ascii_letters + string.digits).encode())
PRAGMA = b"tokscan:allow"

# The bytes before a key end an escape: an odd run of backslashes followed by one escape
# (a letter or digit, \xHH, \uHHHH, \UHHHHHHHH or three octal digits), or a %HH.
_ESCAPE_AT_END = re.compile(
    rb"(?:(?<!\\)(?:\\\\)*\\(?:[A-Za-z0-9]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}"
    rb"|[0-7]{3})|%[0-9A-Fa-f]{2})\Z"
)


class Hit(NamedTuple):
    key: str
    line: int
    column: int
    pragma: bool


def is_key_at(data: bytes, pos: int) -> bool:
    if data[pos : pos + 3] != b"tm-":
        return False
    body = data[pos + 3 : pos + 35]
    if len(body) != 32 or not all(b in ALNUM for b in body):
        return False
    if pos + 35 < len(data) and data[pos + 35] in ALNUM:
        return False
    if pos > 0 and data[pos - 1] in ALNUM and not _ESCAPE_AT_END.search(data[:pos]):
        return False
    return not placeholder.is_placeholder(body.decode())


def location(data: bytes, pos: int) -> tuple[int, int]:
    """1-based line, and 1-based column in characters of the line decoded as UTF-8 (each
    undecodable byte one character)."""
    lines = data[:pos].split(b"\n")
    return len(lines), len(lines[-1].decode("utf-8", "surrogateescape")) + 1


def line_of(data: bytes, pos: int) -> bytes:
    start = data.rfind(b"\n", 0, pos) + 1
    end = data.find(b"\n", pos)
    return data[start : len(data) if end < 0 else end]


def find(data: bytes) -> list[Hit]:
    hits = []
    for pos in range(len(data)):
        if is_key_at(data, pos):
            line, column = location(data, pos)
            key = data[pos : pos + 35].decode()
            hits.append(Hit(key, line, column, PRAGMA in line_of(data, pos)))
    return hits
