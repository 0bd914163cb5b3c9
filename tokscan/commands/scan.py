"""`tokscan scan [PATH]...`: files and directories on disk, or standard input."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from tokscan import detect, keyformat, parallel
from tokscan.commands.session import Session
from tokscan.detect import matcher
from tokscan.errors import ExitCode
from tokscan.model import Origin, Outcome, Where
from tokscan.options import Options
from tokscan.sources import filebatch, files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokscan.sources.early import Listing


def run(
    options: Options, paths: list[str], all_files: bool = False, listing: Listing | None = None
) -> ExitCode:
    """`listing`: git's answers for the current folder, asked before the imports
    (sources/early.py; the default scan only)."""
    try:
        return _run(options, paths, all_files, listing)
    finally:
        if listing is not None:
            listing.close()


def _run(
    options: Options, paths: list[str], all_files: bool, listing: Listing | None
) -> ExitCode:
    read_stdin = "-" in paths
    on_disk = [Path(p) for p in paths if p != "-"]
    named = bool(on_disk)  # a folder the user names is scanned whole, ignored files too
    if not on_disk and not read_stdin:
        on_disk = [Path(".")]
    root, in_git = files.find_root(on_disk or [Path(".")], listing)
    session = Session.open(options, "files", root)
    collector = session.collector
    if read_stdin and sys.stdin is None:  # started with standard input closed
        collector.error(files.STDIN, "standard input is closed")
    elif read_stdin:
        collector.add(files.scan_stdin(sys.stdin.buffer, session.reading), Where.WORKTREE)
    targets = []
    for item in files.list_targets(
        on_disk, root, in_git, all_files, session.excluded, named, listing
    ):
        if isinstance(item, Outcome):
            collector.add(item, Where.WORKTREE)
            if item.skipped == "excluded" and item.origin.path is not None:
                _names(session, item.origin.path, excluded=True)
        else:
            targets.append(item)
            if _PREFIX in item.path:  # what detect.in_name looks for first, asked cheaply
                _names(session, item.path)
    jobs = session.jobs if len(targets) >= _PARALLEL_FROM else 1
    if targets:
        matcher.engine()  # loaded once, before the workers fork, rather than in each
    batches = _batches(targets) if jobs > 1 else [targets]
    scan_batch = partial(filebatch.scan_batch, reading=session.reading)
    for batch in parallel.map_shared(scan_batch, batches, jobs):
        collector.count(batch.files, batch.size)  # files with nothing key-shaped
        for outcome in batch.outcomes:
            collector.add(outcome, Where.WORKTREE)
    return session.conclude()


def _batches(targets: list[files.Target]) -> list[list[files.Target]]:
    """The targets in batches for the workers' shared queue, files named like archives
    first, one a batch: walking an archive can cost more than a thousand small files, so
    whichever process takes one early, the other keeps taking the small batches and both
    finish together. (Only the order: whether a file is an archive is told from its
    bytes, whatever its name.)"""
    named = [t.path.lower().endswith(_ARCHIVE_NAMES) for t in targets]
    heavy = [t for t, archive in zip(targets, named, strict=True) if archive]
    light = [t for t, archive in zip(targets, named, strict=True) if not archive]
    # One a batch for the first few hundred; a tree of thousands of archives is batched
    # like any other (the queue holds a limited number of batches).
    first, rest = heavy[:_ALONE], heavy[_ALONE:] + light
    return [[t] for t in first] + [rest[i : i + _BATCH] for i in range(0, len(rest), _BATCH)]


_PREFIX = keyformat.PREFIX.decode()
_ALONE = 256
_ARCHIVE_NAMES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".jar", ".whl", ".7z")


def _names(session: Session, path: str, excluded: bool = False) -> None:
    """Keys in the names along a listed path (a file's, or a folder's on the way to it):
    each a finding at the name that holds it, once however many files that folder has. The
    names of an excluded path are counted as suppressed, as its keys are."""
    for named, candidate in detect.in_name(path):
        session.collector.add(
            Outcome(Origin(named), [candidate]), Where.WORKTREE, tally=False, excluded=excluded
        )


# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_FROM = 256
_BATCH = 64
