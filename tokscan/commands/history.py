"""`tokscan history [REVISION-RANGE]...`: commits, as `git rev-list` takes them; by default
everything reachable from any ref, the stash included."""

from __future__ import annotations

from pathlib import Path

from tokscan import config as configuration
from tokscan import pipeline
from tokscan.commands import common
from tokscan.options import Options
from tokscan.sources import history


def run(
    options: Options, revisions: list[str], allow_shallow: bool = False, binary: bool = False
) -> int:
    checked = history.check_revisions(revisions)
    repo = history.open_repository(Path("."))
    config = common.load_config(repo.root, options)
    report = pipeline.new_report("history", str(repo.root), checked)
    collector = pipeline.Collector(report, common.suppressor(config, options))
    settings = history.Settings(
        jobs=common.jobs(options),
        binary=binary,
        progress=common.wants_progress(options),
        excluded=configuration.excluder(config.exclude),
        allow_shallow=allow_shallow,
    )
    history.scan_revisions(repo.root, checked, collector, settings)
    return common.conclude(report, options)
