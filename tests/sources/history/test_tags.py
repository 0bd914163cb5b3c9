"""Annotated tags: keys in their messages, and in the blobs and trees that tags point to.

End-to-end audits of the same are in test_scan.py."""

from __future__ import annotations

from tokscan.git.repository import open_repository
from tokscan.model import Candidate
from tokscan.sources.history.attribution import Attribution
from tokscan.sources.history.blobkeys import BlobKeys
from tokscan.sources.history.blobscan import BlobHits
from tokscan.sources.history.tags import Tagged, scan_tags, tagged_files


def test_tag_messages_are_read_through_tags_of_tags(repo, keys):
    repo.write("a.txt", "a\n")
    commit = repo.commit("init")
    inner, outer = keys(), keys()
    repo.git("tag", "-a", "inner", "-m", f"inner {inner}")
    repo.git("tag", "-a", "outer", "inner", "-m", f"outer {outer}")
    outer_id = repo.git("rev-parse", "outer").strip()
    repo.git("tag", "-d", "inner")
    repo.git("tag", "blob-tag", "HEAD:a.txt")
    opened = open_repository(repo.path)
    found, objects, _, targets = scan_tags(opened)
    assert sorted(hit.key for entry in found for hit in entry.hits) == sorted([inner, outer])
    assert {entry.path for entry in found} == {None}
    assert {entry.commit.author for entry in found} == {"Test Committer <committer@example.com>"}
    assert objects == 2
    blob = repo.git("rev-parse", "HEAD:a.txt").strip()
    assert targets == [Tagged("refs/tags/blob-tag", "blob", blob, None)]
    # Given refs instead of every ref: commits are passed over, blobs and trees are targets.
    start = [("refs/heads/main", commit), ("refs/tags/outer", outer_id), ("refs/tags/b", blob)]
    found, objects, _, targets = scan_tags(opened, start=start)
    assert sorted(hit.key for entry in found for hit in entry.hits) == sorted([inner, outer])
    assert (objects, targets) == (4, [Tagged("refs/tags/b", "blob", blob, None)])


def test_files_that_tags_point_at_are_named_by_git_address(repo, keys):
    key = keys()
    inner = repo.git("hash-object", "-w", "--stdin", input=f"{key}\n".encode()).strip()
    tree = repo.git("mktree", input=f"100644 blob {inner}\tsecret.txt\n".encode()).strip()
    opened = open_repository(repo.path)
    hits = BlobHits(hits={inner.encode(): [Candidate(key, 1, 1)]})
    attribution = Attribution(
        opened, BlobKeys(opened, hits, set(), False), None, False, lambda path: False
    )
    targets = [
        Tagged("refs/tags/t", "tree", tree, None),
        Tagged("refs/tags/b", "blob", inner, None),  # the same blob: reported once
    ]
    [entry] = tagged_files(opened, targets, attribution)
    assert (entry.path, entry.blob, entry.commit.oid) == (
        b"refs/tags/t:secret.txt",
        inner.encode(),
        "",  # a lightweight tag: no commit
    )
    assert tagged_files(opened, targets, attribution) == []  # its blob is `seen` now
