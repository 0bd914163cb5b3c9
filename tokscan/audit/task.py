"""One repository's audit: the task a Dask worker runs.

Clone or fetch it (a local repository is audited in place), hash its ref tips, and, unless
the client already holds a result for exactly those tips, run the full `tokscan history`
audit of it (every ref and stash entry, tags, attribution) with the configuration its
default branch holds. What travels back is small and holds no key: each finding with its
key redacted and every string it quotes redacted too, named by fingerprint.

Nothing here raises: a repository that cannot be audited (a clone that fails, a corrupt
object, the time limit) comes back `failed`, with the reason, so the others carry on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokscan import __version__, keyformat
from tokscan import config as configuration
from tokscan.audit import isolate
from tokscan.audit.sources import Source
from tokscan.errors import TokscanError

# Part of every result's identity: a new tokscan may find what an older one did not.
RESULT_FORMAT = f"tokscan {__version__}, results 1"


# The Dask event topic on which workers say how far a clone or fetch got (run.py).
PROGRESS_TOPIC = "tokscan-audit-progress"


@dataclass(frozen=True)
class Job:
    source: Source
    workdir: str  # where clones are kept; the same path on every worker
    known_tips: str | None = None  # the tips of the result the client already has
    timeout: float | None = None  # seconds for this repository, clone included
    run: str = ""  # which audit this is, for its progress events


@dataclass
class Result:
    name: str
    status: str  # scanned | reused | failed
    reason: str | None = None
    tips: str | None = None
    root: str | None = None  # the repository on disk, where --verify re-reads its keys
    bytes: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)  # redacted records
    notes: list[str] = field(default_factory=list)


def audit(job: Job) -> Result:
    """The task: `job`'s repository audited in a child process, within its time limit."""
    if job.known_tips is not None:
        unchanged = reused_at_once(job)
        if unchanged is not None:
            return unchanged
    try:
        return isolate.call(_audit, job, job.timeout, _publisher(job))
    except isolate.TimedOut as error:
        return Result(job.source.name, "failed", str(error))
    except TokscanError as error:
        return Result(job.source.name, "failed", keyformat.redact_all(error.message))
    except Exception as error:  # a bug or a crash: this repository only
        reason = keyformat.redact_all(f"{type(error).__name__}: {error}")
        return Result(job.source.name, "failed", reason)


def reused_at_once(job: Job) -> Result | None:
    """A repository whose refs have not moved, found without a child process, a fetch or
    a scan: a local one's tips read in place, a remote one's clone compared with what the
    remote advertises. A nightly re-run of thousands of unchanged repositories then costs
    one `ls-remote` each. None whenever that cannot be told for sure (the slow path)."""
    from tokscan.git.repository import open_repository

    try:
        if job.source.local:
            root = open_repository(Path(job.source.url)).root
        else:
            from tokscan.audit import clone

            # tokscan's own bare clone: its folder is the repository, no need to ask git
            cloned = clone.unchanged(job.source, Path(job.workdir), job.timeout or 60.0)
            if cloned is None:
                return None
            root = cloned
        tips = tips_hash(root)
    except Exception:  # anything odd: the isolated path reports it properly
        return None
    if tips != job.known_tips:
        return None
    return Result(job.source.name, "reused", tips=tips, root=str(root))


def _publisher(job: Job) -> Callable[[str], None] | None:
    """Where the child's progress goes: an event for the client, when running on Dask."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None

    def publish(message: str) -> None:
        event = {"run": job.run, "repository": job.source.name, "message": message}
        worker.log_event(PROGRESS_TOPIC, event)

    return publish


def _audit(job: Job) -> Result:
    from tokscan.git.repository import open_repository
    from tokscan.ranges.revisions import default_tip, everything
    from tokscan.sources.history import scan

    source = job.source
    if source.local:
        root = Path(source.url)
    else:
        from tokscan.audit import clone

        root = clone.refresh(source, Path(job.workdir), tell=isolate.tell)
    repo = open_repository(root)
    tips = tips_hash(repo.root)
    if job.known_tips == tips:
        return Result(source.name, "reused", tips=tips, root=str(repo.root))
    config, notes = default_config(repo.root)
    from tokscan.decode import archive
    from tokscan.pipeline import collect, suppress
    from tokscan.sources.stream import Reading

    report = collect.new_report("history", str(repo.root))
    collector = collect.Collector(report, suppress.Suppressor(allowed=config.allowed))
    reading = Reading(
        binary=config.binary,
        limits=archive.Limits(
            config.archive_max_bytes, config.archive_max_members, config.archive_max_depth
        ),
    )
    # One process per repository: Dask spreads repositories over the cores.
    excluded = configuration.excluder(config.exclude)
    settings = scan.Settings(jobs=1, reading=reading, excluded=excluded)
    scope = scan.Scope(everything(repo), everything=True, tip=default_tip(repo))
    notes += scan.scan_revisions(repo, scope, collector, settings)
    collect.finish(report)
    result = Result(
        source.name, "scanned", tips=tips, root=str(repo.root), bytes=report.bytes_scanned,
        findings=[record(finding, source.name) for finding in report.findings],
        notes=[keyformat.redact_all(note) for note in notes],
    )  # fmt: skip
    if report.errors:
        shown = [f"{e.path or '-'}: {e.message}" for e in report.errors[:3]]
        more = len(report.errors) - len(shown)
        result.status = "failed"
        result.reason = keyformat.redact_all(
            "cannot read " + "; ".join(shown) + (f" (and {more} more)" if more else "")
        )
    return result


def record(finding: Any, repository: str) -> dict[str, Any]:
    """A finding as the audit keeps it: the JSON report's fields (SPEC §4) and its
    repository, every string redacted; `archive` is kept for its advice."""
    from tokscan.report.json import finding_record

    kept = {"repository": repository, **finding_record(finding, False)}
    kept["archive"] = finding.archive
    return {k: keyformat.redact_all(v) if isinstance(v, str) else v for k, v in kept.items()}


def tips_hash(root: Path) -> str:
    """What a result is kept under: every ref's name and object, HEAD, and tokscan's
    version. Any push, new tag or deleted branch changes it."""
    from tokscan import git

    refs = git.run(root, "for-each-ref", "--format=%(objectname) %(refname)")
    head = git.run(root, "symbolic-ref", "-q", "HEAD", check=False)
    digest = hashlib.sha256(RESULT_FORMAT.encode())
    for part in (refs, b"\0", head):
        digest.update(part)
    return digest.hexdigest()


def default_config(root: Path) -> tuple[configuration.Config, list[str]]:
    """`.tokscan.yaml` as the default branch (HEAD) has it, read by its literal path from
    that branch's tree, as `tokscan ci` reads a base: never through a work tree, never from
    another branch, never through a symbolic link. A malformed file is an error (SPEC §7)."""
    from tokscan import git

    listing = git.run(
        root, "ls-tree", "-z", "--full-tree", "HEAD", "--",
        *git.literal([configuration.FILENAME]), check=False,
    )  # fmt: skip
    for line in listing.split(b"\0"):
        info, _, name = line.partition(b"\t")
        if os.fsdecode(name) != configuration.FILENAME:
            continue
        mode, _kind, oid = info.decode("ascii").split()
        if mode not in ("100644", "100755"):
            note = f"{configuration.FILENAME} on the default branch is not a regular file: not used"
            return configuration.Config(), [note]
        data = git.run(root, "cat-file", "blob", oid)
        return configuration.parse(data, f"{configuration.FILENAME} on the default branch"), []
    return configuration.Config(), []
