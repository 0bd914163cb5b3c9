"""`tokscan pre-receive`: the server-side gate (git's pre-receive hook).

It runs in the receiving repository before any ref moves, scans what the push brings
(ranges/prereceive.py: the new commits, their messages, annotated tags; the objects read
from git's quarantine, never fetched) with the history engine, and the pushed refs' names,
and rejects the whole push when it holds a key. Everything the hook prints reaches the
pusher as `remote:` lines.

Policy is the server's alone: `--config`/`--baseline`, or `tokscan.config` /
`tokscan.baseline` in the repository's git config; a `.tokscan.yaml` inside the pushed
commits is never read. The other settings also come from the command line or git config
(the command line wins): `tokscan.timeout` and `tokscan.timeoutAction` (the time budget,
failing closed by default), `tokscan.allowSkip` (whether `git push -o tokscan.skip` lets a
push through unscanned; off by default) and `tokscan.log` (where such bypasses are
recorded, beside the pusher's terminal).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tokscan import config as configuration
from tokscan import detect, git, parallel
from tokscan.commands.session import Session
from tokscan.errors import ExitCode, TokscanError
from tokscan.git.repository import Repository, open_repository
from tokscan.model import Origin, Outcome, Where
from tokscan.options import Options
from tokscan.pipeline import suppress
from tokscan.ranges import prereceive
from tokscan.ranges.prepush import PushRange
from tokscan.ranges.revisions import default_tip
from tokscan.report import output
from tokscan.sources.history import scan

SKIP_OPTION = "tokscan.skip"  # `git push -o tokscan.skip` or `-o tokscan.skip=<reason>`
TIMEOUT_ACTIONS = ("reject", "allow")


@dataclass(frozen=True)
class Server:
    """The server's settings for this run: the command line's, else the git config's."""

    config: Path | None = None
    baseline: Path | None = None
    timeout: float | None = None
    timeout_action: str | None = None  # "reject" (the default) or "allow"
    allow_skip: bool | None = None  # off by default
    log: Path | None = None


def run(options: Options, given: Server, stdin: TextIO,
        env: Mapping[str, str] = os.environ) -> ExitCode:  # fmt: skip
    try:  # git runs the hook in the repository (a bare one's git directory)
        repo = open_repository(Path(os.getcwd()))
    except TokscanError:
        raise TokscanError(
            "not in a git repository: `tokscan pre-receive` runs as the server's pre-receive "
            "hook, in the repository that receives the push"
        ) from None
    server = settings(repo.root, options, given)
    lines = [] if stdin.isatty() else stdin.read().splitlines()
    push = prereceive.from_lines(lines)
    if push.empty:
        return ExitCode.CLEAN  # deletions only: nothing is brought
    reason = skip_requested(prereceive.push_options(env))
    if reason is not None:
        if server.allow_skip and server.log is not None:
            return _bypass(repo, server.log, lines, reason, env)
        why = "is not enabled on this server (git config tokscan.allowSkip)"
        if server.allow_skip:  # an emergency exit nobody could audit stays shut
            why = "is enabled, but no log is set to record it (git config tokscan.log)"
        output.warn(f"the push option {SKIP_OPTION} {why}; the push is scanned as usual")
    if server.timeout is None:
        return _scan(repo, server, options, push)
    return _within_budget(repo, server, options, push)


def settings(root: Path, options: Options, given: Server) -> Server:
    """`given` (the command line) completed from the repository's git config."""
    listed = git.run(root, "config", "-z", "--get-regexp", r"^tokscan\.", check=False)
    found: dict[str, str] = {}
    for entry in listed.split(b"\0"):
        name, _, value = entry.decode("utf-8", "surrogateescape").partition("\n")
        if name:
            found[name.lower()] = value

    def path(key: str) -> Path | None:
        value = found.get(key)
        return None if not value else (root / os.path.expanduser(value))

    timeout = given.timeout
    if timeout is None and found.get("tokscan.timeout"):
        timeout = parse_timeout(found["tokscan.timeout"], "git config tokscan.timeout")
    action = given.timeout_action or found.get("tokscan.timeoutaction", "reject").lower()
    if action not in TIMEOUT_ACTIONS:
        raise TokscanError(
            f"git config tokscan.timeoutAction must be reject or allow, not {action!r}"
        )
    allow_skip = given.allow_skip
    if allow_skip is None:
        allow_skip = _boolean(found.get("tokscan.allowskip", "false"))
    return Server(
        config=options.config or given.config or path("tokscan.config"),
        baseline=options.baseline or given.baseline or path("tokscan.baseline"),
        timeout=timeout,
        timeout_action=action,
        allow_skip=allow_skip,
        log=given.log or path("tokscan.log"),
    )


