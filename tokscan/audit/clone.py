"""Bare clones in the work folder, made and refreshed through GitPython.

A repository from a URL is cloned bare (`Repo.clone_from(..., bare=True)`) the first time
and fetched (`Remote.fetch`) on every later run, so a nightly audit downloads only what
changed. GitPython refuses `ext::`-style protocols and options that run programs
(`--upload-pack`, `-c`, `--config`); tokscan adds its own settings (git/process.py) to
every git that GitPython starts, through the environment (`GIT_CONFIG_COUNT`…, which git
reads as command-line configuration): no hooks, no fsmonitor, no credential helpers or
prompts, only the transports of the allowlist (`protocol.allow=never` and
`GIT_ALLOW_PROTOCOL`), no lazy fetches, plain ssh in batch mode.

Credentials never reach the clone's config: the clone is told the URL without them, and
an https URL's user and password travel as an `http.extraHeader` in the environment.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tokscan import keyformat
from tokscan.audit.sources import Source
from tokscan.errors import TokscanError
from tokscan.git.process import FETCH_PROTOCOLS, SAFE_SETTINGS, environment

# Branches and tags, as the remote has them (a bare clone's own mapping); other refs (pull
# requests, merge requests) are not part of the repository's history.
REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]


def git_environment(auth: str | None = None, url: str = "") -> dict[str, str]:
    """The environment for every git that GitPython starts: tokscan's safety settings as
    configuration, the transport allowlist, and no prompt of any kind. `auth` (an
    `Authorization` value) is scoped to `url`'s scheme and host, so a redirect cannot
    carry it to another host."""
    env = environment()
    settings = [setting.split("=", 1) for setting in SAFE_SETTINGS]
    settings += [[f"protocol.{name}.allow", "always"] for name in FETCH_PROTOCOLS]
    settings += [["init.templateDir", ""], ["fetch.recurseSubmodules", "false"],
                 ["transfer.fsckObjects", "false"], ["gc.auto", "0"],
                 ["maintenance.auto", "false"]]  # fmt: skip
    if auth is not None:
        settings.append([f"http.{_origin(url)}extraHeader", f"Authorization: {auth}"])
    for name in [n for n in env if n.startswith("GIT_CONFIG_")]:
        del env[name]
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for index, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    env.update(
        GIT_ALLOW_PROTOCOL=":".join(FETCH_PROTOCOLS),
        GIT_SSH_COMMAND="ssh -o BatchMode=yes",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        SSH_ASKPASS_REQUIRE="never",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def _origin(url: str) -> str:
    """`scheme://host[:port]/.` for a scoped http setting, or "" (unscoped) without one."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/."


_EVERY = 0.5  # seconds between two progress messages for one repository


def _progress_class() -> type[Any]:
    from git import RemoteProgress

    class Progress(RemoteProgress):  # type: ignore[misc,unused-ignore]
        """What git says while cloning or fetching: how far it got (passed on to `tell`,
        at most every half second, for the audit's progress line) and its last words (the
        reason, when it fails)."""

        def __init__(self, doing: str, tell: Callable[[str], None] | None) -> None:
            super().__init__()
            self.doing = doing
            self.tell = tell
            self.told = 0.0
            self.messages: list[str] = []

        def update(self, op_code: int, cur_count: Any, max_count: Any = None,
                   message: str = "") -> None:
            now = time.monotonic()
            if self.tell is None or (now - self.told < _EVERY and not op_code & self.END):
                return
            self.told = now
            stage = "receiving" if op_code & self.RECEIVING else "preparing"
            if op_code & self.RESOLVING:
                stage = "resolving"
            done = f" {100 * float(cur_count) / float(max_count):.0f}%" if max_count else ""
            self.tell(f"{self.doing} {stage}{done}")

        def line_dropped(self, line: str) -> None:
            self.messages.append(line.strip())

    return Progress


def refresh(source: Source, workdir: Path, tell: Callable[[str], None] | None = None) -> Path:
    """The bare clone of `source` in `workdir`, cloned now or fetched up to date; returns
    its path. `tell` hears how far the transfer got. A TokscanError says why it failed,
    with credentials removed."""
    from git import Repo
    from git.exc import GitCommandError, GitError, UnsafeOptionError, UnsafeProtocolError

    target = workdir / "repositories" / f"{source.slug}.git"
    env = git_environment(source.auth, source.url)
    fetching = (target / "HEAD").is_file()
    progress = _progress_class()("fetching" if fetching else "cloning", tell)
    try:
        if fetching:
            repo = Repo(target)
            repo.git.update_environment(**env)
            remote = repo.remote("origin")
            remote.fetch(REFSPECS, progress=progress, prune=True, no_tags=True)
            return target
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        Repo.clone_from(
            source.url, partial, progress=progress, env=env, bare=True,
            multi_options=["--no-recurse-submodules"],
        )  # fmt: skip
        os.replace(partial, target)  # a clone cut short is never taken for a finished one
        return target
    except (UnsafeProtocolError, UnsafeOptionError) as error:
        raise TokscanError(f"refused by GitPython: {_clean(str(error), source)}") from None
    except GitCommandError as error:
        # With a progress handler, GitPython keeps git's `fatal:` lines there.
        said = "\n".join([*progress.error_lines, str(error.stderr or ""), *progress.messages])
        verb = "fetch" if "fetch" in error.command else "clone"
        raise TokscanError(f"git {verb} failed: {_clean(_last_line(said), source)}") from None
    except (GitError, OSError, ValueError) as error:
        raise TokscanError(f"cannot clone or fetch: {_clean(str(error), source)}") from None


def unchanged(source: Source, workdir: Path, timeout: float) -> Path | None:
    """The bare clone of `source`, if the remote advertises exactly the branches and tags
    the clone has (one `git ls-remote`, with the clone's own environment): then a re-run
    needs no fetch. None when it differs, there is no clone yet, or the remote cannot be
    asked; the ordinary fetch then decides."""
    import subprocess

    target = workdir / "repositories" / f"{source.slug}.git"
    if not (target / "HEAD").is_file():
        return None
    env = git_environment(source.auth, source.url)
    try:
        advertised = subprocess.run(
            ["git", "ls-remote", "--heads", "--tags", "--", source.url],
            env=env, capture_output=True, timeout=timeout, check=False,
        )  # fmt: skip
        held = subprocess.run(
            ["git", "-C", str(target), "for-each-ref", "--format=%(objectname)\t%(refname)",
             "refs/heads", "refs/tags"],
            env=env, capture_output=True, timeout=timeout, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if advertised.returncode or held.returncode:
        return None
    remote = {line for line in advertised.stdout.splitlines() if not line.endswith(b"^{}")}
    return target if remote == set(held.stdout.splitlines()) else None


def _last_line(text: str) -> str:
    """git's reason: its first `fatal:` or `error:` line, else its last line."""
    text = text.strip().removeprefix("stderr:").strip().strip("'")
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return fatal[0] if fatal else (lines or ["no message"])[-1]


def _clean(text: str, source: Source) -> str:
    """A message from git or GitPython as tokscan may show it: no credentials, no keys."""
    import re

    from tokscan.audit.sources import strip_credentials

    text = re.sub(r"(https?://)[^/@\s]*@", r"\1", text)
    text = text.replace(source.url, strip_credentials(source.url))
    return keyformat.redact_all(text)
