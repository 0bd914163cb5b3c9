"""Git history: every commit's files and messages, each unique blob read once.

The one entry point, used by `tokscan history`, `tokscan pre-push` and `tokscan ci`:

    scan_revisions(repo: Repository, scope: Scope, collector: pipeline.Collector,
                   settings: Settings = Settings()) -> list[str]

- `repo`: the repository, opened by the command (git/repository.py).
- `scope`: the commits, as the command planned them (tokscan/ranges/): `git rev-list`
  arguments that select commits, such as `["main..feature"]`, `["<sha>", "--not",
  "--remotes=origin"]` (a new branch in a pre-push hook), `["base..head"]` (CI),
  `["--since=2024-01-01", "--all"]`; arguments from a user must pass
  `ranges.revisions.check_revisions`. A full audit scans `ranges.revisions.everything`
  with `everything` set: then annotated tags, and blobs and trees that tags point to, are
  scanned too, and keys that only unreachable objects hold are counted in a note. `tip`
  is the tip of the default branch (`ranges.revisions.default_tip`).
- Findings go into `collector` with `Where.HISTORY`, the introducing commit, its author
  ("Name <email>"), its committer date (ISO 8601) and `present_at_head`; objects and bytes
  scanned, skipped blobs (binary, submodule) and unreadable objects go into its report.
  A key in a commit message has path None and its line within the message; a key in an
  annotated tag's message has path None and the tag object's id as its commit (`git show
  <id>` shows the message) and the tagger as its author. A key in a blob or tree that a tag
  points to (no commit holds it) has git's address for it as its path (`refs/tags/v1`,
  `refs/tags/v1:dir/file`) and the annotated tag's id, if any, as its commit.
- `settings`: processes to use, `--binary`, progress on stderr, the config's `exclude`
  test, `allow_shallow`, and where a warning goes.
- Returns the notes for the report, in order: a scan of a shallow or partial clone that
  was allowed, a repository without commits, keys that no commit holds.
- Raises TokscanError when the scan cannot run at all: a shallow or partial clone (unless
  `settings.allow_shallow`), git failing.

How it works. Two things run at once: a tree-diff pass (`git log --raw`, see gitlog.py)
lists what every commit changed, and the blob scan (blobscan.py) reads every unique blob
once with `git cat-file --batch`, in pack order (the order git stored them, where its
delta-base cache works; hash order is several times slower), spread over all cores. The
scan keeps only the blobs that hold keys; the tree-diff output is then read once to find,
for each such blob, the commits that put a key at a path (SPEC §4):

- a commit introduces a key at a path when its version of the path holds the key and none
  of its parents' versions does; a key that stays through later edits is one finding;
- merges are compared with their first parent, and a path whose key the first parent lacks
  is looked up in the other parents: an ordinary merge finds it there (the key belongs to
  the branch commit that added it), an evil merge does not (the key is the merge's);
- a key that leaves a deleted path and arrives at an added path in the same commit has
  moved (a rename): it keeps the commit that first introduced it;
- `present_at_head` is whether the tip of the default branch (`scope.tip`) still holds the
  key at that path, or where a rename took it.

A range (a push, a pull request) first runs the tree-diff pass, then reads only the blobs
that the range's commits add (in pack order when there are many); a parent's version of a
file from outside the range is read on demand. Memory stays bounded: blobs are scanned in a fixed
buffer (large ones in chunks) and only blobs with keys are remembered; a full audit also
keeps the set of blob ids it listed (about 100 bytes a blob) to tell a missing object from
one that was never there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, NamedTuple

from tokscan import detect, git
from tokscan import key as keyformat
from tokscan.errors import TokscanError
from tokscan.git.objects import ObjectReader, read_errors, tree_files
from tokscan.git.repository import Repository
from tokscan.model import Candidate, Chunk, Origin, Outcome, Where, printable_path
from tokscan.pipeline.collect import Collector
from tokscan.progress import Progress
from tokscan.sources.history import blobscan, gitlog
from tokscan.sources.history.blobscan import BlobHits


def _nothing_excluded(path: str) -> bool:
    return False


def _silent(message: str) -> None:
    pass


@dataclass(frozen=True)
class Settings:
    jobs: int = 1  # processes that scan blobs at once
    binary: bool = False  # also scan blobs that look binary
    progress: bool = False  # draw a progress line on stderr
    excluded: Callable[[str], bool] = _nothing_excluded  # config `exclude`, by path
    allow_shallow: bool = False  # scan a shallow or partial clone anyway (with a warning)
    # The caller made sure the range lies whole in this clone (pre-push: the commits being
    # pushed are local; ci: the clone was deepened), so a shallow clone needs no warning.
    range_complete: bool = False
    where: Where = Where.HISTORY  # what the findings are, for their advice (pre-push: unpushed)
    # Objects a range scan also reads tag messages from (pre-push: the tips it sends, one of
    # which may be an annotated tag); objects that are not tags are passed over.
    tags: tuple[str, ...] = ()
    # Where the warning about a shallow or partial clone goes (the command's stderr). It
    # is said before the scan starts, which may take minutes, not with the notes after it.
    warn: Callable[[str], None] = _silent


@dataclass(frozen=True)
class Scope:
    """The commits to scan, as the command planned them (tokscan/ranges/)."""

    revisions: Sequence[str]  # rev-list arguments; none: nothing to scan (no commits yet)
    everything: bool = False  # a full audit: `revisions` select every ref and stash entry
    tip: str | None = None  # the default branch's tip, for `present_at_head`; None: unknown


# ---------------------------------------------------------------------------------------
# Which blobs to read


_DIRECT_LIMIT = 20_000  # more blobs than this are worth reading in pack order


def needed_blobs(handle: IO[bytes]) -> dict[bytes, None]:
    """The blobs that the commits in a tree-diff output add (an ordered set)."""
    needed: dict[bytes, None] = {}
    for commit in gitlog.commits(handle):
        for _, new_mode, _, new, status, _ in commit.changes:
            if status != b"D" and new_mode != gitlog.GITLINK:
                needed[new] = None
    return needed


# ---------------------------------------------------------------------------------------
# Which keys a blob holds


class BlobKeys:
    """The keys in each blob: from the scan, else (for blobs it did not cover, such as a
    parent's version of a file outside a narrow range) read and scanned on demand."""

    def __init__(
        self, repo: Repository, blobs: BlobHits, scanned: Container[bytes], binary: bool
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.scanned = scanned
        self.binary = binary
        self._keys: dict[bytes, frozenset[str]] = {}
        self._reader: ObjectReader | None = None

    def hits(self, oid: bytes) -> list[Candidate]:
        return self.blobs.hits.get(oid, [])

    def keys(self, oid: bytes) -> frozenset[str]:
        known = self._keys.get(oid)
        if known is not None:
            return known
        hits = self.blobs.hits.get(oid)
        if hits is None and oid not in self.scanned and oid not in self.blobs.unreadable:
            hits = self._read(oid)
        known = frozenset(hit.key for hit in hits or ())
        self._keys[oid] = known
        return known

    def _read(self, oid: bytes) -> list[Candidate]:
        """Keys in a blob the scan did not cover; one that cannot be read goes into
        `blobs.unreadable` (whoever needed it reports the error: the scan is incomplete)."""
        if self._reader is None:
            self._reader = ObjectReader(self.repo.root)
        reader = self._reader
        try:
            header = reader.request(oid.decode("ascii"))
            if header.kind != b"blob":  # missing, or not a file
                if header.kind == b"missing":
                    self.blobs.unreadable[oid] = "missing or unreadable"
                else:
                    read = reader.stream.reader(header.size)
                    while read(1 << 20):
                        pass
                return []
            found = BlobHits()
            blobscan.scan_object(reader.stream, header, self.binary, found)
        except TokscanError as error:  # git stopped on a corrupt object; a new one reads on
            self.blobs.unreadable[oid] = f"{error}: {reader.errors()}"
            reader.close()
            self._reader = None
            return []
        return found.hits.get(oid, [])

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


# ---------------------------------------------------------------------------------------
# Attribution: from blobs with keys to the commits that introduced them


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


_ABSENT = (b"000000", gitlog.GITLINK)


class Attribution:
    def __init__(
        self,
        repo: Repository,
        keys: BlobKeys,
        present: Container[bytes] | None,
        first_parent_only: bool,
        excluded: Callable[[str], bool],
    ) -> None:
        self.repo = repo
        self.keys = keys
        self.present = present
        self.first_parent_only = first_parent_only
        self.excluded = excluded
        self.introductions: dict[tuple[str, bytes | None, bytes | None], Introduction] = {}
        self.moves: dict[tuple[str, bytes], set[bytes]] = {}  # (key, from path) -> to paths
        self.seen: set[bytes] = set()  # blobs with keys that some commit added
        self.errors: list[tuple[str, str]] = []  # (path, message)
        self.commits = 0
        self.message_bytes = 0
        self.submodules = 0
        self._reported: set[bytes] = set()
        # merge commit -> (its other parents, [(path, blob, hit)]) to check afterwards
        self._merges: dict[
            str, tuple[CommitInfo, list[str], list[tuple[bytes, bytes, Candidate]]]
        ] = {}

    def run(self, commits: Iterator[gitlog.Commit]) -> None:
        for commit in commits:
            self._commit(commit)
        self._check_merges()

    def _commit(self, commit: gitlog.Commit) -> None:
        self.commits += 1
        info = CommitInfo(commit.oid, commit.author, commit.date)
        self._message(info, commit.message)
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
                self.submodules += 1
                continue
            if self.present is not None and new not in self.present:
                unreadable.setdefault(new, "missing from the object database")
            if new in unreadable:
                self._unreadable(new, path, commit.oid)
            elif new in hits:
                arrived.append(change)
        left: dict[str, list[bytes]] | None = None  # key -> paths it left (deleted paths)
        for old_mode, _, old, new, _, path in arrived:
            self.seen.add(new)
            before = frozenset() if old_mode in _ABSENT else self.keys.keys(old)
            if old in unreadable:  # the previous version: was the key there already?
                self._unreadable(old, path, commit.oid)
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

    def _message(self, info: CommitInfo, message: bytes) -> None:
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

    def is_excluded(self, path: bytes) -> bool:
        return self.excluded(printable_path(os.fsdecode(path)))

    def _unreadable(self, oid: bytes, path: bytes, commit: str) -> None:
        if oid in self._reported:
            return
        self._reported.add(oid)
        why = self.keys.blobs.unreadable[oid]
        self.errors.append(
            (
                printable_path(os.fsdecode(path)),
                f"cannot read blob {oid.decode()} (commit {commit[:12]}): {why}",
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
                        self._unreadable(other, path, info.oid)

    def present_at_head(self, tip: str | None) -> dict[tuple[str, bytes], bool]:
        """For each (key, path) found, whether the default branch's tip holds the key
        there, or at a path a rename took it to."""
        wanted = {
            (hit.key, e.path)
            for e in self.introductions.values()
            if e.path is not None
            for hit in e.hits
        }
        if tip is None or not wanted:
            return {}
        reach = {pair: self._renamed(*pair) for pair in wanted}
        paths = list(dict.fromkeys(p for places in reach.values() for p in places))
        at_tip = tree_blobs(self.repo, tip, paths)
        return {
            pair: any(p in at_tip and pair[0] in self.keys.keys(at_tip[p]) for p in places)
            for pair, places in reach.items()
        }

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


# ---------------------------------------------------------------------------------------
# Annotated tags


def scan_tags(
    repo: Repository, binary: bool, start: Sequence[str] | None = None
) -> tuple[list[Introduction], int, int, list[Tagged]]:
    """Keys in the messages of annotated tags that refs point to (or that `start` names, of
    which only the tags count), and tags they point to. Returns the introductions (commit:
    the tag object's id), objects and bytes read, and the blobs and trees that the refs or
    tags point to directly (see `tagged_files`)."""
    todo: list[tuple[str, str]] = []  # (object, the ref that reaches it)
    targets: list[Tagged] = []
    if start is None:
        listed = git.run(
            repo.root, "for-each-ref", "--format=%(objecttype) %(objectname) %(refname)"
        )
        for line in listed.splitlines():
            kind, oid, ref = line.decode("utf-8", "surrogateescape").split(" ", 2)
            if kind == "tag":
                todo.append((oid, ref))
            elif kind in ("blob", "tree"):
                targets.append(Tagged(ref, kind, oid, None))
    else:
        todo = [(oid, oid) for oid in start]
    seen: set[str] = set()
    found: list[Introduction] = []
    size = 0
    with ObjectReader(repo.root) as reader:
        while todo:
            oid, ref = todo.pop()
            if oid in seen:
                continue
            seen.add(oid)
            data = reader.read(oid)
            if data is None:
                continue
            size += len(data)
            headers, _, message = data.partition(b"\n\n")
            fields = dict(line.split(b" ", 1) for line in headers.split(b"\n") if b" " in line)
            if b"object" not in fields or b"tag" not in fields:
                continue  # not a tag object (a commit named in `start`)
            author, date = _signature(fields.get(b"tagger", b""))
            info = CommitInfo(oid, author, date)
            target = fields.get(b"type", b"")
            if target == b"tag":
                todo.append((fields[b"object"].decode(), ref))
            elif target in (b"blob", b"tree"):
                targets.append(Tagged(ref, target.decode(), fields[b"object"].decode(), info))
            if keyformat.PREFIX not in message:
                continue
            hits = list(detect.find(Chunk(message, Origin(None, commit=oid))))
            if hits:
                found.append(Introduction(info, None, None, hits))
    return found, len(seen), size, targets


class Tagged(NamedTuple):
    """A blob or tree that a ref points to, directly or through annotated tags."""

    ref: str
    kind: str  # blob | tree
    oid: str
    tag: CommitInfo | None  # the annotated tag that points to it, if any


def tagged_files(
    repo: Repository, targets: list[Tagged], attribution: Attribution
) -> list[Introduction]:
    """Keys in blobs and trees that tags point to: reachable from a ref, yet in no commit.
    Their path is git's address for them (`refs/tags/name`, `refs/tags/name:dir/file`),
    their commit the annotated tag's id (none for a lightweight tag)."""
    nobody = CommitInfo("", "", "")  # a lightweight tag: no commit, author or date
    found: list[Introduction] = []
    for ref, kind, oid, tag in targets:
        files = [(b"", oid.encode())] if kind == "blob" else tree_files(repo.root, oid)
        for inner, blob in files:
            hits = attribution.keys.hits(blob)
            if not hits or blob in attribution.seen:  # none, or a commit has them already
                continue
            if inner and attribution.is_excluded(inner):
                continue
            attribution.seen.add(blob)
            path = os.fsencode(ref) + (b":" + inner if inner else b"")
            found.append(Introduction(tag or nobody, path, blob, hits))
    return found


def _signature(line: bytes) -> tuple[str, str]:
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


# ---------------------------------------------------------------------------------------
# The scan


class _LogPass:
    """`git log --raw` over the revisions, written to a file while the blobs are scanned."""

    def __init__(self, repo: Repository, revisions: Sequence[str], directory: Path) -> None:
        self.path = directory / "log"
        self._output = self.path.open("wb")
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (open while git runs)
        if "--" not in revisions:
            revisions = [*revisions, "--"]
        self._process = git.popen(
            repo.root,
            *git.LEAN,
            *gitlog.arguments(revisions),
            stdout=self._output,
            stderr=self._errors,
        )

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


def scan_revisions(
    repo: Repository, scope: Scope, collector: Collector, settings: Settings = Settings()
) -> list[str]:
    """Scan the commits that `scope` selects; returns notes. See the module doc."""
    notes = _check_completeness(repo, settings)
    if not scope.revisions:
        return [*notes, "the repository has no commits yet: nothing to scan"]
    everything = scope.everything
    first_parent_only = "--first-parent" in scope.revisions
    progress = Progress(sys.stderr if settings.progress else None)
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tokscan-")))
        log = _LogPass(repo, scope.revisions, directory)
        stack.callback(log.close)
        present: Container[bytes] | None = None  # blobs listed in the object database
        if everything:
            progress.start("scanning blobs")
            blobs, listing = blobscan.scan_all(
                repo.root, directory, repo.hex_length, settings.jobs, settings.binary,
                progress.scanned,
            )  # fmt: skip
            present = listing.present or set()
            scanned: Container[bytes] = present
        else:
            progress.start("reading the commits")
            log.wait()
            with log.path.open("rb") as handle:
                needed = needed_blobs(handle)
            progress.start("scanning blobs", len(needed))
            if len(needed) > _DIRECT_LIMIT:
                blobs, listing = blobscan.scan_all(
                    repo.root, directory, repo.hex_length, settings.jobs, settings.binary,
                    progress.scanned, wanted=needed,
                )  # fmt: skip
                present = listing.present
            else:
                blobs = blobscan.scan_listed(
                    repo.root, directory, needed, repo.hex_length, settings.jobs,
                    settings.binary, progress.scanned,
                )  # fmt: skip
                listing = blobscan.Listing()
            scanned = needed
        for oid, why in listing.unreadable.items():
            blobs.unreadable.setdefault(oid, why or "corrupt or missing")
        progress.start("attributing keys to commits")
        log.wait()
        keys = BlobKeys(repo, blobs, scanned, settings.binary)
        stack.callback(keys.close)
        attribution = Attribution(repo, keys, present, first_parent_only, settings.excluded)
        with log.path.open("rb") as handle:
            attribution.run(gitlog.commits(handle))
        tags: list[Introduction] = []
        tag_objects = tag_bytes = 0
        if everything or settings.tags:
            start = None if everything else settings.tags
            tags, tag_objects, tag_bytes, targets = scan_tags(repo, settings.binary, start)
            if everything:
                tags += tagged_files(repo, targets, attribution)
        at_head = attribution.present_at_head(scope.tip)
        progress.clear()
    introductions = [*attribution.introductions.values(), *tags]
    _report(collector, attribution, introductions, at_head, settings.where)
    collector.count(
        blobs.objects + attribution.commits + tag_objects,
        blobs.size + attribution.message_bytes + tag_bytes,
        {
            **blobs.skipped,
            **({"submodule": attribution.submodules} if attribution.submodules else {}),
        },
    )
    if everything:
        notes += _unreachable(blobs, attribution)
    return notes


def _check_completeness(repo: Repository, settings: Settings) -> list[str]:
    """Refuse a clone that lacks history, unless allowed: then warn at once and note it."""
    problem = None
    if repo.shallow:
        problem = (
            "this is a shallow clone, so older history is missing; run "
            "`git fetch --unshallow` first"
        )
    elif repo.partial:
        problem = (
            "this is a partial clone, so some blobs were never downloaded; clone it "
            "again without --filter first"
        )
    if problem is None or (settings.range_complete and repo.shallow):
        return []
    if not settings.allow_shallow:
        raise TokscanError(f"{problem} (or pass --allow-shallow to scan only what is here)")
    settings.warn(f"warning: {problem}; scanning only what is here")
    return [f"incomplete audit: {problem}"]


def _report(
    collector: Collector,
    attribution: Attribution,
    introductions: list[Introduction],
    at_head: dict[tuple[str, bytes], bool],
    found_in: Where,
) -> None:
    for where, message in attribution.errors:
        collector.error(where, message)
    for entry in introductions:
        path = None if entry.path is None else printable_path(os.fsdecode(entry.path))
        origin = Origin(path, commit=entry.commit.oid or None)
        by_head: dict[bool | None, list[Candidate]] = {}
        for hit in entry.hits:
            present = None if entry.path is None else at_head.get((hit.key, entry.path))
            by_head.setdefault(present, []).append(hit)
        excluded = entry.path is not None and attribution.is_excluded(entry.path)
        for present, found in by_head.items():
            collector.add(
                Outcome(origin, candidates=found),
                found_in,
                tally=False,
                excluded=excluded,
                author=entry.commit.author or None,
                date=entry.commit.date or None,
                present_at_head=present,
            )


def _unreachable(blobs: BlobHits, attribution: Attribution) -> list[str]:
    """Keys in blobs that no scanned commit adds: objects left by amended or rebased
    commits (kept by reflogs) or dangling ones. Counted, not reported."""
    stray = {
        hit.key for oid, hits in blobs.hits.items() if oid not in attribution.seen for hit in hits
    }
    if not stray:
        return []
    return [
        f"{len(stray)} key(s) are only in objects that no branch, tag or stash reaches "
        "(left by amended or rebased commits, or dangling); `tokscan history --all "
        "--reflog` includes the commits that reflogs still hold"
    ]
