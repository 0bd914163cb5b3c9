"""Scanning git history: the passes over the commits a scope selects, run together, and
what they find turned into findings.

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
  scanned too (tags.py), and keys that only unreachable objects hold are counted in a
  note. A range scan does the same for the refs in `settings.tags` (a push's), leaving
  out what `known` (the remote's refs) reaches. `tip` is the tip of the default branch
  (`ranges.revisions.default_tip`).
- Findings go into `collector` with `Where.HISTORY`, the introducing commit, its author
  ("Name <email>"), its committer date (ISO 8601), `present_at_head` and `refs_at_tip`
  (the refs whose tip still holds the key, reftips.py); objects and bytes
  scanned, skipped blobs (binary, submodule) and unreadable objects go into its report.
  A key in a commit message has path None and its line within the message; keys that
  tags hold are described in tags.py.
- `settings`: processes to use, how to read blobs (binary, archives), progress on
  stderr, the config's `exclude` test, `allow_shallow`, and where a warning goes.
- Returns the notes for the report, in order: a scan of a shallow or partial clone that
  was allowed, a repository without commits, keys that no commit holds.
- Raises TokscanError when the scan cannot run at all: a shallow or partial clone (unless
  `settings.allow_shallow`), git failing.

How it works. Two things run at once: a tree-diff pass (`git log --raw`, see gitlog.py)
lists what every commit changed, and the blob scan (blobscan.py) reads every unique blob
once with `git cat-file --batch`, in pack order (the order git stored them, where its
delta-base cache works; hash order is several times slower), spread over all cores. The
scan keeps only the blobs that hold keys. While its processes work, this one reads the
tree-diff output for what needs no blob (facts.py: commits, messages, names,
blobs missing from the object database); once the scan is done it reads again only the
commits that name a blob with keys or an unreadable one, to find the commits that put a
key at a path (attribution.py, SPEC §4).

A range (a push, a pull request) first runs the tree-diff pass, then reads only the blobs
that the range's commits add (in pack order when there are many); a parent's version of a
file from outside the range is read on demand (blobkeys.py). Memory stays bounded: blobs
are scanned in a fixed buffer (large ones in chunks) and only blobs with keys are
remembered; a full audit also keeps the set of blob ids it listed (about 100 bytes a blob)
to tell a missing object from one that was never there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokscan.errors import TokscanError
from tokscan.git.repository import Repository
from tokscan.model import Candidate, Origin, Outcome, Where, printable_path
from tokscan.pipeline.collect import Collector
from tokscan.progress import Progress
from tokscan.sources.history import blobscan, gitlog, reftips
from tokscan.sources.history.attribution import Attribution, Introduction, needed_blobs
from tokscan.sources.history.blobkeys import BlobKeys
from tokscan.sources.history.bloblist import Listing
from tokscan.sources.history.blobscan import BlobHits
from tokscan.sources.history.facts import FactsPass
from tokscan.sources.history.tags import scan_tags, tagged_files
from tokscan.sources.stream import DEFAULT_READING, Reading
from tokscan.terminal import plural


def _nothing_excluded(path: str) -> bool:
    return False


def _silent(message: str) -> None:
    pass


@dataclass(frozen=True)
class Settings:
    jobs: int = 1  # processes that scan blobs at once
    reading: Reading = DEFAULT_READING  # binary blobs, archive limits (SPEC §10)
    progress: bool = False  # draw a progress line on stderr
    excluded: Callable[[str], bool] = _nothing_excluded  # config `exclude`, by path
    allow_shallow: bool = False  # scan a shallow or partial clone anyway (with a warning)
    # The caller made sure the range lies whole in this clone (pre-push: the commits being
    # pushed are local; ci: the clone was deepened), so a shallow clone needs no warning.
    range_complete: bool = False
    where: Where = Where.HISTORY  # what the findings are, for their advice (pre-push: unpushed)
    # Refs a range scan also reads tags from, as (ref name, object id) (pre-push: the refs
    # it sends): the messages of annotated tags, and the blobs and trees that a ref or its
    # tags point to directly, where `Scope.known` does not reach them. Commits are passed
    # over (the revisions select them).
    tags: tuple[tuple[str, str], ...] = ()
    # Where the warning about a shallow or partial clone goes (the command's stderr). It
    # is said before the scan starts, which may take minutes, not with the notes after it.
    warn: Callable[[str], None] = _silent


@dataclass(frozen=True)
class Scope:
    """The commits to scan, as the command planned them (tokscan/ranges/)."""

    revisions: Sequence[str]  # rev-list arguments; none: nothing to scan (no commits yet)
    everything: bool = False  # a full audit: `revisions` select every ref and stash entry
    tip: str | None = None  # the default branch's tip, for `present_at_head`; None: unknown
    # rev-list arguments for what the other side already has (pre-push: the remote's refs);
    # blobs and trees that `Settings.tags` point to are scanned where these do not reach
    known: tuple[str, ...] = ()


_DIRECT_LIMIT = 20_000  # more blobs than this are worth reading in pack order


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
        log = gitlog.LogPass(repo.root, scope.revisions, directory)
        stack.callback(log.close)
        facts: FactsPass | None = None  # a full audit reads the log while blobs are scanned
        if everything:
            progress.listing("scanning blobs")
            dealt = blobscan.deal(repo.root, directory, repo.hex_length, settings.jobs, None)
            listing = dealt.listing
            listed = listing.present or set()  # blobs in the object database
            present: Container[bytes] | None = listed
            attribution = Attribution(repo, None, present, first_parent_only, settings.excluded)
            facts = FactsPass(attribution, log)
            stack.callback(facts.close)
            blobs = blobscan.scan_dealt(
                repo.root, dealt, settings.reading, progress.scanned, facts.step
            )
            scanned: Container[bytes] = listed
        else:
            progress.start("reading the commits")
            log.wait()
            with log.path.open("rb") as handle:
                needed = needed_blobs(handle)
            progress.start("scanning blobs", len(needed))
            present = None
            if len(needed) > _DIRECT_LIMIT:
                blobs, listing = blobscan.scan_all(
                    repo.root, directory, repo.hex_length, settings.jobs, settings.reading,
                    progress.scanned, wanted=needed,
                )  # fmt: skip
                present = listing.present
            else:
                blobs = blobscan.scan_listed(
                    repo.root, directory, needed, repo.hex_length, settings.jobs,
                    settings.reading, progress.scanned,
                )  # fmt: skip
                listing = Listing()
            scanned = needed
            attribution = Attribution(repo, None, present, first_parent_only, settings.excluded)
        for oid, why in listing.unreadable.items():
            blobs.unreadable.setdefault(oid, why or "corrupt or missing")
        progress.start("attributing keys to commits")
        keys = BlobKeys(repo, blobs, scanned, settings.reading)
        stack.callback(keys.close)
        attribution.attach(keys)
        if facts is not None:
            facts.finish()
            attribution.run_selected(log.path, facts.starts)
        else:
            log.wait()
            with log.path.open("rb") as handle:
                attribution.run(_ticking(gitlog.commits(handle), attribution, progress))
        tags: list[Introduction] = []
        tag_objects = tag_bytes = 0
        if everything or settings.tags:
            start = None if everything else settings.tags
            tags, tag_objects, tag_bytes, targets = scan_tags(repo, start)
            known = None if everything else scope.known
            tags += tagged_files(repo, targets, attribution, known)
            progress.update(  # drawn: the last count, the one the summary prints
                attribution.commits + tag_objects,
                attribution.message_bytes + tag_bytes,
                force=True,
            )
        at_head = attribution.present_at_head(scope.tip)
        # Where a key is still at some ref's tip (history only: a push's keys are new).
        at_tips = None
        if settings.where is Where.HISTORY:
            trees = reftips.ref_trees(repo) if attribution.introductions else {}
            at_tips = attribution.refs_at_tip(trees)
        progress.clear()
    introductions = [*attribution.introductions.values(), *tags]
    _report(collector, attribution, introductions, (at_head, at_tips), settings.where)
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


def _ticking(
    commits: Iterator[gitlog.Commit], attribution: Attribution, progress: Progress
) -> Iterator[gitlog.Commit]:
    """The commits, counted on the progress line as the summary counts them (each commit's
    message is an object scanned)."""
    for commit in commits:
        yield commit
        progress.update(attribution.commits, attribution.message_bytes)


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
    at: tuple[
        dict[tuple[str, bytes, bool], bool], dict[tuple[str, bytes, bool], list[str]] | None
    ],
    found_in: Where,
) -> None:
    """Findings from the introductions; `at` says where each (key, path, in a name) still
    is: at the default branch's tip, and at which refs' tips (None: not asked)."""
    at_head, at_tips = at
    for where, message in attribution.errors:
        collector.error(where, message)
    for entry in introductions:
        path = None if entry.path is None else printable_path(os.fsdecode(entry.path))
        origin = Origin(path, commit=entry.commit.oid or None)
        by_place: dict[tuple[bool | None, tuple[str, ...] | None], list[Candidate]] = {}
        for hit in entry.hits:
            present = refs = None
            if entry.path is not None:
                place = (hit.key, entry.path, hit.in_name)
                present = at_head.get(place)
                refs = None if at_tips is None else tuple(at_tips.get(place, ()))
            by_place.setdefault((present, refs), []).append(hit)
        excluded = entry.path is not None and attribution.is_excluded(entry.path)
        for (present, refs), found in by_place.items():
            collector.add(
                Outcome(origin, candidates=found),
                found_in,
                tally=False,
                excluded=excluded,
                author=entry.commit.author or None,
                date=entry.commit.date or None,
                present_at_head=present,
                refs_at_tip=refs,
            )


def _unreachable(blobs: BlobHits, attribution: Attribution) -> list[str]:
    """Keys in blobs that no scanned commit adds: objects left by amended or rebased
    commits (kept by reflogs) or dangling ones. Counted, not reported."""
    stray = {
        hit.key for oid, hits in blobs.hits.items() if oid not in attribution.seen for hit in hits
    }
    if not stray:
        return []
    verb = "is" if len(stray) == 1 else "are"
    return [
        f"{plural(len(stray), 'key')} {verb} only in objects that no branch, tag or stash "
        "reaches (left by amended or rebased commits, or dangling); `tokscan history --all "
        "--reflog` includes the commits that reflogs still hold"
    ]
