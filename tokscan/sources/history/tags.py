"""Annotated tags: keys in their messages, and in blobs and trees that tags point to.

A key in an annotated tag's message has path None and the tag object's id as its commit
(`git show <id>` shows the message), the tagger as its author. A key in a blob or tree
that a ref points to directly or through tags (no commit holds it) has git's address for
it as its path (`refs/tags/v1`, `refs/tags/v1:dir/file`) and the annotated tag's id, if
any, as its commit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from tokscan import detect, git, keyformat
from tokscan.git.objects import ObjectReader, tree_files
from tokscan.git.repository import Repository
from tokscan.model import Chunk, Origin
from tokscan.sources.history.attribution import Attribution, CommitInfo, Introduction, signature


def scan_tags(
    repo: Repository, start: Sequence[str] | None = None
) -> tuple[list[Introduction], int, int, list[Tagged]]:
    """Keys in the messages of annotated tags that refs point to (or that `start` names, of
    which only the tags count), and tags they point to. Returns the introductions (commit:
    the tag object's id), objects and bytes read, and the blobs and trees that the refs or
    tags point to directly (see `tagged_files`)."""
    todo: list[tuple[str, str]] = []  # (object, the ref that reaches it)
    targets: list[Tagged] = []
    if start is None:
        listed = git.run(
            repo.root, "for-each-ref", "--format=%(objecttype) %(objectname) %(refname)"
        )
        for line in listed.splitlines():
            kind, oid, ref = line.decode("utf-8", "surrogateescape").split(" ", 2)
            if kind == "tag":
                todo.append((oid, ref))
            elif kind in ("blob", "tree"):
                targets.append(Tagged(ref, kind, oid, None))
    else:
        todo = [(oid, oid) for oid in start]
    seen: set[str] = set()
    found: list[Introduction] = []
    size = 0
    with ObjectReader(repo.root) as reader:
        while todo:
            oid, ref = todo.pop()
            if oid in seen:
                continue
            seen.add(oid)
            data = reader.read(oid)
            if data is None:
                continue
            size += len(data)
            headers, _, message = data.partition(b"\n\n")
            fields = dict(line.split(b" ", 1) for line in headers.split(b"\n") if b" " in line)
            if b"object" not in fields or b"tag" not in fields:
                continue  # not a tag object (a commit named in `start`)
            author, date = signature(fields.get(b"tagger", b""))
            info = CommitInfo(oid, author, date)
            target = fields.get(b"type", b"")
            if target == b"tag":
                todo.append((fields[b"object"].decode(), ref))
            elif target in (b"blob", b"tree"):
                targets.append(Tagged(ref, target.decode(), fields[b"object"].decode(), info))
            if keyformat.PREFIX not in message:
                continue
            hits = list(detect.find(Chunk(message, Origin(None, commit=oid))))
            if hits:
                found.append(Introduction(info, None, None, hits))
    return found, len(seen), size, targets


class Tagged(NamedTuple):
    """A blob or tree that a ref points to, directly or through annotated tags."""

    ref: str
    kind: str  # blob | tree
    oid: str
    tag: CommitInfo | None  # the annotated tag that points to it, if any


def tagged_files(
    repo: Repository, targets: list[Tagged], attribution: Attribution
) -> list[Introduction]:
    """Keys in blobs and trees that tags point to: reachable from a ref, yet in no commit.
    Their path is git's address for them (`refs/tags/name`, `refs/tags/name:dir/file`),
    their commit the annotated tag's id (none for a lightweight tag)."""
    nobody = CommitInfo("", "", "")  # a lightweight tag: no commit, author or date
    found: list[Introduction] = []
    for ref, kind, oid, tag in targets:
        files = [(b"", oid.encode())] if kind == "blob" else tree_files(repo.root, oid)
        for inner, blob in files:
            hits = attribution.keys.hits(blob)
            if not hits or blob in attribution.seen:  # none, or a commit has them already
                continue
            if inner and attribution.is_excluded(inner):
                continue
            attribution.seen.add(blob)
            path = os.fsencode(ref) + (b":" + inner if inner else b"")
            found.append(Introduction(tag or nobody, path, blob, hits))
    return found
