"""Files and directories on disk, and standard input (`tokscan scan`).

In a git work tree, `tokscan scan` alone scans the files git knows: tracked files plus
untracked files that are not ignored (`--all-files` adds ignored ones). A file or folder
the user names is scanned whole, ignored or not: naming it is asking for it. Outside git,
every file. `.git/`
is never entered and symbolic links are never followed, so a scan cannot leave its root
or loop. Files are read with O_NOFOLLOW and only when they are regular files.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tokscan import git
from tokscan.model import Origin, Outcome, printable_path
from tokscan.sources.stream import (
    CHUNK_SIZE,
    DEFAULT_READING,
    Reading,
    looks_binary,
    scan_stream,
    worth_reading,
)

if TYPE_CHECKING:
    from tokscan.sources.early import Listing

_UNREADABLE_DIRECTORY = r"warning: could not open directory '(.*)': (.*)"  # compiled if needed
STDIN = "<stdin>"


class Target(tuple):  # type: ignore[type-arg]
    """A file to scan: `path`, what reports show (relative to the root, "/"-separated),
    and `real`, where it is on disk. A tuple: tens of thousands are made per scan, and
    cheaply (written out rather than a NamedTuple, which costs a millisecond to define)."""

    __slots__ = ()

    def __new__(cls, path: str, real: str) -> Target:
        return tuple.__new__(cls, (path, real))

    def __getnewargs__(self) -> tuple[str, str]:
        return (self[0], self[1])

    @property
    def path(self) -> str:
        return self[0]  # type: ignore[no-any-return]

    @property
    def real(self) -> str:
        return self[1]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Target(path={self[0]!r}, real={self[1]!r})"


def find_root(paths: list[Path], listing: Listing | None = None) -> tuple[Path, bool]:
    """The root that report paths are relative to, and whether it is a git work tree.
    `listing`: git's answers for the current folder, asked early (sources/early.py)."""
    if listing is not None and paths == [Path(".")]:
        asked_early = listing.toplevel()
        if asked_early is not None:
            return Path(asked_early), True
    first = paths[0] if paths else Path(".")
    probe = first if first.is_dir() else first.parent
    top = git.toplevel(probe)
    if top is not None:
        return top, True
    if len(paths) <= 1:
        return probe.resolve(), False
    parents = [str((p if p.is_dir() else p.parent).resolve()) for p in paths]
    return Path(os.path.commonpath(parents)), False


def list_targets(
    paths: list[Path],
    root: Path,
    in_git: bool,
    all_files: bool,
    excluded: Callable[[str], bool],
    asked: bool = True,
    listing: Listing | None = None,
) -> Iterator[Target | Outcome]:
    """The files to scan under `paths`; an Outcome for a path that does not exist.

    `asked`: the user named `paths` (rather than the default, the current folder), so git's
    ignore rules do not apply under them: a folder git ignores is still scanned, whole.
    `listing`: git's list of the current folder, asked early (sources/early.py), used when
    the current folder is the root and nothing else is listed."""
    directories: list[Path] = []
    listed: list[Iterator[tuple[str, str] | Outcome]] = []
    for given in paths:
        # A directory named on the command line is entered even through a symbolic link
        # (like `find -H`); links found inside it are never followed.
        named = given.resolve() if given.is_dir() else given.parent.resolve() / given.name
        if ".git" in named.parts:  # even when asked: git's own files are not source
            yield Outcome(Origin(printable_path(os.fspath(given))), skipped="git directory")
        elif given.is_dir():
            directories.append(named)
        elif os.path.lexists(given):  # a file named on the command line is always scanned
            listed.append(iter([(relative(named, root), os.fspath(given))]))
        else:
            yield Outcome(
                Origin(printable_path(os.fspath(given))), error="no such file or directory"
            )
    in_repository = [d for d in directories if in_git and (d == root or root in d.parents)]
    if in_repository:
        early = None
        if (
            listing is not None
            and in_repository == [root]
            and listing.all_files == (all_files or asked)
            and os.path.realpath(listing.folder) == os.path.realpath(root)
        ):
            early = listing.files()
        listed.append(_git_files(root, in_repository, all_files or asked, excluded, early))
    # Directories outside the repository (or outside git) are plain directories.
    listed.extend(_walk(d, root, excluded) for d in directories if d not in in_repository)
    seen: set[str] = set()
    for item in itertools.chain.from_iterable(listed):
        if isinstance(item, Outcome):
            yield item
            continue
        path, real = item
        if path in seen or (".git" in path and ".git" in path.split("/")):
            continue
        if excluded(path):  # counted, so that a config cannot hide files without a trace
            seen.add(path)
            yield Outcome(Origin(printable_path(path)), skipped="excluded")
            continue
        seen.add(path)
        yield Target(printable_path(path), real)


def relative(real: Path, root: Path) -> str:
    """`real` relative to `root`, "/"-separated; absolute when it lies outside the root."""
    path = os.path.relpath(real, root)
    if path == ".." or path.startswith(".." + os.sep):
        return real.absolute().as_posix()
    return path.replace(os.sep, "/")


