"""`tokscan ci`: the commits a CI run brings, found from the CI's environment.

The range comes from ranges/ci.py; the scan is the history engine's. What is trusted comes
from the range's base, never from the commits under review (SPEC §6): the configuration
(`.tokscan.yaml`, or `--config FILE` when that file is in the repository), the allowlist in
it and a `--baseline FILE` kept in the repository are read as the base has them, by their
path in the base's tree (never through the checkout, whose symbolic links the change
controls). A change cannot allowlist its own leak; the `tokscan:allow` pragmas it adds are
listed for review.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tokscan.commands import basepolicy
from tokscan.commands.session import Session
from tokscan.errors import ExitCode, TokscanError
from tokscan.git.repository import open_repository, work_tree_top
from tokscan.model import ScanRange
from tokscan.options import Options
from tokscan.pipeline import pragmas
from tokscan.ranges import ci as source
from tokscan.report import output
from tokscan.sources.range_diff import RangeDiff
from tokscan.terminal import plural

_REVIEW = basepolicy.Reader("tokscan ci", "the commits under review")


def run(
    options: Options, base: str | None = None, env: Mapping[str, str] | None = None
) -> ExitCode:
    top = work_tree_top()
    if top is None:
        raise TokscanError("not in a git work tree: `tokscan ci` scans the commits of a checkout")
    root = Path(top)
    asked = source.request(os.environ if env is None else env, base)
    plan = source.resolve(root, asked)
    for note in plan.notes:
        _tell(options, note)
    # The policy comes from the base, `verify: true` included.
    config = basepolicy.configuration_at(root, plan.base, options, _REVIEW)
    baseline = basepolicy.baseline_at(root, plan.base, options, _REVIEW)
    session = Session(options, "ci", root, config, baseline, plan.revisions)
    report = session.report
    report.range = ScanRange(
        asked.provider, asked.event, plan.head, plan.base, plan.commits, plan.reason
    )
    _tell(options, plan.reason)
    trusted = f"from {plan.base[:12]}" if plan.base else "built in (there is no base revision)"
    if not plan.revisions:
        _tell(options, "nothing to scan")
        return session.conclude()
    _tell(options, f"scanning {plural(plan.commits, 'commit')}; configuration {trusted}")
    with RangeDiff(root, plan.diff_base, plan.head) as diff:  # runs while the scan does
        scan_history(root, plan.revisions, session)
        report.pragmas_added = pragmas.to_review(report, diff.pragma_lines(), session.excluded)
    return session.conclude()


def scan_history(root: Path, revisions: list[str], session: Session) -> None:
    """The history engine scans the range's commits into the collector (attributed findings:
    commit, author, date, path, line). The range was made whole first, so a shallow clone
    is fine here."""
    from tokscan.ranges.revisions import default_tip
    from tokscan.sources.history import scan

    repo = open_repository(root)
    settings = scan.Settings(
        jobs=session.jobs,
        reading=session.reading,
        progress=session.progress,
        excluded=session.excluded,
        range_complete=True,
        warn=output.warn,
    )
    scope = scan.Scope(revisions, tip=default_tip(repo))
    session.report.notes += scan.scan_revisions(repo, scope, session.collector, settings)


def _tell(options: Options, text: str) -> None:
    if not options.quiet:
        output.write_err(f"tokscan ci: {text}\n")

