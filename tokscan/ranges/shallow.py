"""Making a shallow clone hold a whole range: deepened step by step (50, 200, 1000
commits, then all of its history) until no commit the range lists, nor any on its excluded
side, is a shallow boundary, or a failure that says how to fix the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from tokscan import git
from tokscan.errors import TokscanError

REMOTE = "origin"
# How far a shallow clone is deepened, in turn, before fetching all of its history.
DEEPEN_STEPS = (50, 200, 1000)


def is_shallow(root: Path) -> bool:
    return git.run(root, "rev-parse", "--is-shallow-repository").strip() == b"true"


def make_whole(
    root: Path,
    fix: str,
    revisions: list[str],
    tips: list[str],
    excluded: list[str],
    notes: list[str],
) -> None:
    """Deepen a shallow clone until the range is whole, or fail saying how to fix it
    (`fix`: the step for this CI, e.g. actions/checkout's `fetch-depth: 0`)."""
    steps: list[int | None] = [*DEEPEN_STEPS, None]
    while is_shallow(root):
        boundary = _shallow_commits(root)
        listed = set(_lines(git.run(root, "rev-list", *revisions)))
        cut = bool(listed & boundary)
        for base in excluded:
            if cut:
                break
            cut = bool(set(_lines(git.run(root, "rev-list", base, "--not", *tips[:1]))) & boundary)
        if not cut:
            break
        if not steps:
            raise TokscanError(_shallow_message(fix, "its full history does not reach the base"))
        step = steps.pop(0)
        depth = [f"--deepen={step}"] if step is not None else ["--unshallow"]
        problem = git.fetch(root, REMOTE, *depth, *tips)
        if problem is not None:
            raise TokscanError(_shallow_message(fix, f"deepening it failed: {problem}"))
        notes.append(
            f"deepened the shallow clone by {step} commits"
            if step is not None
            else "fetched the rest of the shallow clone's history (--unshallow)"
        )


def _shallow_message(fix: str, why: str) -> str:
    return (
        f"this is a shallow clone that lacks commits of the range to scan, and {why}. "
        f"To fix it, {fix}."
    )


def _shallow_commits(root: Path) -> set[str]:
    path = git.run(root, "rev-parse", "--git-path", "shallow").decode().strip()
    full = path if os.path.isabs(path) else os.path.join(root, path)
    try:
        with open(full) as handle:
            return {line.strip() for line in handle if line.strip()}
    except FileNotFoundError:
        return set()


def _lines(output: bytes) -> list[str]:
    return [line for line in output.decode().split("\n") if line]
