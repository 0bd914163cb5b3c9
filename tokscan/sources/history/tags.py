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
    repo: Repository, start: Sequence[tuple[str, str]] | None = None
) -> tuple[list[Introduction], int, int, list[Tagged]]:
    """Keys in the messages of annotated tags that refs point to, and tags they point to.
    `start` gives (ref name, object) pairs to begin from instead of every ref (a push's):
    commits among them are passed over, blobs and trees are targets. Returns the
    introductions (commit: the tag object's id), objects and bytes read, and the blobs and
    trees that the refs or tags point to directly (see `tagged_files`)."""
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
        todo = [(oid, ref) for ref, oid in reversed(start)]
    seen: set[str] = set()
    found: list[Introduction] = []
    size = 0
    with ObjectReader(repo.root) as reader:
        while todo:
            oid, ref = todo.pop()
            if oid in seen:
                continue
            seen.add(oid)
            header = reader.request(oid)
            if header.kind != b"tag":  # a ref given in `start` that names no tag
                if header.kind in (b"blob", b"tree"):
                    targets.append(Tagged(ref, header.kind.decode(), oid, None))
                if header.kind != b"missing":
                    read = reader.stream.reader(header.size)
                    while read(1 << 20):
                        pass
                continue
            data = _body(reader, header.size)
            size += len(data)
            headers, _, message = data.partition(b"\n\n")
            fields = dict(line.split(b" ", 1) for line in headers.split(b"\n") if b" " in line)
            if b"object" not in fields:
                continue
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


def _body(reader: ObjectReader, size: int) -> bytes:
    if reader.stream.fits(size):
        start, end = reader.stream.body(size)
        return bytes(reader.stream.buffer[start:end])
    read = reader.stream.reader(size)
    return b"".join(iter(lambda: read(1 << 20), b""))


class Tagged(NamedTuple):
    """A blob or tree that a ref points to, directly or through annotated tags."""

    ref: str
    kind: str  # blob | tree
    oid: str
    tag: CommitInfo | None  # the annotated tag that points to it, if any


def tagged_files(
    repo: Repository,
    targets: list[Tagged],
    attribution: Attribution,
    known: Sequence[str] | None = None,
) -> list[Introduction]:
    """Keys in blobs and trees that tags point to: reachable from a ref, yet in no commit.
    Their path is git's address for them (`refs/tags/name`, `refs/tags/name:dir/file`),
    their commit the annotated tag's id (none for a lightweight tag). With `known`
    (rev-list arguments for what a remote has), only blobs that those do not reach count:
    a push sends no others."""
    nobody = CommitInfo("", "", "")  # a lightweight tag: no commit, author or date
    sent = _not_reached(repo, [target.oid for target in targets], known) if known else None
    found: list[Introduction] = []
    for ref, kind, oid, tag in targets:
        files = [(b"", oid.encode())] if kind == "blob" else tree_files(repo.root, oid)
        for inner, blob in files:
            if sent is not None and blob not in sent:
                continue
            if inner and attribution.is_excluded(inner):
                continue
            path = os.fsencode(ref) + (b":" + inner if inner else b"")
            hits = attribution.keys.hits(blob, read=True)  # a range scan read no such blob
            if blob in attribution.keys.blobs.unreadable:
                attribution.unreadable(blob, path, f"tag {tag.oid[:12] if tag else ref}")
            if not hits or blob in attribution.seen:  # none, or a commit has them already
                continue
            attribution.seen.add(blob)
            found.append(Introduction(tag or nobody, path, blob, hits))
    return found


def _not_reached(repo: Repository, objects: list[str], known: Sequence[str]) -> set[bytes]:
    """The objects reachable from `objects` that the trees of `known`'s commits do not hold
    (what a push of them sends, as git computes a thin pack)."""
    if not objects:
        return set()
    argv, listed = git.revision_input([*objects, "--not", *known])
    output = git.run(
        repo.root, "rev-list", "--objects-edge-aggressive", "--no-object-names", *argv,
        input=listed,
    )  # fmt: skip
    return {line for line in output.split(b"\n") if line and not line.startswith(b"-")}
