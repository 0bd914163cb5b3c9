"""`tokscan ci`: the commits a CI run brings, found from the CI's environment.

The range comes from ranges/ci.py; the scan is the history engine's. What is trusted comes
from the range's base, never from the commits under review (SPEC §6): the configuration
(`.tokscan.yaml`, or `--config FILE` when that file is in the repository), the allowlist in
it and a `--baseline FILE` kept in the repository are read as the base has them. A change
cannot allowlist its own leak; the `tokscan:allow` pragmas it adds are listed for review.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tokscan import config as configuration
from tokscan import git
from tokscan.commands.session import Session
from tokscan.errors import ExitCode, TokscanError
from tokscan.git.repository import open_repository, work_tree_top
from tokscan.model import ScanRange
from tokscan.options import Options
from tokscan.pipeline import pragmas, suppress
from tokscan.ranges import ci as source
from tokscan.report import output
from tokscan.sources.range_diff import RangeDiff
from tokscan.terminal import plural


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
    config = _configuration(root, plan.base, options)
    baseline = _baseline(root, plan.base, options)
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


# --- What is trusted: read from the base --------------------------------------------------


def _configuration(root: Path, base: str | None, options: Options) -> configuration.Config:
    path = options.config if options.config is not None else root / configuration.FILENAME
    explicit = options.config is not None
    found = _trusted_file(root, base, path, "configuration", options, explicit)
    if found is None:
        return configuration.Config()
    data, name = found
    return configuration.parse(data, name)


def _baseline(root: Path, base: str | None, options: Options) -> frozenset[str]:
    if options.baseline is None:
        return frozenset()
    found = _trusted_file(root, base, options.baseline, "baseline", options, explicit=True)
    if found is None:
        return frozenset()
    data, name = found
    return suppress.parse_baseline(data, name)


def _trusted_file(
    root: Path, base: str | None, path: Path, what: str, options: Options, explicit: bool
) -> tuple[bytes, str] | None:
    """The file as the base revision has it, when it belongs to the repository.

    A file the repository tracks is read from the base; one that only the commits under
    review add (or change, when there is no base) is ignored, with a note. A file outside
    the repository, or one it does not track (written by the CI job itself), is read from
    disk (`explicit`: the user named it, so it must exist). Returns (bytes, name for
    messages), or None for "no such file".
    """
    inside = _inside(root, path)
    if inside is not None:
        if base is not None:
            blob = git.try_run(root, "cat-file", "blob", f"{base}:{inside}")
            if blob is not None:
                return blob, f"{inside} at {base[:12]}"
        if _tracked(root, inside):
            at = f"the base {base[:12]}" if base else "any base revision"
            _tell(
                options,
                f"{what} {inside} is not in {at}: it comes with the commits under "
                "review, so it is not used",
            )
            return None
    if not explicit:
        return None
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise TokscanError(f"cannot read {what} file {path}: {error.strerror}") from None


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the work tree, "/"-separated, or None when it is outside."""
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None


def _tracked(root: Path, relative: str) -> bool:
    return (
        git.try_run(root, "ls-files", "--error-unmatch", "--", *git.literal([relative])) is not None
    )


def _tell(options: Options, text: str) -> None:
    if not options.quiet:
        output.write_err(f"tokscan ci: {text}\n")

