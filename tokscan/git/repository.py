"""Where the repository is, and what a clone of it may lack.

`work_tree_top` finds the top of the work tree a hook runs in, cheaply (the pre-commit
hook's path); `open_repository` opens a repository for a history scan once, and the
command hands it to the planners (ranges/) and the history engine. `git.toplevel` is what
both fall back on.

Plain classes, no dataclasses or typing: this module is on the pre-commit hook's path.
"""

from __future__ import annotations

import os

from tokscan import git
from tokscan.errors import TokscanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


class Repository:
    __slots__ = ("hex_length", "partial", "root", "shallow")

    def __init__(self, root: Path, shallow: bool, partial: bool, hex_length: int) -> None:
        self.root = root  # the work tree's top, or the git directory of a bare repository
        self.shallow = shallow
        self.partial = partial  # a partial clone: blobs may have been filtered out
        self.hex_length = hex_length  # 40 for SHA-1, 64 for SHA-256

    def __repr__(self) -> str:
        return f"Repository({self.root!s}, shallow={self.shallow}, partial={self.partial})"


def work_tree_top(start: str | None = None) -> str | None:
    """The top folder of the work tree at or above `start` (default: here), found without
    running git when possible: hooks run there, and walking up to the `.git` entry is
    cheaper than a second git process. None outside a work tree."""
    work_tree = os.environ.get("GIT_WORK_TREE")
    if work_tree:
        return os.path.abspath(work_tree)
    here = os.path.abspath(start) if start is not None else os.getcwd()
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    top = git.toplevel(here)
    return None if top is None else str(top)


def open_repository(path: Path) -> Repository:
    """The repository at or above `path`; a clear error when there is none."""
    from pathlib import Path

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
