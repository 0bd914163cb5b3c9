"""Which commits `tokscan history` scans: the user's `git rev-list` arguments, checked, or by
default everything.

Everything is every ref (branches, tags, remote-tracking refs, notes, `refs/stash`) plus
every older stash entry. Reflogs are not included: `--all --reflog` adds them. Arguments
that name no revision and no ref option (`--since`, `--author`, `-n`, paths after `--`)
only filter: the scope stays everything, as a gitleaks or ggshield user expects (git
itself would fall back to HEAD). Every scan of history also needs the tip of the default
branch, to tell whether a key is still there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

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


# Options that name refs themselves: with one of these the user chose the scope.
_REF_OPTIONS = frozenset({"--all", "--branches", "--tags", "--remotes", "--reflog", "--glob"})


def _split(checked: Sequence[str]) -> tuple[list[str], list[str], bool]:
    """(the options and revisions before `--`, the paths after it, whether a revision or a
    ref option is named) of arguments that passed `check_revisions`."""
    before: list[str] = []
    names = False
    literal = False  # after --end-of-options every argument is a revision
    items = iter(checked)
    for item in items:
        if item == "--":
            return before, list(items), names
        before.append(item)
        if literal or not item.startswith("-"):
            names = True
        elif item == "--end-of-options":
            literal = True
        elif item.partition("=")[0] in _REF_OPTIONS:
            names = True
        elif item in _WITH_VALUE:
            value = next(items, None)
            if value is not None:
                before.append(value)
    return before, [], names


@dataclass(frozen=True)
class Plan:
    """The commits `tokscan history` scans, and why, in words for the user."""

    revisions: list[str]  # rev-list arguments; none: no commits yet
    everything: bool  # a full audit: every ref and stash entry, unfiltered
    description: str  # "every ref (no revision named): 2 branches, 1 tag; since 2024-01-01"


def plan(repo: Repository, arguments: Sequence[str]) -> Plan:
    """What `tokscan history ARGUMENTS` scans: see the module doc."""
    checked = check_revisions(arguments)
    before, paths, names = _split(checked)
    filters = describe_filters(before, paths)
    if names:
        _refuse_paths_as_revisions(repo, before)
        given = _selection(before)
        what = "the revisions given" + (f": {' '.join(given)}" if given else "")
        return Plan(checked, False, what + (f"; {filters}" if filters else ""))
    scope = everything(repo)
    why = "no revision named" if checked else "a full audit"
    what = f"every ref ({why}): {describe_refs(repo)}"
    if not checked:
        return Plan(scope, True, what)
    revisions = [*scope, *before, "--", *paths] if scope else []
    return Plan(revisions, False, f"{what}; {filters}")


def _refuse_paths_as_revisions(repo: Repository, before: Sequence[str]) -> None:
    """`git log app.py` takes a path without `--`; rev-list, which `tokscan history` runs,
    does not, and says only "bad revision". Say where the path goes instead."""
    for item in _selection(before):
        if item.startswith("-") or not os.path.lexists(item):
            continue
        found = git.try_run(repo.root, "rev-parse", "-q", "--verify", "--end-of-options", item)
        if found is None:
            raise TokscanError(
                f"'{item}' is a path, not a revision: paths go after `--` "
                f"(`tokscan history -- {item}`, or `tokscan history main -- {item}`)"
            )


def _selection(before: Sequence[str]) -> list[str]:
    """The revisions and ref options among checked arguments (`main`, `--all`, `--not x`),
    as given: the part of the scope line that says which commits; the filters say the rest."""
    selected: list[str] = []
    literal = False
    items = iter(before)
    for item in items:
        name = item.partition("=")[0]
        if literal or not item.startswith("-"):
            selected.append(item)
        elif item == "--end-of-options":
            literal = True
        elif name in _REF_OPTIONS or name in ("--not", "--exclude"):
            selected.append(item)
        elif item in _WITH_VALUE:
            next(items, None)  # the option's value is no revision
    return selected


# How each filtering option reads in the scope line (`{}` is its value).
_FILTER_WORDS = {
    "--since": "since {}",
    "--after": "since {}",
    "--since-as-filter": "since {}",
    "--until": "until {}",
    "--before": "until {}",
    "--author": "author {}",
    "--committer": "committer {}",
    "--grep": "message matching {}",
    "-n": "at most {}",
    "--max-count": "at most {}",
    "--skip": "skipping {}",
}


def _commits(number: str) -> str:
    """`1 commit`, `3 commits`: a count the user typed, read as English."""
    return f"{number} commit" + ("" if number.lstrip("0") == "1" else "s")


def describe_filters(before: Sequence[str], paths: Sequence[str]) -> str:
    """The filters among checked arguments, in words: "since 2024-01-01, author bob"."""
    words: list[str] = []
    items = iter(before)
    for item in items:
        if not item.startswith("-") or item == "--end-of-options":
            continue
        name, equals, value = item.partition("=")
        if _COUNT.fullmatch(item):
            words.append(f"at most {_commits(item[1:])}")
        elif name in _FILTER_WORDS:
            if not equals:
                value = next(items, "")
            if name in ("-n", "--max-count", "--skip"):
                value = _commits(value)
            words.append(_FILTER_WORDS[name].format(value))
        elif name not in _REF_OPTIONS and name not in ("--not", "--exclude"):
            words.append(item)
    if paths:
        words.append("paths " + ", ".join(paths))
    return ", ".join(words)


_REF_KINDS = (  # (namespace, one, many)
    ("refs/heads/", "branch", "branches"),
    ("refs/tags/", "tag", "tags"),
    ("refs/remotes/", "remote-tracking branch", "remote-tracking branches"),
    ("refs/notes/", "notes ref", "notes refs"),
)


def describe_refs(repo: Repository) -> str:
    """The refs a full audit reads, counted: "14 branches, 3 tags, stash (2 entries)"."""
    listed = git.run(repo.root, "for-each-ref", "--format=%(refname)")
    names = listed.decode("utf-8", "surrogateescape").splitlines()
    counts = dict.fromkeys((kind for kind in _REF_KINDS), 0)
    other = 0
    for name in names:
        kind = next((k for k in _REF_KINDS if name.startswith(k[0])), None)
        if kind is not None:
            counts[kind] += 1
        elif name != "refs/stash":
            other += 1
    parts = [f"{n} {one if n == 1 else many}" for (_, one, many), n in counts.items() if n]
    if other:
        parts.append(f"{other} other ref{'s' if other != 1 else ''}")
    if "refs/stash" in names:
        entries = len(everything(repo)) - 1
        parts.append("stash" + (f" ({entries} entries)" if entries > 1 else ""))
    return ", ".join(parts) or "none (no commits yet)"


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
