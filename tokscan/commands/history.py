"""`tokscan history [REVISION-RANGE]...`: commits, as `git rev-list` takes them; by default
everything reachable from any ref, the stash included."""

from __future__ import annotations

from pathlib import Path

from tokscan.commands.session import Session
from tokscan.errors import ExitCode
from tokscan.git.repository import open_repository
from tokscan.options import Options
from tokscan.ranges import revisions as planning
from tokscan.report import output
from tokscan.sources.history import scan
from tokscan.terminal import printable


def run(
    options: Options, revisions: list[str], allow_shallow: bool = False
) -> ExitCode:
    repo = open_repository(Path("."))
    plan = planning.plan(repo, revisions)
    session = Session.open(options, "history", repo.root, planning.check_revisions(revisions))
    if plan.revisions:  # else a note says there is nothing to scan
        session.tell(f"tokscan history: scanning {printable(plan.description)}")
    settings = scan.Settings(
        jobs=session.jobs,
        reading=session.reading,
        progress=session.progress,
        excluded=session.excluded,
        allow_shallow=allow_shallow,
        warn=output.warn,
    )
    scope = scan.Scope(
        plan.revisions, everything=plan.everything, tip=planning.default_tip(repo)
    )
    session.report.notes += scan.scan_revisions(repo, scope, session.collector, settings)
    return session.conclude()
