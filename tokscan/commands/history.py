"""`tokscan history [REVISION-RANGE]...`: commits, as `git rev-list` takes them; by default
everything reachable from any ref, the stash included."""

from __future__ import annotations

from pathlib import Path

from tokscan.commands.session import Session
from tokscan.errors import ExitCode
from tokscan.git.repository import open_repository
from tokscan.options import Options
from tokscan.ranges.revisions import check_revisions, default_tip, everything
from tokscan.report import output
from tokscan.sources.history import scan


def run(
    options: Options, revisions: list[str], allow_shallow: bool = False
) -> ExitCode:
    checked = check_revisions(revisions)
    repo = open_repository(Path("."))
    session = Session.open(options, "history", repo.root, checked)
    settings = scan.Settings(
        jobs=session.jobs,
        reading=session.reading,
        progress=session.progress,
        excluded=session.excluded,
        allow_shallow=allow_shallow,
        warn=output.warn,
    )
    full = not checked  # no revisions: a full audit
    scope = scan.Scope(
        everything(repo) if full else checked, everything=full, tip=default_tip(repo)
    )
    session.report.notes += scan.scan_revisions(repo, scope, session.collector, settings)
    return session.conclude()
