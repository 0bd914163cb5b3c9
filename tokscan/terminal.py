"""Colour on terminals; none with NO_COLOR, TERM=dumb or when output is not a terminal;
always with FORCE_COLOR or CLICOLOR_FORCE (CI logs that render ANSI codes), unless NO_COLOR.
"""

from __future__ import annotations

import os
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def wants_color(stream: TextIO) -> bool:
    """The conventions of no-color.org, force-color.org and bixense.com/clicolors, in the
    order Python's own REPL applies them: NO_COLOR (any non-empty value) turns colour off
    whatever else is set; FORCE_COLOR (any non-empty value) or CLICOLOR_FORCE (anything
    but empty or "0") turns it on even off a terminal or with TERM=dumb; otherwise colour
    only on a terminal that is not dumb."""
    environ = os.environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR") or environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    """Wraps text in ANSI colour codes, or leaves it alone when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


def printable(text: str, keep: str = "") -> str:
    """`text` on one line with no control characters: a file name may hold a newline (which
    would forge a report line) or an escape sequence (which would drive the terminal). Each
    is shown as its Python escape (`\\x1b`, `\\n`, `\\u202e`), except the characters in
    `keep` (for a format that escapes those its own way)."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c in keep else c.encode("unicode_escape").decode() for c in text
    )


def plural(number: int, noun: str) -> str:
    """`1 key`, `2 keys`, `1,234 objects`: counts in messages read as English."""
    return f"{count(number)} {noun}" + ("" if number == 1 else "s")


def count(number: int) -> str:
    """A count as every message writes it: `105,388`."""
    return f"{number:,}"


def size(number: int) -> str:
    """A number of bytes as every message writes it (decimal units, as git and pip do):
    `44 B`, `1.2 KB`, `120.0 MB`, `3.4 GB`. The summary line and the progress line share
    it, so the same bytes read the same in both."""
    if number < 1000:
        return f"{number} B"
    value = number / 1000
    for unit in ("KB", "MB"):
        if value < 999.95:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"
