"""The lines that the staged change adds (`tokscan staged`), from one `git diff --cached`.

Only added lines are scanned, numbered as in the staged version of the file, so unstaged
edits, deleted lines and keys already in HEAD on untouched lines are never reported.
Renames (`-M`) show only the lines they change. Binary files (a NUL in the first 8000
bytes) and submodule entries are skipped; text that `.gitattributes` makes git call binary
is diffed again as text (`marked_binary`). Before the first commit git diffs against the
empty tree.

The diff itself is read by sources/diff.py. This module is on the pre-commit hook's hot
path: it imports nothing heavy.
"""

from __future__ import annotations

import os

from tokscan import git
from tokscan.sources.diff import DIFF_OPTIONS, DiffScanner

TYPE_CHECKING = False  # typing itself costs an import on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from tokscan.git.objects import ObjectReader
    from tokscan.model import Candidate, Chunk, Origin, Outcome
    from tokscan.sources.stream import Reading

DIFF_ARGS = ("diff", "--cached", *DIFF_OPTIONS)


def marked_binary(
    root: str, scanner: DiffScanner, reading: Reading
) -> tuple[list[Chunk], list[Outcome]]:
    """What the staged files that git showed as binary add.

    A text file that git calls binary only because `.gitattributes` says so (`binary`,
    `-diff`: common for lock files and minified code) is diffed again as text: chunks of its
    added lines. A file whose content has a NUL (a binary file, UTF-16 text, an archive) is
    read whole, as `tokscan scan` would, and the keys its staged version holds that its
    version in HEAD does not are what it adds (outcomes). `tokscan scan` and the history
    scans judge by content, so a key there would otherwise pass the hook and then fail CI.
    With `reading.binary` off, binary files stay skipped. `scanner`'s counts take in what
    this adds.
    """
    from tokscan.git.objects import ObjectReader
    from tokscan.sources.stream import BINARY_SNIFF, looks_binary

    files = _binary_files(git.run(root, *DIFF_ARGS, "--numstat", "-z"))
    text: list[str] = []
    outcomes: list[Outcome] = []
    with ObjectReader(root, names=True) as reader:
        for names in files:
            head = reader.head(":0:" + names[-1], BINARY_SNIFF)
            if head is None:
                continue
            if b"\0" not in head:
                text.extend(names)  # a rename's old name too, so that git pairs them again
                scanner.binary_files -= 1
            elif reading.binary or not looks_binary(head):
                outcome = _added_keys(reader, names, reading)
                scanner.binary_files -= 1
                scanner.files += 1
                scanner.bytes_added += outcome.size
                outcomes.append(outcome)
    if not text:
        return [], outcomes
    again = DiffScanner(scanner.wanted)
    diff = stream(root, ("--text", "--", *git.literal(text)))
    try:
        chunks = list(again.chunks(diff.stdout))
    finally:
        diff.check()
    scanner.bytes_added += again.bytes_added
    return chunks, outcomes


def _added_keys(reader: ObjectReader, names: tuple[str, ...], reading: Reading) -> Outcome:
    """The keys in a file's staged version that its version in HEAD (before a rename, the
    old name's) does not hold."""
    from tokscan.model import Origin, printable_path

    staged = _read_blob(reader, ":0:" + names[-1], Origin(printable_path(names[-1])), reading)
    if staged.candidates:
        before = _read_blob(reader, "HEAD:" + names[0], Origin(None), reading)
        old = {(c.key, c.inner_path) for c in before.candidates}
        staged.candidates = [c for c in staged.candidates if (c.key, c.inner_path) not in old]
    return staged


def _read_blob(reader: ObjectReader, name: str, origin: Origin, reading: Reading) -> Outcome:
    from tokscan.model import Outcome
    from tokscan.sources.stream import scan_stream

    header = reader.request(name)
    if header.kind != b"blob":  # not in HEAD (a new file), or not a file
        return Outcome(origin)
    read = reader.stream.reader(header.size)
    outcome = scan_stream(origin, read, header.size, reading)
    while read(1 << 20):  # what a skipped stream left unread
        pass
    return outcome


