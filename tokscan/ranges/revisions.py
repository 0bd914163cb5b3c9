"""Which commits `tokscan history` scans: the user's `git rev-list` arguments, checked, or by
default everything.

Everything is every ref (branches, tags, remote-tracking refs, notes, `refs/stash`) plus
every older stash entry. Reflogs are not included: `--all --reflog` adds them. Every scan
of history also needs the tip of the default branch, to tell whether a key is still there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.git.repository import Repository

# rev-list options that only select commits. Anything else is refused: options that
# change what `git log` prints would corrupt the tree-diff pass, and some make git write
# files (--output) or run programs (--show-signature, --alternate-refs, --ext-diff).
# --simplify-by-decoration is out too: it rewrites parents to decorated ancestors, so
# each commit would be diffed against the wrong one.
_FLAGS = frozenset(
    {
        "--all",
        "--not",
        "--branches",
        "--tags",
        "--remotes",
        "--reflog",
        "--single-worktree",
        "--ignore-missing",
        "--merges",
        "--no-merges",
        "--no-min-parents",
        "--no-max-parents",
        "--first-parent",
        "--exclude-first-parent-only",
        "--all-match",
        "--invert-grep",
        "-i",
        "--regexp-ignore-case",
        "--basic-regexp",
        "-E",
        "--extended-regexp",
        "-F",
        "--fixed-strings",
        "-P",
        "--perl-regexp",
        "--cherry-mark",
        "--cherry-pick",
        "--left-only",
        "--right-only",
        "--cherry",
        "--ancestry-path",
        "--full-history",
        "--dense",
        "--sparse",
        "--simplify-merges",
        "--show-pulls",
        "--date-order",
        "--author-date-order",
        "--topo-order",
        "--reverse",
        "--no-walk",
        "--do-walk",
        "--end-of-options",
    }
)
_WITH_VALUE = frozenset(
    {
        "-n",
        "--max-count",
        "--skip",
        "--since",
        "--after",
        "--until",
        "--before",
        "--since-as-filter",
        "--author",
        "--committer",
        "--grep",
        "--min-parents",
        "--max-parents",
    }
)
_WITH_EQUALS = frozenset(
    {
        "--branches",
        "--tags",
        "--remotes",
        "--glob",
        "--exclude",
        "--ancestry-path",
        "--no-walk",
    }
)
_COUNT = re.compile(r"-[0-9]+")


def check_revisions(arguments: Sequence[str]) -> list[str]:
    """User-given rev-list arguments, checked: only options that select commits."""
    checked: list[str] = []
    items = iter(arguments)
    for item in items:
        checked.append(item)
        if item == "--":
            checked.extend(items)  # paths
            break
        if not item.startswith("-") or _COUNT.fullmatch(item) or item in _FLAGS:
            continue
        name, equals, _ = item.partition("=")
        if equals and (name in _WITH_VALUE or name in _WITH_EQUALS):
            continue
        if not equals and item in _WITH_VALUE:
            value = next(items, None)
            if value is None:
                raise TokscanError(f"option {item} needs a value")
            checked.append(value)
            continue
        raise TokscanError(
            f"option {name} is not supported here: tokscan history takes revisions and "
            "git rev-list options that select commits (--since, --author, --branches, ...)"
        )
    return checked


def everything(repo: Repository) -> list[str]:
    """Revisions for a full audit: every ref and every stash entry; none without commits."""
    if not git.run(repo.root, "for-each-ref", "--count=1", "--format=x").strip():
        head = git.run(repo.root, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        if not head.strip():
            return []
    scope = ["--all"]
    if git.run(repo.root, "rev-parse", "-q", "--verify", "refs/stash", check=False).strip():
        entries = git.run(repo.root, "log", "-g", "--format=%H", "refs/stash", "--", check=False)
        scope.extend(dict.fromkeys(entries.decode("ascii", "replace").split()))
    return scope


def default_tip(repo: Repository) -> str | None:
    """The commit at the tip of the default branch: HEAD, else the remote's default."""
    for name in ("HEAD", "refs/remotes/origin/HEAD"):
        found = git.run(repo.root, "rev-parse", "-q", "--verify", f"{name}^{{commit}}", check=False)
        if found.strip():
            return found.decode("ascii").strip()
    return None
