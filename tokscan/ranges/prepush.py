"""What a push sends (`tokscan pre-push`): git's pre-push lines turned into one commit range.

git runs the pre-push hook with the remote's name and URL as arguments and one line per
ref on standard input: `<local ref> <local sha> <remote ref> <remote sha>`. The remote
already has every commit reachable from any of its refs, so the commits a push sends are
the local tips minus what is reachable from the remote's tips:

- an update (fast-forward or forced) or a new branch (remote sha all zeros):
  `local --not <every tip the remote has>`;
- a deletion (local sha all zeros): nothing.

What the remote has is what it advertises now (`git ls-remote`, through git/process.py
with its transport allowlist), plus the remote shas git passed: never the local
`refs/remotes/<remote>/*`, which go stale (a branch deleted or rewritten on the server
lingers in every clone that does not prune), so a leak the server dropped could be pushed
back. A tip this repository does not have (someone else pushed it) cannot be excluded.
When the remote cannot be asked, only the shas git passed count and a note says that more
is scanned: the range fails closed.

A ref may name a tag, or point straight at a blob or a tree: the tag's message and the
blobs and trees it reaches are sent too (where the remote's tips do not reach them), so
the ref names go with the range for the history engine to read them.

Its policy (configuration, allowlist, baseline) is read from the remote's default branch,
not from the branch being pushed (which could allowlist its own leak): `policy` is that
branch's tip as this repository knows it, `refs/remotes/<remote>/HEAD` (what `git clone`
and `git remote set-head` record), else the remote's `HEAD` as it advertises it now.

The pre-commit framework does not pass the lines on standard input but sets
PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF (or, for a push of a whole new history, only
PRE_COMMIT_LOCAL_BRANCH), PRE_COMMIT_REMOTE_NAME and PRE_COMMIT_REMOTE_URL; those are read
too.
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
    notes: list[str] = field(default_factory=list)  # for the report: how the range was found
    # the remote's default branch, whose policy applies: (commit, name) or None (unknown)
    policy: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        return not self.tips

    def rev_args(self) -> list[str]:
        return [*self.tips, "--not", *self.exclude] if self.exclude else list(self.tips)


def from_lines(
    root: Path, remote: str | None, lines: list[str], url: str | None = None
) -> PushRange:
    """The range for the ref lines git wrote on the hook's standard input."""
    push = PushRange()
    given: list[str] = []  # the remote's shas, as git passed them
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
        if not git.is_null(remote_sha):
            given.append(remote_sha)
    if push.tips:
        push.exclude, push.notes, push.policy = remote_tips(root, remote, url, given)
    return push


def from_environment(root: Path, env: Mapping[str, str]) -> tuple[str | None, PushRange] | None:
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
    elif branch:
        push.tips.append(branch)
        from_ref = None
    else:
        return None
    push.refs.append((env.get("PRE_COMMIT_REMOTE_BRANCH") or push.tips[0], push.tips[0]))
    url = env.get("PRE_COMMIT_REMOTE_URL")
    given = [from_ref] if from_ref else []
    push.exclude, push.notes, push.policy = remote_tips(root, remote, url, given)
    return remote, push


def remote_tips(
    root: Path, remote: str | None, url: str | None, given: list[str]
) -> tuple[list[str], list[str], tuple[str, str] | None]:
    """The tips the remote has, as far as this repository has them (rev-list excludes only
    what it has), notes, and the remote's default branch (see `default_branch`). The tips:
    every ref the remote advertises (asked at `url`, where the push goes, else `remote`)
    and the shas git passed; when the remote cannot be asked, only the latter."""
    notes: list[str] = []
    where = url or remote
    tips = list(given)
    advertised: list[tuple[str, str]] = []
    if where:
        advertised, problem = git.ls_remote(root, where)
        tips += [oid for oid, _ in advertised]
    else:
        problem = "no remote was named"
    if problem is not None:
        name = remote or url or "the remote"
        notes.append(
            f"could not ask {name} which refs it has ({problem}): only the refs this push "
            "updates count as already there, so commits the remote may have are scanned too"
        )
    return _present(root, tips), notes, default_branch(root, remote, advertised)


def default_branch(
    root: Path, remote: str | None, advertised: list[tuple[str, str]]
) -> tuple[str, str] | None:
    """The remote's default branch as this repository knows it: (commit, name for
    messages), or None. `refs/remotes/<remote>/HEAD` first (recorded by `git clone` and
    `git remote set-head`), else the `HEAD` the remote advertises, if this repository has
    that commit."""
    if remote:  # a URL gives no such ref, and git says so
        tracking = f"refs/remotes/{remote}/HEAD"
        target = git.try_run(root, "symbolic-ref", "--quiet", tracking)
        if target is not None:
            name = target.decode("utf-8", "surrogateescape").strip()
            found = _commit(root, name)
            if found is not None:
                return found, name.removeprefix("refs/remotes/")
    for oid, name in advertised:
        if name == "HEAD" and _present(root, [oid]):
            return oid, f"{remote or 'the remote'}'s HEAD"
    return None


def _commit(root: Path, name: str) -> str | None:
    done = git.try_run(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"
    )
    return done.decode("ascii").strip() if done else None


def _present(root: Path, oids: list[str]) -> list[str]:
    """The objects of `oids` that this repository has, as object ids, once each, in order.
    A name (`origin/main`, as `pre-commit run --from-ref` passes it) is resolved here."""
    unique = list(dict.fromkeys(o for o in oids if not git.is_null(o) and "\n" not in o))
    if not unique:
        return []
    listed = git.run(
        root,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        input="".join(f"{oid}\n" for oid in unique).encode(),
    )
    have: list[str] = []
    for line in listed.decode("utf-8", "replace").splitlines():  # one line per name, in order
        oid, _, kind = line.partition(" ")  # else "<name> missing" or "<name> ambiguous"
        if kind in ("commit", "tag", "tree", "blob"):
            have.append(oid)
    return list(dict.fromkeys(have))