def added_names(root: str) -> list[Outcome]:
    """Keys in the names the staged change adds (detect/names.py), one outcome each, at the
    path of the name that holds it: a new file's, a rename's new one, or a folder's that
    HEAD does not have yet (a new file in a folder already so named adds no name)."""
    from tokscan import detect
    from tokscan.git.objects import tree_files
    from tokscan.model import Origin, Outcome, printable_path

    added = git.run(root, "diff", "--cached", "--name-only", "-z", "--no-renames",
                    "--diff-filter=A", "--no-relative", *git.DIFF_SAFETY)  # fmt: skip
    found: dict[tuple[str, str, int], tuple[str, Candidate]] = {}
    for path in git.split_z(added):
        for named, candidate in detect.in_name(path):
            found.setdefault((named, candidate.key, candidate.column), (named, candidate))
    if not found:
        return []
    names = sorted({named for named, _ in found.values()})
    in_head = {os.fsdecode(path) for path, _ in tree_files(root, "HEAD", git.literal(names))}
    return [
        Outcome(Origin(printable_path(named)), [candidate])
        for named, candidate in found.values()
        if named not in in_head and not any(p.startswith(named + "/") for p in in_head)
    ]


def _binary_files(numstat: bytes) -> list[tuple[str, ...]]:
    """The files `git diff --numstat -z` shows as binary (`-<TAB>-`): each as (path,), or as
    (old, new) for a rename, which -z writes as an empty path and then both names."""
    fields = numstat.split(b"\0")
    files = []
    i = 0
    while i < len(fields) and fields[i]:
        stat = fields[i]
        if stat.endswith(b"\t"):
            names, i = fields[i + 1 : i + 3], i + 3
        else:
            names, i = [stat.split(b"\t", 2)[2]], i + 1
        if stat.startswith(b"-\t-\t"):
            files.append(tuple(os.fsdecode(name) for name in names))
    return files


def stream(root: str, extra: tuple[str, ...] = ()) -> git.Stream:
    """Start the one git process that the staged scan needs."""
    return git.Stream(root, *DIFF_ARGS, *extra)


def outcomes(
    root: str, chunks: Iterable[Chunk], excluded: Callable[[str], bool]
) -> Iterator[Outcome]:
    """The keys in the added lines, one outcome each, less the paths the configuration
    excludes and, during a merge, the lines that a merged commit already has."""
    from tokscan import detect
    from tokscan.model import Outcome

    found = {}
    for chunk in chunks:
        path = chunk.origin.path
        if path is None or excluded(path):
            continue
        for candidate in detect.find(chunk):
            found[(path, candidate.line, candidate.column)] = (chunk.origin, candidate)
    for site in _already_merged(root, found):
        del found[site]
    for origin, candidate in found.values():
        yield Outcome(origin, [candidate])


def _already_merged(root: str, found: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """During a merge, added lines that one of the merged commits already has are not new:
    they were committed (and checked) on that branch. Only the merge's own additions stay."""
    sites = set(found)
    if not sites:
        return []
    from tokscan import detect

    merge_head = git.try_run(root, "rev-parse", "--git-path", "MERGE_HEAD")
    if merge_head is None:
        return []
    path = os.path.join(root, os.fsdecode(merge_head.strip()))
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split()
    except OSError:
        return []
    # Anything may write this file: only object ids are used, never text that git would
    # read as an option (`--output=FILE`) or a revision of the file's choosing.
    parents = [line.decode() for line in lines if _is_object_id(line)]
    keep = set(sites)
    for parent in parents:
        git_diff = stream(root, (parent,))
        scanner = DiffScanner()
        seen = set()
        try:
            for chunk in scanner.chunks(git_diff.stdout):
                for candidate in detect.find(chunk):
                    seen.add((chunk.origin.path, candidate.line, candidate.column))
        finally:
            git_diff.check()
        keep &= seen
    return [site for site in sites if site not in keep]


_HEX = frozenset(b"0123456789abcdef")


def _is_object_id(text: bytes) -> bool:
    """A full object id as git writes it: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits."""
    return len(text) in (40, 64) and _HEX.issuperset(text)
