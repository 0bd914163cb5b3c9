"""`tokscan pre-push [REMOTE] [URL]`: the commits a push sends (the pre-push hook).

The range comes from the ref lines git writes on standard input (ranges/prepush.py) and
is scanned by the history engine, so each finding names the commit that brought the key.
The policy (configuration, allowlist, baseline) is read from the remote's default branch as
this repository knows it (commands/basepolicy.py), never from the branch being pushed: a
push to any branch must not be able to allowlist its own leak. Without a known default
branch, files that the repository tracks are not used (a note says how to fix that).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from tokscan.commands import basepolicy
from tokscan.commands.session import Session
from tokscan.errors import ExitCode, TokscanError
from tokscan.git.repository import open_repository
from tokscan.model import Where
from tokscan.options import Options
from tokscan.ranges import prepush
from tokscan.ranges.revisions import default_tip
from tokscan.report import output
from tokscan.sources.history import scan
from tokscan.terminal import printable


def run(options: Options, remote: str | None, url: str | None, stdin: TextIO) -> ExitCode:
    try:  # a work tree's top, or the git directory of a bare repository (a mirror)
        repo = open_repository(Path(os.getcwd()))
    except TokscanError:
        raise TokscanError(
            "not in a git repository: `tokscan pre-push` runs as git's pre-push hook"
        ) from None
    root = repo.root
    lines = [] if stdin.isatty() else stdin.read().splitlines()
    from_framework = None if lines else prepush.from_environment(root, os.environ)
    if from_framework is not None:
        remote, push = from_framework
    else:
        push = prepush.from_lines(root, remote, lines, url)
    if push.empty:
        return ExitCode.CLEAN  # deleting refs, or nothing on standard input: nothing is sent
    base, reader = _policy_base(push)
    config = basepolicy.configuration_at(root, base, options, reader)
    baseline = basepolicy.baseline_at(root, base, options, reader)
    # The default branch's allowlist applies to every branch, but its `verify: true` does
    # not: only the user's own word (--verify, --config FILE, their config) sends keys out.
    session = Session(options, "pre-push", root, config, baseline, push.rev_args(),
                      trusted=options.config is not None)
    settings = scan.Settings(
        jobs=session.jobs,
        reading=session.reading,
        progress=session.progress,
        excluded=session.excluded,
        range_complete=True,  # the commits being pushed are all here, shallow clone or not
        where=Where.UNPUSHED,
        tags=tuple(push.refs),  # tag messages, and blobs and trees that refs point to
        warn=output.warn,
    )
    scope = scan.Scope(push.rev_args(), tip=default_tip(repo), known=tuple(push.exclude))
    session.report.notes += push.notes
    if base is not None and (config.source is not None or baseline):
        session.report.notes.append(f"policy from {reader.revision} ({base[:12]})")
    session.report.notes += scan.scan_revisions(repo, scope, session.collector, settings)
    if session.report.findings or session.report.errors:  # a clean push stays silent
        session.tell(f"tokscan pre-push: scanned {describe(push, remote or url)}")
    return session.conclude(quiet_when_clean=True)


def describe(push: prepush.PushRange, remote: str | None) -> str:
    """What the push sends, and why those commits: the scope line, as `tokscan ci` has it."""
    refs = ", ".join(dict.fromkeys(printable(ref) for ref, _ in push.refs))
    whom = f" to {printable(remote)}" if remote else ""
    known = len(push.exclude)
    if not known:
        return f"what this push sends{whom}: {refs}; all their history (the remote has none of it)"
    tips = f"{known} tip{'s' if known != 1 else ''}"
    return f"what this push sends{whom}: {refs}; less what the remote has ({tips})"


def _policy_base(push: prepush.PushRange) -> tuple[str | None, basepolicy.Reader]:
    """The commit whose policy applies (the remote's default branch), and the reader that
    names it in notes."""
    if push.policy is None:
        return None, basepolicy.Reader(
            "tokscan pre-push",
            "the commits being pushed (the remote's default branch is not known here: "
            "`git remote set-head <remote> --auto` records it)",
            "the remote's default branch",
        )
    commit, name = push.policy
    return commit, basepolicy.Reader("tokscan pre-push", "the commits being pushed", name)
