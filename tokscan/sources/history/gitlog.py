"""The tree-diff pass of a history audit: what each commit changed, from one `git log --raw`.

git compares trees, never file contents, so this pass is cheap (about a third of the time
git needs to decompress every blob) and it can run while the blobs are scanned. Its output
goes to a file and is read back once the scan knows which blobs hold keys.

Merges are diffed against their first parent only (`--diff-merges=first-parent`): a merge
lists the paths the merged branches changed, and the attribution asks the other parents
about the few such paths that hold keys. Diffing against every parent (`-m`) would list,
for every merge, everything the mainline did since the branch forked.

Renames are not detected (`--no-renames`): git would read blobs to compare them, and the
attribution only needs to know that a key left one path and arrived at another in the same
commit.

`LogPass` runs the pass; `commits` parses what it wrote, and `commits_naming` only the
commits whose records name given objects (each commit's place in the file is `Commit.start`).
"""

from __future__ import annotations

import bisect
import io
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.git.objects import read_errors

# Each commit starts with \x01 (so a parser never mistakes a header for anything else);
# fields are NUL-separated like the raw diff entries after them (-z). `%e` is the
# encoding the commit declares (none: UTF-8): git re-encodes `%B` from it, whatever the
# bytes are (see Commit.encoding).
_FORMAT = "%x01%H %P%x00%an <%ae>%x00%cI%x00%e%x00%B"

GITLINK = b"160000"


def arguments(revisions: Sequence[str]) -> list[str]:
    """`git log` arguments for the pass over `revisions` (rev-list arguments)."""
    return [
        "log",
        "--raw",
        "-z",
        "--no-abbrev",
        "--root",
        "--no-renames",
        "--diff-merges=first-parent",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--no-relative",
        "--no-show-signature",
        f"--format={_FORMAT}",
        *revisions,
    ]


class LogPass:
    """`git log --raw` over the revisions, written to a file while the blobs are scanned."""

    def __init__(self, root: Path, revisions: Sequence[str], directory: Path) -> None:
        self.path = directory / "log"
        self._output = self.path.open("wb")
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (open while git runs)
        paths: list[str] = []
        if "--" in revisions:
            at = list(revisions).index("--")
            revisions, paths = revisions[:at], list(revisions[at + 1 :])
        argv, listed = git.revision_input(revisions)
        stdin = None
        if listed is not None:
            stdin = tempfile.TemporaryFile()  # noqa: SIM115 (git reads it as it starts)
            stdin.write(listed)
            stdin.seek(0)
        try:
            # `--` always: a revision that is also a file's name is a revision
            self._process = git.popen(
                root,
                *git.LEAN,
                *arguments([*argv, "--", *paths]),
                stdin=stdin,
                stdout=self._output,
                stderr=self._errors,
            )
        finally:
            if stdin is not None:
                stdin.close()

    def finished(self) -> bool:
        return self._process.poll() is not None

    def wait(self) -> None:
        code = self._process.wait()
        self._output.close()
        if code != 0:
            raise TokscanError(f"git log failed: {read_errors(self._errors)}")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._output.close()
        self._errors.close()


# One changed path: (old mode, new mode, old oid, new oid, status letter, path), as bytes.
Change = tuple[bytes, bytes, bytes, bytes, bytes, bytes]


@dataclass
class Commit:
    oid: str
    parents: list[str]
    author: str  # "Name <email>"
    date: str  # committer date, ISO 8601; "" when the commit has none
    message: bytes
    changes: list[Change] = field(default_factory=list)
    # The encoding the commit declares, "" for none. git stores the message as typed and
    # only labels it (`i18n.commitEncoding`), then re-encodes it for `%B`: a UTF-8 message
    # labelled UTF-16 comes out as nonsense, so such a message is read raw too.
    encoding: str = ""
    start: int = 0  # where the commit's record starts in the output file


def commits(handle: IO[bytes]) -> Iterator[Commit]:
    """The commits in a `git log` output file written with `arguments()`."""
    where = [0]  # the offset of the token last read
    tokens = _tokens(handle, where)
    commit: Commit | None = None
    for token in tokens:
        if token[:1] == b"\x01":
            if commit is not None:
                yield commit
            start = where[0]
            ids = token[1:].decode("ascii").split(" ")
            author = _next(tokens).decode("utf-8", "replace")
            date = _next(tokens).decode("ascii", "replace")
            if not date[:1].isdigit():  # no committer line (a malformed commit): git prints "%cI"
                date = ""
            encoding = _next(tokens).decode("ascii", "replace")
            commit = Commit(ids[0], [p for p in ids[1:] if p], author, date, _next(tokens),
                            encoding=encoding, start=start)  # fmt: skip
        elif token[:1] == b":" or token[:2] == b"\n:":
            fields = token.lstrip(b"\n")[1:].split(b" ")
            path = _next(tokens)
            if commit is None or len(fields) != 5:
                raise TokscanError("unexpected output from git log --raw")
            old_mode, new_mode, old, new, status = fields
            commit.changes.append((old_mode, new_mode, old, new, status[:1], path))
        elif token not in (b"", b"\n"):
            raise TokscanError("unexpected output from git log --raw")
    if commit is not None:
        yield commit


def _next(tokens: Iterator[bytes]) -> bytes:
    try:
        return next(tokens)
    except StopIteration:
        raise TokscanError("git log output ended in the middle of a commit") from None


def commits_naming(
    path: Path, starts: Sequence[int], oids: Collection[bytes], limit: int = 24,
    block: int = 8 << 20,
) -> Iterator[Commit]:  # fmt: skip
    """The commits, in file order, whose records in the output file at `path` name any of
    `oids` (and perhaps a few more that mention one elsewhere); `starts`: every commit's
    `start`, in order. The file is read once, in blocks, and each object looked for in
    each block (15 ms an object on git/git's 90 MB): past `limit` objects, every commit is
    read instead."""
    with path.open("rb") as handle:
        if len(oids) > limit:
            yield from commits(handle)
            return
        if not oids or not starts:
            return
        found: set[int] = set()
        overlap = max(len(oid) for oid in oids) - 1  # an object cut by a block's end
        offset, kept = 0, b""  # `kept`: the end of the last block, before `offset`
        while chunk := handle.read(block):
            data = kept + chunk
            base = offset - len(kept)
            for oid in oids:
                at = data.find(oid)
                while at >= 0:
                    found.add(bisect.bisect_right(starts, base + at) - 1)
                    at = data.find(oid, at + 1)
            offset += len(chunk)
            kept = data[-overlap:] if overlap else b""
        for index in sorted(found - {-1}):
            handle.seek(starts[index])
            end = starts[index + 1] if index + 1 < len(starts) else offset
            yield from commits(io.BytesIO(handle.read(end - starts[index])))


def _tokens(handle: IO[bytes], where: list[int], block: int = 4 << 20) -> Iterator[bytes]:
    """The NUL-separated tokens; `where[0]` is set to each one's offset as it is given."""
    tail = b""
    base = 0  # the offset of `tail`
    while True:
        data = handle.read(block)
        if not data:
            break
        parts = (tail + data).split(b"\0")
        tail = parts.pop()
        for part in parts:
            where[0] = base
            yield part
            base += len(part) + 1
    if tail:
        where[0] = base
        yield tail
