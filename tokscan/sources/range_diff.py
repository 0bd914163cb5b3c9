"""The lines a commit range adds, from one `git diff` of its start against its head.

`tokscan ci` lists the `tokscan:allow` pragmas a range adds for review (SPEC §6): the
diff runs into a temporary file while the history scan runs (reading the changed blobs is
most of its cost), and then yields each added line that holds the pragma, with the keys on
it. pipeline/pragmas.py decides what a reviewer is shown.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import NamedTuple

from tokscan import detect, git
from tokscan.errors import TokscanError
from tokscan.git.objects import read_errors
from tokscan.model import Candidate, Chunk, Origin
from tokscan.sources import diff

DIFF_ARGS = ("diff", *diff.DIFF_OPTIONS)


def _holds_pragma(data: bytes) -> bool:
    return detect.PRAGMA in data


class PragmaLine(NamedTuple):
    path: str
    line: int  # in the head's version of the file
    keys: list[Candidate]  # the keys on the line (which the pragma hides)


class RangeDiff:
    """A context manager: the diff starts at once and is read when `pragma_lines` asks."""

    def __init__(self, root: Path, start: str | None, head: str) -> None:
        if start is None:  # no base: everything at head is added
            empty = git.run(root, "hash-object", "-t", "tree", "--stdin", input=b"")
            start = empty.decode().strip()
        # Closed by __exit__: a RangeDiff is used as a context manager.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = git.popen(
            root, *DIFF_ARGS, start, head, stdout=self._output, stderr=self._errors
        )

    def __enter__(self) -> RangeDiff:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:  # the scan failed: the diff is not needed
            self._process.kill()
            self._process.wait()
        self._output.close()
        self._errors.close()

    def pragma_lines(self) -> list[PragmaLine]:
        """Each added line that holds the pragma, in diff order."""
        if self._process.wait() != 0:
            raise TokscanError(f"git diff failed: {read_errors(self._errors)}")
        self._output.seek(0)
        found = []
        for chunk in diff.DiffScanner(wanted=_holds_pragma).chunks(self._output):
            path = chunk.origin.path
            assert path is not None
            for number, text in enumerate(chunk.data.split(b"\n")):
                if detect.PRAGMA in text:
                    line = chunk.line + number
                    keys = [c for c in detect.find(Chunk(text, Origin(path), line=line))
                            if c.pragma]
                    found.append(PragmaLine(path, line, keys))
        return found
