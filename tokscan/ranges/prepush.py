"""What a push sends (`tokscan pre-push`): git's pre-push lines turned into one commit range.

git runs the pre-push hook with the remote's name and URL as arguments and one line per
ref on standard input: `<local ref> <local sha> <remote ref> <remote sha>`. The remote
already has every commit reachable from any of its refs, so the commits a push sends are
the local tips minus what is reachable from the remote's known tips:

- an update (fast-forward or forced): `local --not remote-sha --remotes=<remote>`;
- a new branch (remote sha all zeros): `local --not --remotes=<remote>`;
- a deletion (local sha all zeros): nothing.

A ref may name a tag, or point straight at a blob or a tree: the tag's message and the
blobs and trees it reaches are sent too (where the remote's tips do not reach them), so
the ref names go with the range for the history engine to read them.

A remote sha this repository does not have (someone else pushed it) cannot be excluded,
so only the remote-tracking refs are. The pre-commit framework does not pass the lines on
standard input but sets PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF (or, for a push of a whole
new history, only PRE_COMMIT_LOCAL_BRANCH) and PRE_COMMIT_REMOTE_NAME; those are read too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tokscan import git
from tokscan.errors import TokscanError


@dataclass
class PushRange:
    """The rev-list arguments selecting the commits a push sends."""

    tips: list[str] = field(default_factory=list)  # local objects being pushed (commits, tags…)
    exclude: list[str] = field(default_factory=list)  # rev-list arguments after --not
    # (the remote ref it updates, the object) for each tip: a tag's message, or a blob or
    # tree that a ref points to directly, is sent too and named by its ref
    refs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.tips

    def rev_args(self) -> list[str]:
        return [*self.tips, "--not", *self.exclude] if self.exclude else list(self.tips)


def from_lines(root: Path, remote: str | None, lines: list[str]) -> PushRange:
    """The range for the ref lines git wrote on the hook's standard input."""
    push = PushRange()
    excluded: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4:
            raise TokscanError(
                f"pre-push input line {number} is not '<local ref> <sha> <remote ref> <sha>'"
            )
        _, local_sha, remote_ref, remote_sha = parts
        if git.is_null(local_sha):
            continue  # deleting a remote ref sends nothing
        push.tips.append(local_sha)
        push.refs.append((remote_ref, local_sha))
        if not git.is_null(remote_sha) and _exists(root, remote_sha):
            excluded.append(remote_sha)
    push.exclude = excluded + _remote_refs(remote)
    return push


def from_environment(env: Mapping[str, str]) -> tuple[str | None, PushRange] | None:
    """The range from the pre-commit framework's variables, or None when they are absent."""
    if env.get("PRE_COMMIT") != "1" and "PRE_COMMIT_REMOTE_NAME" not in env:
        return None
    remote = env.get("PRE_COMMIT_REMOTE_NAME")
    push = PushRange()
    to_ref = env.get("PRE_COMMIT_TO_REF")
    from_ref = env.get("PRE_COMMIT_FROM_REF")
    branch = env.get("PRE_COMMIT_LOCAL_BRANCH")
    if to_ref:
        push.tips.append(to_ref)
        push.exclude = ([from_ref] if from_ref else []) + _remote_refs(remote)
    elif branch:
        push.tips.append(branch)
        push.exclude = _remote_refs(remote)
    else:
        return None
    push.refs.append((env.get("PRE_COMMIT_REMOTE_BRANCH") or push.tips[0], push.tips[0]))
    return remote, push


def _remote_refs(remote: str | None) -> list[str]:
    # A push to a URL rather than a named remote has no remote-tracking refs to exclude.
    if not remote or "/" in remote or ":" in remote:
        return []
    return [f"--remotes={remote}"]


def _exists(root: Path, sha: str) -> bool:
    return git.try_run(root, "cat-file", "-e", f"{sha}^{{commit}}") is not None
