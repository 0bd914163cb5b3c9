"""Which refs still hold a key at their tip: a key gone from the default branch may still
sit at the tip of branch `old-leak` or tag `v1.2`, and the advice must say so.

It is cheap: the refs are listed once, their tips peeled to trees, refs that share a tree
looked at once, and only the paths that have findings looked up in each tree, all in one
`git cat-file --batch-check` (`<tree>:<path>`), never a rescan.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tokscan import git
from tokscan.git.objects import tree_files
from tokscan.git.repository import Repository


def ref_trees(repo: Repository) -> dict[str, list[str]]:
    """The tree at each ref's tip (a tag peeled to its commit; a ref to a blob left out),
    with the short names of the refs that have it (`main`, `v1.2`, `origin/old`, `stash`)."""
    listed = git.run(
        repo.root, "for-each-ref", "--format=%(refname)%00%(refname:short)%00%(symref)"
    )
    names: list[tuple[str, str]] = []
    for line in listed.decode("utf-8", "surrogateescape").splitlines():
        full, short, target = [*line.split("\0"), "", ""][:3]
        if full and not target:  # a symbolic ref (origin/HEAD) is its target, listed already
            names.append((full, short or full))
    if not names:
        return {}
    trees = _batch_check(repo, [f"{full}^{{tree}}" for full, _ in names])
    found: dict[str, list[str]] = {}
    for (_, short), (kind, oid) in zip(names, trees, strict=True):
        if kind == "tree":
            found.setdefault(oid, []).append(short)
    return found


def entries(
    repo: Repository, trees: Sequence[str], paths: Sequence[bytes]
) -> dict[tuple[str, bytes], tuple[str, bytes]]:
    """(object type, object id) of each path that each tree has (a file is a "blob", a
    folder a "tree"); paths a tree lacks are left out."""
    found: dict[tuple[str, bytes], tuple[str, bytes]] = {}
    plain = [p for p in paths if b"\n" not in p]
    asked = [(tree, path) for tree in trees for path in plain]
    if asked:
        lines = [f"{tree}:{path.decode('utf-8', 'surrogateescape')}" for tree, path in asked]
        for (tree, path), (kind, oid) in zip(asked, _batch_check(repo, lines), strict=True):
            if kind in ("blob", "tree"):
                found[(tree, path)] = (kind, oid.encode("ascii"))
    odd = [p for p in paths if b"\n" in p]  # a name with a newline cannot be asked in a batch
    for tree in trees if odd else ():
        specs = git.literal([os.fsdecode(p) for p in odd])
        for name, blob in tree_files(repo.root, tree, specs):
            found[(tree, name)] = ("blob", blob)
    return found


def _batch_check(repo: Repository, lines: Sequence[str]) -> list[tuple[str, str]]:
    """(type, id) for each object name, in order; ("missing", "") for one that is not."""
    data = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
    output = git.run(
        repo.root, "cat-file", "--batch-check=%(objecttype) %(objectname)", input=data
    )
    answers = []
    for line in output.decode("utf-8", "replace").splitlines():
        if line.endswith((" missing", " ambiguous")):  # `<name> missing`: the name holds spaces
            answers.append(("missing", ""))
        else:
            kind, _, oid = line.partition(" ")
            answers.append((kind, oid))
    return answers
