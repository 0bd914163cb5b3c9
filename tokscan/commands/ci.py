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

    A path in the repository is read from the base's tree by its literal path, never
    through the checked-out head, whose symbolic links the change controls. A path that is
    a symbolic link in the base is not used; a path that only the commits under review add
    (or change, when there is no base) is ignored, with a note. A file outside the
    repository, or one it does not track (written by the CI job itself), is read from disk
    (`explicit`: the user named it, so it must exist). Returns (bytes, name for messages),
    or None for "no such file".
    """
    inside = _inside(root, path)
    if inside is not None:
        if base is not None:
            entry = _base_entry(root, base, inside)
            if entry is not None:
                mode, oid = entry
                if mode in ("100644", "100755"):
                    return git.run(root, "cat-file", "blob", oid), f"{inside} at {base[:12]}"
                kind = "a symbolic link" if mode == "120000" else "not a regular file"
                link = "through a link" if mode == "120000" else "from it"
                _tell(
                    options,
                    f"{what} {inside} is {kind} in the base {base[:12]}: tokscan ci reads "
                    f"no policy {link}, so it is not used",
                )
                return None
        if _tracked(root, inside):
            at = f"the base {base[:12]}" if base else "any base revision"
            _tell(
                options,
                f"{what} {inside} is not in {at}: it comes with the commits under "
                "review, so it is not used",
            )
            return None
        if explicit and _through_link(root, inside):
            _tell(
                options,
                f"{what} {inside} is reached through a symbolic link in the work tree, "
                "which the commits under review may have made, so it is not used",
            )
            return None
    if not explicit:
        return None
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise TokscanError(f"cannot read {what} file {path}: {error.strerror}") from None


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the work tree, "/"-separated, or None when it is outside.

    Decided on the path as written (made absolute, `..` removed as text), never by
    resolving symbolic links inside the work tree: the checked-out head controls those.
    Only the folders above the work tree may be links (a CI workspace often is)."""
    absolute = Path(os.path.abspath(path))
    top = os.path.realpath(root)
    for folder in reversed(absolute.parents):  # from "/" down: the work tree itself first
        if os.path.realpath(folder) == top:
            return absolute.relative_to(folder).as_posix()
    if Path(os.path.realpath(absolute)).is_relative_to(top):
        raise TokscanError(
            f"{path} leads into the repository through a symbolic link; name the file by "
            "its path in the repository, so that it is read from the base revision"
        )
    return None


def _base_entry(root: Path, base: str, inside: str) -> tuple[str, str] | None:
    """(mode, object id) of the entry at exactly this path in the base's tree, or None.

    The path is looked up literally: no symbolic link in the base is followed either."""
    listing = git.try_run(root, "ls-tree", "-z", "--full-tree", base, "--", *git.literal([inside]))
    for line in (listing or b"").split(b"\0"):
        info, _, name = line.partition(b"\t")
        if os.fsdecode(name) == inside:
            mode, _kind, oid = info.decode("ascii").split()
            return mode, oid
    return None


def _through_link(root: Path, inside: str) -> bool:
    """Whether reaching `inside` from the work tree's top passes a symbolic link."""
    here = Path(root)
    for part in inside.split("/"):
        here = here / part
        if here.is_symlink():
            return True
    return False


def _tracked(root: Path, relative: str) -> bool:
    return (
        git.try_run(root, "ls-files", "--error-unmatch", "--", *git.literal([relative])) is not None
    )


def _tell(options: Options, text: str) -> None:
    if not options.quiet:
        output.write_err(f"tokscan ci: {text}\n")

