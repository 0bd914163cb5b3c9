"""Which keys a blob holds: what the blob scan found, else the blob read on demand."""

from __future__ import annotations

from tokscan.git.repository import open_repository
from tokscan.model import Candidate
from tokscan.sources.history.blobkeys import BlobKeys
from tokscan.sources.history.blobscan import BlobHits
from tokscan.sources.stream import Reading


def _blob(repo, path: str) -> bytes:
    return repo.git("rev-parse", f"HEAD:{path}").strip().encode()


def test_a_blob_the_scan_did_not_cover_is_read_when_asked(repo, keys):
    key = keys()
    repo.write("a.txt", f"x {key}\n")
    repo.write("b.txt", "nothing here\n")
    repo.commit("two")
    tree = repo.git("rev-parse", "HEAD^{tree}").strip().encode()
    missing = b"1" * 40
    cache = BlobKeys(open_repository(repo.path), BlobHits(), set(), Reading(binary=False))
    try:
        assert cache.keys(_blob(repo, "a.txt")) == {key}
        assert cache.keys(_blob(repo, "b.txt")) == frozenset()
        assert cache.keys(tree) == frozenset()  # not a file
        assert cache.keys(missing) == frozenset()
        assert cache.blobs.unreadable == {missing: "missing or unreadable"}
        assert cache.hits(_blob(repo, "a.txt")) == []  # hits are what the scan found
        [hit] = cache.hits(_blob(repo, "a.txt"), read=True)  # unless asked to read
        assert (hit.key, hit.line, hit.column) == (key, 1, 3)
        assert cache.hits(missing, read=True) == []
    finally:
        cache.close()


def test_what_the_scan_found_is_taken_as_it_is(repo, keys):
    found, unseen = keys(), keys()
    repo.write("a.txt", f"{found}\n")
    repo.write("b.txt", f"{unseen}\n")  # scanned, and found to hold nothing (say, binary)
    repo.commit("two")
    a, b = _blob(repo, "a.txt"), _blob(repo, "b.txt")
    hits = BlobHits(hits={a: [Candidate(found, 1, 1)]})
    cache = BlobKeys(open_repository(repo.path), hits, {a, b}, Reading(binary=False))
    try:
        assert cache.keys(a) == {found}
        assert cache.hits(a) == [Candidate(found, 1, 1)]
        assert cache.keys(b) == frozenset()  # not read again
    finally:
        cache.close()
