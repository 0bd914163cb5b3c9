"""`tokscan history [REVISION-RANGE]...`: commits, as `git rev-list` takes them; by default
everything reachable from any ref, the stash included."""

from __future__ import annotations

from pathlib import Path

from tokscan.commands.session import Session
from tokscan.errors import ExitCode
from tokscan.options import Options
from tokscan.sources.history import scan


def run(
    options: Options, revisions: list[str], allow_shallow: bool = False, binary: bool = False
) -> ExitCode:
    checked = scan.check_revisions(revisions)
    repo = scan.open_repository(Path("."))
    session = Session.open(options, "history", repo.root, checked)
    settings = scan.Settings(
        jobs=session.jobs,
        binary=binary,
        progress=session.progress,
        excluded=session.excluded,
        allow_shallow=allow_shallow,
    )
    scan.scan_revisions(repo.root, checked, session.collector, settings)
    return session.conclude()
