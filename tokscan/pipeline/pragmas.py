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

import tempfile
from collections.abc import Callable
from pathlib import Path

from tokscan import detect, git
from tokscan.errors import TokscanError
from tokscan.git.objects import read_errors
from tokscan.model import Chunk, Finding, Origin, PragmaSite, Report, Where
from tokscan.sources import diff

DIFF_ARGS = ("diff", *diff.DIFF_OPTIONS)


class Diff:
    """`git diff` of the range's start against its head, run into a temporary file while
    the scan runs (reading the changed blobs is most of its cost)."""

    def __init__(self, root: Path, start: str | None, head: str) -> None:
        if start is None:  # no base: everything at head is added
            empty = git.run(root, "hash-object", "-t", "tree", "--stdin", input=b"")
            start = empty.decode().strip()
        # Closed by __exit__: a Diff is used as a context manager.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = git.popen(
            root, *DIFF_ARGS, start, head, stdout=self._output, stderr=self._errors
        )

    def __enter__(self) -> Diff:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:  # the scan failed: the diff is not needed
            self._process.kill()
            self._process.wait()
        self._output.close()
        self._errors.close()

    def pragma_lines(self) -> list[tuple[str, int, bytes]]:
        """(path, line at head, the line) for each added line that holds the pragma."""
        if self._process.wait() != 0:
            raise TokscanError(f"git diff failed: {read_errors(self._errors)}")
        self._output.seek(0)
        found = []
        for chunk in diff.DiffScanner(needle=detect.PRAGMA).chunks(self._output):
            assert chunk.origin.path is not None
            for number, text in enumerate(chunk.data.split(b"\n")):
                if detect.PRAGMA in text:
                    found.append((chunk.origin.path, chunk.line + number, text))
        return found


def added(report: Report, diff: Diff, excluded: Callable[[str], bool]) -> list[PragmaSite]:
    """The pragmas to review: those that hid a key in the scan, then the diff's."""
    sites = [
        PragmaSite(f.path, f.line, f.commit, f) for why, f in report.suppressed if why == "pragma"
    ]
    listed = {(site.path, f.fingerprint) for site in sites if (f := site.finding)}
    for path, line, data in diff.pragma_lines():
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
