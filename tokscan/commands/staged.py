"""`tokscan staged`: the keys that the staged change adds (the pre-commit hook).

The common case, a commit without keys, must cost little more than starting Python: one
`git diff --cached`, a scan for the key prefix, and no heavy imports. Only when added text
contains the prefix, or the user asked for a report, does the full pipeline load.
"""

from __future__ import annotations

import os

from tokscan import key as keyformat
from tokscan.sources import diff
from tokscan.sources import staged as source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from tokscan.model import Chunk
    from tokscan.options import Options


def run(options: Options) -> int:
    root = find_root()
    git_diff = source.stream(root)
    try:
        head = git_diff.stdout.read(_IN_MEMORY)
        plain = (
            options.format == "text" and options.write_baseline is None and options.output is None
        )
        # The fast path: nothing key-shaped was added, so there is nothing to say, whatever
        # the configuration (which is not even read: that would cost more than the rest).
        if (
            plain
            and len(head) < _IN_MEMORY
            and keyformat.PREFIX not in head
            and diff.BINARY_HEADER not in head
        ):
            return 0
        scanner = diff.DiffScanner()
        chunks = list(scanner.chunks(diff.Joined(head, git_diff.stdout)))
    finally:
        git_diff.check()
    if scanner.binary_files:
        chunks += source.marked_binary(root, scanner)
    return _report(root, chunks, scanner, options)


# A diff this small is read whole, so a clean commit costs one search for the key prefix.
_IN_MEMORY = 32 << 20


def _report(root: str, chunks: list[Chunk], scanner: diff.DiffScanner, options: Options) -> int:
    from pathlib import Path

    from tokscan import config as configuration
    from tokscan import detect
    from tokscan.commands import session
    from tokscan.model import Outcome, Where
    from tokscan.pipeline import collect

    config = session.load_config(Path(root), options)
    excluded = configuration.excluder(config.exclude)
    report = collect.new_report("staged", root)
    collector = collect.Collector(report, session.suppressor(config, options))
    skipped = {"binary": scanner.binary_files} if scanner.binary_files else {}
    collector.count(scanner.files, scanner.bytes_added, skipped)  # the unit is a staged file
    candidates = {}
    for chunk in chunks:
        path = chunk.origin.path
        if path is None or excluded(path):
            continue
        for candidate in detect.find(chunk):
            candidates[(path, candidate.line, candidate.column)] = (chunk.origin, candidate)
    for key_site in _already_merged(root, candidates):
        del candidates[key_site]
    for origin, candidate in candidates.values():
        outcome = Outcome(origin, [candidate])
        collector.add(outcome, Where.STAGED, tally=False, present_at_head=False)
    return session.conclude(report, options, quiet_when_clean=True)


def _already_merged(
    root: str, candidates: Mapping[tuple[str, int, int], object]
) -> list[tuple[str, int, int]]:
    """During a merge, added lines that one of the merged commits already has are not new:
    they were committed (and checked) on that branch. Only the merge's own additions stay."""
    if not candidates:
        return []
    from tokscan import git

    merge_head = git.try_run(root, "rev-parse", "--git-path", "MERGE_HEAD")
    if merge_head is None:
        return []
    path = os.path.join(root, os.fsdecode(merge_head.strip()))
    try:
        with open(path) as handle:
            parents = [line.strip() for line in handle if line.strip()]
    except OSError:
        return []
    keep = set(candidates)
    for parent in parents:
        git_diff = source.stream(root, (parent,))
        scanner = diff.DiffScanner()
        from tokscan import detect

        found = set()
        try:
            for chunk in scanner.chunks(git_diff.stdout):
                for candidate in detect.find(chunk):
                    found.add((chunk.origin.path, candidate.line, candidate.column))
        finally:
            git_diff.check()
        keep &= found
    return [site for site in candidates if site not in keep]


def find_root() -> str:
    """The work tree's top folder, found without running git when possible: hooks run there,
    and walking up to the `.git` entry is cheaper than a second git process."""
    work_tree = os.environ.get("GIT_WORK_TREE")
    if work_tree:
        return os.path.abspath(work_tree)
    here = os.getcwd()
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    from tokscan import git
    from tokscan.errors import TokscanError

    top = git.toplevel(here)
    if top is None:
        raise TokscanError("not in a git work tree: `tokscan staged` scans what `git add` staged")
    return str(top)
