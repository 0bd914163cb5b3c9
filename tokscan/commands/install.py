"""`tokscan install [--hook pre-commit|pre-push] [--force]`."""

from __future__ import annotations

from pathlib import Path

from tokscan.errors import ExitCode
from tokscan.git import hooks
from tokscan.report import output


def run(hook: str, force: bool) -> ExitCode:
    target, outcome = hooks.install(Path.cwd(), hook, force)
    output.write_err(f"tokscan {hook} hook {outcome}: {target}\n")
    return ExitCode.CLEAN
