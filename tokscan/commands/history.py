"""`tokscan history [REVISION-RANGE]...`: commits, as `git rev-list` takes them; by default
everything reachable from any ref, the stash included."""

from __future__ import annotations

from pathlib import Path

from tokscan import config as configuration
from tokscan.commands import session
from tokscan.git.repository import open_repository
from tokscan.options import Options
from tokscan.pipeline import collect
from tokscan.ranges.revisions import check_revisions, default_tip, everything
from tokscan.report import output
from tokscan.sources.history import scan


def run(
    options: Options, revisions: list[str], allow_shallow: bool = False, binary: bool = False
) -> int:
    checked = check_revisions(revisions)
    repo = open_repository(Path("."))
    config = session.load_config(repo.root, options)
    report = collect.new_report("history", str(repo.root), checked)
    collector = collect.Collector(report, session.suppressor(config, options))
    settings = scan.Settings(
        jobs=session.jobs(options),
        binary=binary,
        progress=session.wants_progress(options),
        excluded=configuration.excluder(config.exclude),
        allow_shallow=allow_shallow,
        warn=output.warn,
    )
    full = not checked  # no revisions: a full audit
    scope = scan.Scope(
        everything(repo) if full else checked, everything=full, tip=default_tip(repo)
    )
    report.notes += scan.scan_revisions(repo, scope, collector, settings)
    return session.conclude(report, options)