def parse_timeout(text: str, where: str = "--timeout") -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise TokscanError(f"{where} must be a number of seconds above 0, not {text!r}")
    return seconds


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0", ""):
        return False
    raise TokscanError(f"git config tokscan.allowSkip must be true or false, not {text!r}")


def skip_requested(push_options: list[str]) -> str | None:
    """The reason given with the bypass push option ("" when none), or None when absent."""
    for option in push_options:
        name, equals, reason = option.partition("=")
        if name.strip() == SKIP_OPTION:
            return reason.strip() if equals else ""
    return None


def _scan(repo: Repository, server: Server, options: Options, push: PushRange) -> ExitCode:
    """Scan what the push brings, under the server's policy, and report to the pusher."""
    try:
        config = configuration.load(repo.root, server.config) if server.config else None
        baseline = suppress.read_baseline(server.baseline) if server.baseline else frozenset()
        session = Session(options, "pre-receive", repo.root, config or configuration.Config(),
                          baseline, push.rev_args())  # fmt: skip
        settings_ = scan.Settings(
            jobs=session.jobs,
            reading=session.reading,
            progress=False,  # the pusher's terminal is not ours to draw on
            excluded=session.excluded,
            range_complete=True,  # the quarantine holds what the push brings
            where=Where.RECEIVED,
            tags=tuple(push.refs),
            warn=output.warn,
        )
        scope = scan.Scope(push.rev_args(), tip=default_tip(repo), known=tuple(push.exclude))
        session.report.notes += scan.scan_revisions(repo, scope, session.collector, settings_)
        _scan_ref_names(session, push)
        code = session.conclude(quiet_when_clean=True)
    except TokscanError as error:
        output.warn(error.message)
        code = error.exit_code
    if code != ExitCode.CLEAN:
        output.warn("the push was rejected: no ref was updated")
    return code


def _scan_ref_names(session: Session, push: PushRange) -> None:
    """Keys in the names of the refs pushed: a branch or tag name travels with the push and
    every clone lists it (`git ls-remote`), like a file's name in a tree."""
    for ref, new in push.refs:
        hits = [hit for _, hit in detect.in_name(ref)]
        if hits:
            origin = Origin(ref, commit=new)
            session.collector.add(Outcome(origin, hits), Where.RECEIVED, tally=False)


def _within_budget(repo: Repository, server: Server, options: Options,
                   push: PushRange) -> ExitCode:  # fmt: skip
    """The scan with `server.timeout` seconds to finish; past that it is stopped, and the
    push is rejected (or let through with --timeout-action allow), saying so."""
    assert server.timeout is not None
    folder = tempfile.mkdtemp(prefix="tokscan-pre-receive-")
    try:
        done = parallel.within(server.timeout, lambda: int(_scan(repo, server, options, push)),
                               folder)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done is not None:
        code, stdout, stderr = done
        if stdout:
            output.write(sys.stdout, stdout.decode("utf-8", "replace"), options.show_secrets)
        if stderr:
            output.write_err(stderr.decode("utf-8", "replace"))
        try:
            return ExitCode(code)
        except ValueError:  # killed by a signal, say: not a clean scan
            return ExitCode.ERROR
    cut = (
        f"the scan was cut short after {server.timeout:g} s (the server's time budget, "
        "--timeout or git config tokscan.timeout), so this push was not fully checked"
    )
    if server.timeout_action == "allow":
        output.warn(f"{cut}; the server lets such pushes through (--timeout-action allow)")
        return ExitCode.CLEAN
    output.warn(
        f"{cut}, and was rejected: no ref was updated. Push fewer commits at a time, or ask "
        "the server's administrator to raise the budget."
    )
    return ExitCode.ERROR


def _bypass(repo: Repository, log: Path, lines: list[str], reason: str,
            env: Mapping[str, str]) -> ExitCode:  # fmt: skip
    """Let the push through unscanned, record who did it and what, and tell the pusher."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    who = prereceive.pusher(env)
    refs = "; ".join(line.strip() for line in lines if line.strip())
    said = reason or "(none given)"
    record = (
        f"{stamp} tokscan pre-receive: push let through unscanned ({SKIP_OPTION}) "
        f"repository={repo.root} pusher={who} reason={said!r} refs=[{refs}]"
    )
    output.append_log(log, record)
    output.warn(record)
    output.warn(
        f"the push option {SKIP_OPTION} let this push through without a scan for keys; "
        "it has been logged for the server's administrators. Scan it yourself with "
        "`tokscan history <old>..<new>` and rotate any key it holds."
    )
    return ExitCode.CLEAN
