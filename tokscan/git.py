"""The one place that runs git.

Every call uses an argument list (never a shell string) and switches off what a hostile
repository's `.git/config` could abuse (SPEC §6): external diff and textconv drivers,
fsmonitor hooks, pagers, credential prompts and lazy fetches of missing objects.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tokscan.errors import TokscanError

# `-c` settings that neutralise configuration a scanned repository could carry. Commands
# that diff also pass `--no-ext-diff --no-textconv`.
SAFE_CONFIG = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "protocol.allow=never",
    "-c", "credential.helper=",
    "-c", "core.quotePath=false",
)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        LC_ALL="C",
    )
    env.pop("GIT_EXTERNAL_DIFF", None)  # diff commands also pass --no-ext-diff
    return env


def command(cwd: Path | str, *args: str) -> list[str]:
    return ["git", "-C", os.fspath(cwd), *SAFE_CONFIG, *args]


def run(
    cwd: Path | str,
    *args: str,
    check: bool = True,
    input: bytes | None = None,
    warnings: list[str] | None = None,
) -> bytes:
    """Run git and return its stdout; a failure becomes a TokscanError naming the command.

    Some commands only warn and still succeed when they could not do everything (ls-files
    on a directory it cannot read); pass `warnings` to collect what git said on stderr."""
    try:
        done = subprocess.run(
            command(cwd, *args),
            input=input,
            capture_output=True,
            env=environment(),
            check=False,
        )
    except FileNotFoundError:
        raise TokscanError("git is not installed or not on PATH") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise TokscanError(f"git {args[0]} failed: {message}")
    if warnings is not None:
        warnings.extend(done.stderr.decode("utf-8", "replace").splitlines())
    return done.stdout


def popen(cwd: Path | str, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            command(cwd, *args),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(),
        )
    except FileNotFoundError:
        raise TokscanError("git is not installed or not on PATH") from None


def toplevel(path: Path | str) -> Path | None:
    """The work tree root containing `path`, or None when `path` is not in a work tree."""
    done = subprocess.run(
        command(path, "rev-parse", "--show-toplevel"),
        capture_output=True,
        env=environment(),
        check=False,
    )
    if done.returncode != 0:
        return None
    return Path(os.fsdecode(done.stdout.rstrip(b"\n")))


def split_z(output: bytes) -> list[str]:
    """NUL-separated git output as paths (undecodable bytes kept via surrogateescape)."""
    return [os.fsdecode(item) for item in output.split(b"\0") if item]


def literal(paths: Sequence[str]) -> list[str]:
    """Pathspecs that match exactly these paths (no globbing, no magic)."""
    return [f":(literal){p}" for p in paths]
