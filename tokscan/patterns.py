"""Gitignore-style `exclude` patterns (SPEC §7), matched in linear time.

A scanned repository's `.tokscan.yaml` chooses these patterns, so matching must not be
open to a pattern built to make it slow: translated into one regular expression for
Python's backtracking `re`, `*a*a*a…*b` takes exponential time on a long name. Here a
pattern is cut at `/` into segments and at `*` into pieces; a piece has no quantifier
(literal characters, `?` and bracket expressions, each one character wide), so finding it
costs at most its length per position, and `*` and `**` are matched by taking each piece
at its leftmost place, which never needs to go back. A path costs at most (segments of the
path) * (segments of the pattern) segment tests, and a segment test at most (characters)
* (pattern characters).

The meaning is pathspec's `GitIgnoreSpec` (which tokscan used before, and which the tests
compare against on random patterns and paths): a pattern without a `/` (but a trailing one)
matches at any depth; with one it is anchored at the root; a trailing `/` matches folders
only; `*` and `?` do not match `/`, `**` matches any number of folders; `!` re-includes;
`\\` escapes; a pattern also matches everything under a folder it matches. When several
patterns match, the last one that matches the path itself wins over those that only match
a folder above it, as git does when a file is re-included from an excluded folder. Unlike
pathspec's regular expressions, a negated bracket expression (`[!a]`) never matches `/`,
and a newline in a path is a character like any other.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

# How a path matches a pattern: not at all, through a folder above it, or itself.
NONE, FOLDER, ITSELF = 0, 1, 2


class PatternError(ValueError):
    """A pattern that cannot be read (an unfinished escape, a bad character range)."""


@dataclass(frozen=True)
class _Glob:
    """One segment of a pattern (no `/`): pieces cut at `*`, each a regular expression
    without quantifiers that matches exactly `width` characters."""

    pieces: tuple[re.Pattern[str], ...]
    widths: tuple[int, ...]
    literal: str | None = None  # a segment without wildcards: compared as text
    # With at most one `*`, one regular expression: its one quantifier can only give back
    # one character at a time, so a test costs at most (characters) * (pattern characters).
    whole: re.Pattern[str] | None = None

    def matches(self, text: str) -> bool:
        if self.literal is not None:
            return text == self.literal
        if self.whole is not None:
            return self.whole.fullmatch(text) is not None
        pieces, widths = self.pieces, self.widths
        head, tail = widths[0], widths[-1]
        end = len(text) - tail
        if end < head:
            return False
        if pieces[0].match(text, 0, head) is None or pieces[-1].match(text, end) is None:
            return False
        position = head
        for piece in pieces[1:-1]:  # leftmost is always right: what follows may be anywhere
            found = piece.search(text, position, end)
            if found is None:
                return False
            position = found.end()
        return True


_ANY = None  # a `**` segment: any number of segments


@dataclass(frozen=True)
class Pattern:
    """One exclude line, compiled."""

    text: str
    excludes: bool  # False for a `!` pattern: it re-includes what earlier lines excluded
    # Segments to match from the start of the path (`_ANY` for `**`), then what must follow
    # them: "end" (nothing, or a folder's contents), "more-folder" or "more-itself" (at
    # least one more segment, matching as a folder or as the path itself).
    segments: tuple[_Glob | None, ...]
    tail: str
    # The whole pattern is one of the forms pathspec special-cases (`*`, `**`, `*/`, ...):
    # "every" path, or every path with a "/" ("nested", "nested-folder").
    special: str | None = None

    def match(self, parts: list[str]) -> int:
        """How the path split at `/` matches: NONE, FOLDER or ITSELF."""
        if self.special is not None:
            if self.special == "every":
                return ITSELF if parts != [""] else NONE
            if len(parts) == 1:
                return NONE
            return FOLDER if self.special == "nested-folder" else ITSELF
        segments = self.segments
        if len(segments) == 2 and segments[0] is _ANY:  # most patterns: `*.log`, `build/`
            return self._anywhere(segments[1], parts)  # type: ignore[arg-type]
        if _ANY not in segments:  # anchored, without `**`: `/top.txt`, `docs/*.md`
            return self._fixed(parts)
        return self._general(parts)

    def _anywhere(self, segment: _Glob, parts: list[str]) -> int:
        """`**/x` with any tail: x may match any one segment."""
        last = len(parts) - 1
        if self.tail == "end" and segment.matches(parts[last]):
            return ITSELF
        literal, whole = segment.literal, segment.whole
        if literal is not None:
            found = literal in parts and parts.index(literal) < last
        elif whole is not None:
            found = any(map(whole.fullmatch, parts[:last]))
        else:
            found = any(map(segment.matches, parts[:last]))
        if not found:
            return NONE
        return ITSELF if self.tail == "more-itself" else FOLDER

    def _fixed(self, parts: list[str]) -> int:
        segments = self.segments
        if len(parts) < len(segments):
            return NONE
        for segment, part in zip(segments, parts, strict=False):  # the path may go on
            if not segment.matches(part):  # type: ignore[union-attr]
                return NONE
        if len(parts) == len(segments):
            return ITSELF if self.tail == "end" else NONE
        return ITSELF if self.tail == "more-itself" else FOLDER

    def _general(self, parts: list[str]) -> int:
        segments, count = self.segments, len(parts)
        first = segments[0]
        if first is not _ANY and not first.matches(parts[0]):  # anchored: most paths end here
            return NONE
        # The positions in `segments` reachable after reading i parts, as a bit set
        # (bit k: segments[:k] matched parts[:i]).
        reach = _closure(segments, 1)
        done = len(segments)
        best = NONE
        for i in range(count + 1):
            if reach >> done & 1:
                if i == count:
                    if self.tail == "end":
                        best = ITSELF
                elif self.tail == "more-itself":
                    return ITSELF
                else:
                    best = FOLDER
            if i == count or not reach:
                break
            part = parts[i]
            following = 0
            k = 0
            bits = reach
            while bits:
                if bits & 1 and k < done:
                    segment = segments[k]
                    if segment is _ANY:
                        following |= 1 << k
                    elif segment.matches(part):
                        following |= 1 << (k + 1)
                bits >>= 1
                k += 1
            reach = _closure(segments, following)
        return best


def _closure(segments: tuple[_Glob | None, ...], reach: int) -> int:
    """Add the positions reached by letting `**` match no segment."""
    for k, segment in enumerate(segments):
        if segment is _ANY and reach >> k & 1:
            reach |= 1 << (k + 1)
    return reach


def compile_pattern(line: str) -> Pattern | None:
    """Compile one pattern line; None for a line that matches nothing (blank, a comment,
    `/`, or an unfinished bracket expression, which git ignores too). Raises PatternError."""
    text = line if line.endswith("\\ ") else line.rstrip()
    if not text or text.startswith("#") or text == "/":
        return None
    excludes = not text.startswith("!")
    body = text if excludes else text[1:]
    segments = body.split("/")
    folder_only = segments[-1] == ""
    if segments[0] == "":
        del segments[0]  # a leading "/" anchors at the root
    elif (len(segments) == 1 or segments[1:] == [""]) and segments[0] != "**":
        segments.insert(0, "**")  # no "/" inside (but a trailing one): at any depth
    if not segments:
        raise PatternError("the pattern is empty")
    if segments[-1] == "":
        segments[-1] = "**"  # a trailing "/": everything inside the folder
    for k in range(len(segments) - 1, 0, -1):
        if segments[k] == segments[k - 1] == "**":
            del segments[k]
    special = _special(segments, folder_only)
    if special is not None:
        return Pattern(line, excludes, (), "end", special)
    tail = "end"
    if segments[-1] == "**":
        segments.pop()
        tail = "more-folder" if folder_only else "more-itself"
    try:
        compiled = tuple(_ANY if s == "**" else _glob(s) for s in segments)
    except _Unfinished:
        return None
    return Pattern(line, excludes, compiled, tail)


def _special(segments: list[str], folder_only: bool) -> str | None:
    if segments == ["**"]:
        return "nested-folder" if folder_only else "every"
    if segments == ["**", "*"]:
        return "every"
    if segments == ["**", "*", "**"]:
        return "nested-folder" if folder_only else "nested"
    return None


class _Unfinished(Exception):
    """A `[` without its `]`."""


def _glob(segment: str) -> _Glob:
    if segment == "*":  # one character or more
        return _Glob((), (), whole=re.compile("[^/]+"))
    pieces: list[str] = []
    widths: list[int] = []
    piece, width = "", 0
    text, plain = "", True  # the segment as text, while it has no wildcard
    i, end = 0, len(segment)
    while i < end:
        char = segment[i]
        i += 1
        if char == "\\":
            if i == end:
                raise PatternError("it ends with an escape character (\\)")
            piece += re.escape(segment[i])
            text += segment[i]
            i += 1
        elif char == "*":
            plain = False
            pieces.append(piece)
            widths.append(width)
            piece, width = "", 0
            continue
        elif char == "?":
            plain = False
            piece += "[^/]"
        elif char == "[":
            plain = False
            bracket, i = _bracket(segment, i)
            piece += bracket
        else:
            piece += re.escape(char)
            text += char
        width += 1
    pieces.append(piece)
    widths.append(width)
    try:
        with warnings.catch_warnings():  # `[[]`: "possible nested set" is for the future
            warnings.simplefilter("ignore", FutureWarning)
            compiled = tuple(re.compile(p) for p in pieces)
            whole = re.compile("[^/]*".join(pieces)) if len(pieces) <= 2 else None
    except re.error as error:
        raise PatternError(str(error)) from None
    return _Glob(compiled, tuple(widths), literal=text if plain else None, whole=whole)


def _bracket(segment: str, start: int) -> tuple[str, int]:
    """The bracket expression starting after the `[` at `start - 1`, as a regular
    expression matching one character, and where the segment continues. Read as pathspec
    reads it: `!` or `^` negates, a `]` first is a member, `\\` is a member. (A segment
    holds no `/`, so a negated expression cannot match one.)"""
    end = len(segment)
    j = start
    if j < end and segment[j] in "!^":
        j += 1
    if j < end and segment[j] == "]":
        j += 1
    while j < end and segment[j] != "]":
        j += 1
    if j >= end:
        raise _Unfinished
    negated = segment[start] in "!^"
    members = segment[start + 1 if negated else start : j + 1].replace("\\", "\\\\")
    return "[" + ("^" if negated else "") + members, j + 1


def matcher(lines: tuple[str, ...]) -> Callable[[str], bool]:
    """A test for "/"-separated relative paths (a folder may end with "/") against these
    pattern lines: whether the last pattern that decides excludes the path."""
    compiled = [p for p in (compile_pattern(line) for line in lines) if p is not None]
    return _Matcher(tuple(reversed(compiled)))


@dataclass(frozen=True)
class _Matcher:
    latest_first: tuple[Pattern, ...]

    def __call__(self, path: str) -> bool:
        if not self.latest_first:
            return False
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        parts = path.split("/")
        decided: bool | None = None
        for pattern in self.latest_first:
            how = pattern.match(parts)
            if how == ITSELF:  # the path itself: the latest such line decides
                return pattern.excludes
            if how == FOLDER and decided is None:  # a folder above it: unless one does
                decided = pattern.excludes
        return bool(decided)