def _git_files(
    root: Path,
    directories: list[Path],
    all_files: bool,
    excluded: Callable[[str], bool],
    early: tuple[bytes, list[str]] | None = None,
) -> Iterator[tuple[str, str] | Outcome]:
    if early is not None:  # what the same command said, run at the root before the imports
        output, warnings = early
    else:
        specs = [relative(d, root) for d in directories]
        pathspecs = [] if "." in specs else git.literal(specs)
        args = ["ls-files", "-z", "--cached", "--others"]
        if not all_files:
            args.append("--exclude-standard")
        warnings = []
        output = git.run(root, *args, "--", *pathspecs, warnings=warnings)
    # git lists what it can and only warns about a directory it cannot read: that makes the
    # scan incomplete, so every warning becomes an error (fail closed).
    for warning in warnings:
        unreadable = re.match(_UNREADABLE_DIRECTORY, warning)
        if unreadable:
            path, why = unreadable.groups()
            yield Outcome(Origin(printable_path(path.rstrip("/"))),
                          error=f"cannot list directory: {why.lower()}")
        elif warning.strip():
            yield Outcome(Origin(None), error=f"git ls-files: {warning.strip()}")
    base = os.fspath(root)
    prefix = os.path.join(base, "")  # os.path.join(base, path) for git's relative paths
    for path in git.split_z(output):
        if path.endswith("/"):  # an untracked nested repository, which git does not enter
            yield from _walk(Path(base, path), root, excluded)
        else:
            yield path, prefix + path


def _walk(
    top: Path, root: Path, excluded: Callable[[str], bool]
) -> Iterator[tuple[str, str] | Outcome]:
    """The files under `top`, depth first in name order, without recursion: a tree may be
    deeper than Python's recursion limit (os.walk recurses before Python 3.12)."""
    pending = [os.fspath(top)]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as error:
            yield _unreadable(error, directory, root)
            continue
        subdirectories: list[str] = []
        files: list[str] = []
        for entry in entries:
            try:
                is_directory = entry.is_dir()  # through a link too: handled below
            except OSError:
                is_directory = False
            (subdirectories if is_directory else files).append(entry.name)
        prefix = relative(Path(directory), root)
        prefix = "" if prefix == "." else prefix + "/"
        kept = []
        for name in sorted(subdirectories):
            if name == ".git":
                continue
            if excluded(prefix + name + "/"):  # a whole folder, counted as one
                yield Outcome(Origin(printable_path(prefix + name)), skipped="excluded")
                continue
            if os.path.islink(os.path.join(directory, name)):
                files.append(name)  # a link to a directory: listed, then skipped as a link
                continue
            kept.append(name)
        for name in sorted(files):
            yield prefix + name, os.path.join(directory, name)
        pending.extend(os.path.join(directory, name) for name in reversed(kept))


def _unreadable(error: OSError, directory: str, root: Path) -> Outcome:
    path = relative(Path(os.fsdecode(error.filename or directory)), root)
    return Outcome(
        Origin(printable_path(path)), error=f"cannot list directory: {describe(error)}"
    )


def scan(target: Target, reading: Reading = DEFAULT_READING) -> Outcome:
    """Read one file (streamed when large) and find the keys in it."""
    opened = open_target(target)
    if isinstance(opened, Outcome):
        return opened
    fd, size = opened
    try:
        read, outcome = scan_open(target, fd, size, reading)
    finally:
        os.close(fd)
    return outcome if outcome is not None else Outcome(Origin(target.path), size=read)


OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def open_target(target: Target) -> tuple[int, int] | Outcome:
    """(file descriptor, size) of a regular file, open for reading; else why it is not
    read. The caller closes the descriptor.

    O_NOFOLLOW refuses symbolic links and O_NONBLOCK keeps a FIFO from blocking the scan;
    only regular files are read.
    """
    try:
        fd = os.open(target.real, OPEN_FLAGS)
    except FileNotFoundError:
        return Outcome(Origin(target.path), skipped="missing")  # deleted from the work tree
    except OSError as error:
        if error.errno == errno.ELOOP or os.path.islink(target.real):
            return Outcome(Origin(target.path), skipped="symlink")
        if error.errno == errno.ENXIO:  # a socket, which cannot be opened and holds no content
            return Outcome(Origin(target.path), skipped="special file")
        return Outcome(Origin(target.path), error=describe(error))
    try:
        st = os.fstat(fd)
    except OSError as error:
        os.close(fd)
        return Outcome(Origin(target.path), error=describe(error))
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        why = "submodule" if stat.S_ISDIR(st.st_mode) else "special file"
        return Outcome(Origin(target.path), skipped=why)
    return fd, st.st_size


def scan_open(
    target: Target, fd: int, size: int, reading: Reading, head: bytes | None = None
) -> tuple[int, Outcome | None]:
    """(bytes read, None) for an open file with no key-shaped text, else (0, its outcome).
    `head`: what was already read from `fd` (one byte more than `size` was asked for)."""
    try:
        if head is None and size < CHUNK_SIZE:
            # One read of one byte more than the size: a small file needs a single call.
            head = os.read(fd, size + 1)
        if head is not None and len(head) <= size and not worth_reading(head):
            if not reading.binary and looks_binary(head):
                return 0, Outcome(Origin(target.path), skipped="binary")
            return len(head), None
        read = lambda n: os.read(fd, n)  # noqa: E731
        return 0, scan_stream(Origin(target.path), read, size, reading, head or b"")
    except OSError as error:
        return 0, Outcome(Origin(target.path), error=describe(error))


def scan_stdin(stream: BinaryIO, reading: Reading = DEFAULT_READING) -> Outcome:
    try:
        return scan_stream(Origin(STDIN), stream.read, CHUNK_SIZE, reading)
    except OSError as error:
        return Outcome(Origin(STDIN), error=describe(error))


def describe(error: OSError) -> str:
    """An OSError in words, for a report."""
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)
