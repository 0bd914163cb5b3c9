"""The repository a history scan runs in: where it is and what a clone of it may lack.

A command opens it once and hands it to the planners (ranges/) and the history engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokscan import git
from tokscan.errors import TokscanError


@dataclass(frozen=True)
class Repository:
    root: Path  # the work tree's top, or the git directory of a bare repository
    shallow: bool
    partial: bool  # a partial clone: blobs may have been filtered out
    hex_length: int  # 40 for SHA-1, 64 for SHA-256


def open_repository(path: Path) -> Repository:
    """The repository at or above `path`; a clear error when there is none."""
    if not path.is_dir():
        raise TokscanError(f"not a directory: {path}")
    try:
        output = git.run(
            path,
            "rev-parse",
            "--absolute-git-dir",
            "--is-bare-repository",
            "--is-shallow-repository",
            "--show-object-format",
        )
    except TokscanError:
        raise TokscanError(f"not a git repository: {path.absolute()}") from None
    lines = output.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 4:
        raise TokscanError(f"not a git repository: {path.absolute()}")
    git_dir, bare, shallow, object_format = lines
    root = Path(git_dir)
    if bare != "true":
        top = git.toplevel(path)
        root = top if top is not None else Path(git_dir)
    # A partial clone names a promisor remote (and, on newer git, extensions.partialClone).
    promisors = git.run(
        path,
        "config",
        "--get-regexp",
        r"^(extensions\.partialclone|remote\..*\.promisor)$",
        check=False,
    ).split(b"\n")
    partial = any(line.split(b" ", 1)[-1] not in (b"", b"false") for line in promisors if line)
    return Repository(
        root=root,
        shallow=shallow == "true",
        partial=partial,
        hex_length=64 if object_format == "sha256" else 40,
    )
