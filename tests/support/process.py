"""Running tokscan as a real process, for what an in-process run cannot show: a terminal,
a pipe on stdin, and file permissions that bind (root ignores them)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support import jsonreport

# Linux capabilities that let root read any file; dropping them makes permissions bind.
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run(
    args: list[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Result:
    """`python -m tokscan ARGS` in `cwd`; a JSON report on stdout is checked against SPEC §4."""
    done = subprocess.run(
        [sys.executable, "-m", "tokscan", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn,
        timeout=300,
    )
    result = Result(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )
    if jsonreport.wants_json(args) and not jsonreport.writes_to_file(args) and result.stdout:
        jsonreport.load(result.stdout)
    return result


def _drop_read_override() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop capability")


def permissions_bind() -> Callable[[], None] | None:
    """A `preexec_fn` under which file permissions bind for the child process.

    Root reads every file regardless of its mode, so as root the child drops the two
    capabilities that allow that (it stays root, and can still write its coverage data).
    None when no help is needed (not root)."""
    return _drop_read_override if os.geteuid() == 0 else None


def can_make_unreadable(tmp_path: Path) -> bool:
    """Whether `chmod 000` really stops a child process here (not on every filesystem)."""
    probe = tmp_path / "probe-unreadable"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        done = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}, 'rb')"],
            preexec_fn=permissions_bind(),
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        probe.chmod(0o644)
        probe.unlink()
    return done.returncode != 0
