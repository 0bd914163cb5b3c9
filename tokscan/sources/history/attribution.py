"""Attribution: from the blobs that hold keys to the commits that introduced them (SPEC §4).

It reads the tree-diff pass (gitlog.py) once, commit by commit:

- a commit introduces a key at a path when its version of the path holds the key and none
  of its parents' versions does; a key that stays through later edits is one finding;
- merges are compared with their first parent, and a path whose key the first parent lacks
  is looked up in the other parents: an ordinary merge finds it there (the key belongs to
  the branch commit that added it), an evil merge does not (the key is the merge's);
- a key that leaves a deleted path and arrives at an added path in the same commit has
  moved (a rename): it keeps the commit that first introduced it;
- `present_at_head` is whether the tip of the default branch still holds the key at that
  path, or where a rename took it; `refs_at_tip` the same for every ref's tip.

Keys in commit messages are found here too (path None, the line within the message), and
keys in names (detect/names.py): a commit introduces a key in a name when it adds a path
holding that name and none of its parents has the name (a file, or a folder with anything
in it); it is reported at the name's own path, line 1, the column in that path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, NamedTuple

from tokscan import detect, git, keyformat
from tokscan.git.objects import tree_files
from tokscan.git.repository import Repository
from tokscan.model import Candidate, Chunk, Origin, printable_path
from tokscan.sources.history import gitlog, reftips
from tokscan.sources.history.blobkeys import BlobKeys


class CommitInfo(NamedTuple):
    oid: str
    author: str
    date: str


@dataclass
class Introduction:
    """Keys that a commit put at a path (path None: in the commit or tag message)."""

    commit: CommitInfo
    path: bytes | None
    blob: bytes | None
    hits: list[Candidate]
    keys: set[str] = field(default_factory=set)  # the keys in `hits`, for a quick test


def needed_blobs(handle: IO[bytes]) -> dict[bytes, None]:
    """The blobs that the commits in a tree-diff output add (an ordered set): those the
    attribution asks about, so those a range scan reads first."""
    needed: dict[bytes, None] = {}
    for commit in gitlog.commits(handle):
        for _, new_mode, _, new, status, _ in commit.changes:
            if status != b"D" and new_mode != gitlog.GITLINK:
                needed[new] = None
    return needed


_ABSENT = (b"000000", gitlog.GITLINK)
_MISSING = "missing from the object database"


class Attribution:
    """The introductions of the keys in `keys`' blobs, from the commits given to `run`.

    A commit is read in two parts: its facts (`read_facts`: counts, the message, names,
    submodules, blobs missing from the object database), which need nothing from the blob
    scan, and what its blobs say (`_blobs`). `run` reads both for every commit. A full audit
    reads the facts while the blobs are scanned (facts.py), then the blob part only for
    the commits that name a blob with keys or an unreadable one (`run_selected`): on a clean
    history, a handful or none."""

    def __init__(
        self,
        repo: Repository,
        keys: BlobKeys | None,
        present: Container[bytes] | None,
        first_parent_only: bool,
        excluded: Callable[[str], bool],
    ) -> None:
        self.repo = repo
        self._keys = keys  # given later (`attach`) when the facts are read during the scan
        self.present = present
        self.first_parent_only = first_parent_only
        self.excluded = excluded
        self.introductions: dict[tuple[str, bytes | None, bytes | None], Introduction] = {}
        self.moves: dict[tuple[str, bytes], set[bytes]] = {}  # (key, from path) -> to paths
        self.seen: set[bytes] = set()  # blobs with keys that some commit added
        self.missing: set[bytes] = set()  # blobs commits add that `present` lacks
        self.errors: list[tuple[str, str]] = []  # (path, message)
        self.commits = 0
        self.message_bytes = 0
        self.submodules = 0
        self._reported: set[bytes] = set()
        # merge commit -> (its other parents, [(path, blob, hit)]) to check afterwards
        self._merges: dict[
            str, tuple[CommitInfo, list[str], list[tuple[bytes, bytes, Candidate]]]
        ] = {}
        # commit -> (its parents, {a name's path: its keys}): names it may introduce
        self._names: dict[str, tuple[CommitInfo, list[str], dict[bytes, list[Candidate]]]] = {}

    @property
    def keys(self) -> BlobKeys:
        if self._keys is None:
            raise RuntimeError("the blob scan's keys are not attached yet")
        return self._keys

    def attach(self, keys: BlobKeys) -> None:
        self._keys = keys

    def run(self, commits: Iterator[gitlog.Commit]) -> None:
        """Read every commit whole."""
        for commit in commits:
            self.read_facts(commit)
            self._blobs(commit)
        self._finish()

    def run_selected(self, log: Path, starts: Sequence[int]) -> None:
        """The blob part of the commits whose facts `read_facts` has read, from the log
        file at `log` (`starts`: each commit's `start`): only the commits that name a blob
        with keys or one that cannot be read do anything there."""
        unreadable = self.keys.blobs.unreadable
        for oid in self.missing:
            unreadable.setdefault(oid, _MISSING)
        wanted = [*self.keys.blobs.hits, *unreadable]
        for commit in gitlog.commits_naming(log, starts, wanted):
            self._blobs(commit)
        self._finish()

    def _finish(self) -> None:
        self._check_merges()
        self._check_names()

    def read_facts(self, commit: gitlog.Commit) -> None:
        """What a commit holds that needs nothing from the blob scan."""
        self.commits += 1
        info = CommitInfo(commit.oid, commit.author, commit.date)
        self._message(info, commit.message)
        if commit.encoding and commit.encoding.upper().replace("-", "") != "UTF8":
            self._message(info, _raw_message(self.repo.root, commit.oid), count=False)
        present = self.present
        for _, new_mode, _, new, status, path in commit.changes:
            if status == b"D":
                continue
            if status == b"A" and keyformat.PREFIX in path:
                self._name(info, commit.parents, path)
            if new_mode == gitlog.GITLINK:
                self.submodules += 1
            elif present is not None and new not in present:
                self.missing.add(new)

    def _blobs(self, commit: gitlog.Commit) -> None:
        """The keys that the blobs a commit adds bring, and the blobs it cannot have read."""
        info = CommitInfo(commit.oid, commit.author, commit.date)
        hits = self.keys.blobs.hits
        unreadable = self.keys.blobs.unreadable
        deleted: list[tuple[bytes, bytes]] = []  # (blob, path) of paths this commit deleted
        arrived: list[gitlog.Change] = []
        for change in commit.changes:
            old_mode, new_mode, old, new, status, path = change
            if status == b"D":
                if old_mode not in _ABSENT:
                    deleted.append((old, path))
                continue
            if new_mode == gitlog.GITLINK:
                continue
            if new in self.missing:
                unreadable.setdefault(new, _MISSING)
            if new in unreadable:
                self.unreadable(new, path, f"commit {commit.oid[:12]}")
            elif new in hits:
                arrived.append(change)
        left: dict[str, list[bytes]] | None = None  # key -> paths it left (deleted paths)
        for old_mode, _, old, new, _, path in arrived:
            self.seen.add(new)
            before = frozenset() if old_mode in _ABSENT else self.keys.keys(old)
            if old in unreadable:  # the previous version: was the key there already?
                self.unreadable(old, path, f"commit {commit.oid[:12]}")
            for hit in hits[new]:
                key = hit.key
                if key in before:
                    continue
                if left is None:
                    left = {}
                    for blob, source in deleted:
                        if not self.is_excluded(source):
                            for gone in self.keys.keys(blob):
                                left.setdefault(gone, []).append(source)
                if key in left:  # moved here from a deleted path: a rename
                    for source in left[key]:
                        self.moves.setdefault((key, source), set()).add(path)
                    continue
                if len(commit.parents) > 1 and not self.first_parent_only:
                    pending = self._merges.setdefault(commit.oid, (info, commit.parents[1:], []))
                    pending[2].append((path, new, hit))
                    continue
                self._introduce(info, path, new, hit)

    def _message(self, info: CommitInfo, message: bytes, count: bool = True) -> None:
        if count:
            self.message_bytes += len(message)
        if keyformat.PREFIX not in message:
            return
        for candidate in detect.find(Chunk(message, Origin(None, commit=info.oid))):
            self._introduce(info, None, None, candidate)

    def _introduce(
        self, info: CommitInfo, path: bytes | None, blob: bytes | None, hit: Candidate
    ) -> None:
        entry = self.introductions.get((info.oid, path, blob))
        if entry is None:
            entry = self.introductions[(info.oid, path, blob)] = Introduction(info, path, blob, [])
        if hit.key not in entry.keys:  # one finding per key and path
            entry.keys.add(hit.key)
            entry.hits.append(hit)

    def _name(self, info: CommitInfo, parents: list[str], path: bytes) -> None:
        """Keys in the names along a path the commit adds: checked against its parents
        once the pass is over (`_check_names`)."""
        for named, hit in detect.in_name(os.fsdecode(path)):
            entry = self._names.setdefault(info.oid, (info, parents, {}))
            hits = entry[2].setdefault(os.fsencode(named), [])
            if all((h.key, h.column) != (hit.key, hit.column) for h in hits):
                hits.append(hit)

    def _check_names(self) -> None:
        """A commit introduces a name that none of its parents has (with --first-parent,
        that its first parent lacks): a name that came with a merged branch belongs to the
        branch's commit."""
        for info, parents, names in self._names.values():
            paths = list(names)
            if self.first_parent_only:
                parents = parents[:1]
            had: set[bytes] = set()
            for parent in parents:
                had |= tree_names(self.repo, parent, paths)
            for path, hits in names.items():
                if path not in had:
                    for hit in hits:
                        self._introduce(info, path, None, hit)

    def is_excluded(self, path: bytes) -> bool:
        return self.excluded(printable_path(os.fsdecode(path)))

    def unreadable(self, oid: bytes, path: bytes, source: str) -> None:
        """Report, once, a blob that could not be read; `source` says what holds it
        ("commit 0123456789ab", "tag refs/tags/v1")."""
        if oid in self._reported:
            return
        self._reported.add(oid)
        why = self.keys.blobs.unreadable[oid]
        self.errors.append(
            (
                printable_path(os.fsdecode(path)),
                f"cannot read blob {oid.decode()} ({source}): {why}",
            )
        )

    def _check_merges(self) -> None:
        """A key that a merge's first parent lacks is the merge's own only if no other
        parent had it at that path either (else it came with the merged branch)."""
        for info, parents, items in self._merges.values():
            paths = list(dict.fromkeys(path for path, _, _ in items))
            versions = [tree_blobs(self.repo, parent, paths) for parent in parents]
            for path, blob, hit in items:
                if not any(hit.key in self.keys.keys(v[path]) for v in versions if path in v):
                    self._introduce(info, path, blob, hit)
                for other in (v[path] for v in versions if path in v):
                    if other in self.keys.blobs.unreadable:
                        self.unreadable(other, path, f"commit {info.oid[:12]}")

    def present_at_head(self, tip: str | None) -> dict[tuple[str, bytes, bool], bool]:
        """For each (key, path, in a name) found, whether the default branch's tip holds
        the key there, or at a path a rename took it to; for a key in a name, whether the
        tip has that name."""
        wanted = {
            (hit.key, e.path)
            for e in self.introductions.values()
            if e.path is not None
            for hit in e.hits
            if not hit.in_name
        }
        names = {
            e.path
            for e in self.introductions.values()
            if e.path is not None and any(hit.in_name for hit in e.hits)
        }
        if tip is None or not (wanted or names):
            return {}
        reach = {pair: self._renamed(*pair) for pair in wanted}
        paths = list(dict.fromkeys(p for places in reach.values() for p in places))
        at_tip = tree_blobs(self.repo, tip, paths) if paths else {}
        present = {
            (key, path, False): any(
                p in at_tip and key in self.keys.keys(at_tip[p]) for p in places
            )
            for (key, path), places in reach.items()
        }
        named_at_tip = tree_names(self.repo, tip, list(names)) if names else set()
        for e in self.introductions.values():
            for hit in e.hits:
                if hit.in_name and e.path is not None:
                    present[(hit.key, e.path, True)] = e.path in named_at_tip
        return present

    def refs_at_tip(
        self, trees: dict[str, list[str]]
    ) -> dict[tuple[str, bytes, bool], list[str]]:
        """For each (key, path, in a name) found, the refs whose tip still holds the key
        there (or where a rename took it), or still has the name; `trees` maps each tip's
        tree to its refs (reftips.ref_trees). Each tree is looked at once."""
        wanted = {
            (hit.key, e.path, hit.in_name)
            for e in self.introductions.values()
            if e.path is not None
            for hit in e.hits
        }
        if not wanted or not trees:
            return {}
        reach = {item: [item[1]] if item[2] else self._renamed(item[0], item[1])
                 for item in wanted}
        paths = list(dict.fromkeys(p for places in reach.values() for p in places))
        found = reftips.entries(self.repo, list(trees), paths)
        held: dict[tuple[str, bytes, bool], list[str]] = {}
        for tree, refs in trees.items():
            for (key, path, in_name), places in reach.items():
                if in_name:
                    there = (tree, path) in found
                else:
                    there = any(
                        found.get((tree, p), ("", b""))[0] == "blob"
                        and key in self.keys.keys(found[(tree, p)][1])
                        for p in places
                    )
                if there:
                    held.setdefault((key, path, in_name), []).extend(refs)
        return {item: sorted(refs) for item, refs in held.items()}

    def _renamed(self, key: str, path: bytes) -> list[bytes]:
        places, todo = [path], [path]
        while todo:
            for target in self.moves.get((key, todo.pop()), ()):
                if target not in places:
                    places.append(target)
                    todo.append(target)
        return places


def tree_blobs(repo: Repository, commit: str, paths: Sequence[bytes]) -> dict[bytes, bytes]:
    """The blob at each of `paths` in `commit` (paths that are absent, or not files, left out)."""
    found: dict[bytes, bytes] = {}
    for start in range(0, len(paths), 200):  # a bounded command line
        specs = git.literal([os.fsdecode(p) for p in paths[start : start + 200]])
        # A parent that is not here (a shallow clone's edge) holds nothing we can see.
        found.update(tree_files(repo.root, commit, specs))
    return found


def tree_names(repo: Repository, commit: str, paths: Sequence[bytes]) -> set[bytes]:
    """Which of `paths` `commit` has: a file there, or a folder with anything in it."""
    files = tree_blobs(repo, commit, paths)
    return {
        path
        for path in paths
        if path in files or any(file.startswith(path + b"/") for file in files)
    }


def signature(line: bytes) -> tuple[str, str]:
    """("Name <email>", ISO date) from a `Name <email> 1700000000 +0100` line."""
    text = line.decode("utf-8", "replace")
    who, _, when = text.rpartition("> ")
    parts = when.split()
    if not who or len(parts) != 2 or not parts[0].isdigit():
        return text, ""
    sign = -1 if parts[1].startswith("-") else 1
    digits = parts[1].lstrip("+-").zfill(4)
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])) * sign
    date = datetime.fromtimestamp(int(parts[0]), timezone(offset)).isoformat()
    return who + ">", date


def _raw_message(root: Path, oid: str) -> bytes:
    """A commit's message as stored, before git re-encodes it (gitlog.Commit.encoding)."""
    raw = git.run(root, "cat-file", "commit", oid)
    return raw.partition(b"\n\n")[2]
