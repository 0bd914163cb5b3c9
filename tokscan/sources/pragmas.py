"""The `tokscan:allow` pragmas a CI range adds, listed for review (SPEC §6).

A pragma suppresses the findings on its line, so a change could hide its own leak with
one. `tokscan ci` therefore lists, for a reviewer to check:

- every key in the range that a pragma suppressed (from the scan: the commit that added
  the line, and the key, redacted);
- every line that the range's changes add with a pragma on it (from one `git diff` of the
  range's start against its head), including pragmas added next to a key that was already
  there and pragmas with no key on their line yet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tokscan import detect, git
from tokscan.model import Chunk, Finding, Origin, PragmaSite, Report, Where
from tokscan.sources import staged

DIFF_ARGS = (
    "diff",
    "-U0",
    "-M",
    "--no-relative",
    "--ignore-submodules=all",
    "--diff-filter=d",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    *git.DIFF_SAFETY,
)


def added(
    root: Path,
    report: Report,
    start: str | None,
    head: str,
    excluded: Callable[[str], bool],
) -> list[PragmaSite]:
    """The pragmas to review; `start` is where the range's changes start (None: nothing)."""
    sites = [
        PragmaSite(f.path, f.line, f.commit, f) for why, f in report.suppressed if why == "pragma"
    ]
    listed = {(site.path, f.fingerprint) for site in sites if (f := site.finding)}
    for path, line, data in _added_lines(root, start, head):
        if excluded(path):
            continue
        chunk = Chunk(data, Origin(path), line=line)
        keys = [c for c in detect.find(chunk) if c.pragma]
        if not keys:
            sites.append(PragmaSite(path, line))
        for candidate in keys:
            finding = Finding(candidate.key, path, line, candidate.column, Where.HISTORY)
            if (path, finding.fingerprint) not in listed:
                sites.append(PragmaSite(path, line, None, finding))
    sites.sort(key=lambda s: (s.path is None, s.path or "", s.line, s.commit or ""))
    return sites


def _added_lines(root: Path, start: str | None, head: str) -> list[tuple[str, int, bytes]]:
    """(path, line at head, line) for each added line that holds the pragma."""
    if start is None:
        start = git.run(root, "hash-object", "-t", "tree", "--stdin", input=b"").decode().strip()
    diff = git.Stream(root, *DIFF_ARGS, start, head)
    found = []
    try:
        scanner = staged.DiffScanner(needle=detect.PRAGMA)
        for chunk in scanner.chunks(diff.stdout):
            assert chunk.origin.path is not None
            for number, text in enumerate(chunk.data.split(b"\n")):
                if detect.PRAGMA in text:
                    found.append((chunk.origin.path, chunk.line + number, text))
    finally:
        diff.check()
    return found
