"""Listing the blobs in pack order and dealing them out to the scanning processes."""

from __future__ import annotations

from tokscan.sources.history import bloblist


def test_blobs_are_dealt_in_runs_and_only_blobs_are_listed(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(bloblist, "SEGMENT", 1)  # every blob starts a new run
    for n in range(6):
        repo.write(f"f{n}.txt", f"file {n}\n")
    repo.commit("six files")
    blobs = {repo.git("rev-parse", f"HEAD:f{n}.txt").strip().encode() for n in range(6)}
    shares = [tmp_path / "a", tmp_path / "b"]
    listing = bloblist.list_blobs(repo.path, shares, None)
    dealt = [share.read_bytes().split() for share in shares]
    assert listing.present == blobs  # no commit, tree or anything else
    assert (listing.objects, listing.size) == (6, sum(len(f"file {n}\n") for n in range(6)))
    assert sorted(dealt[0] + dealt[1]) == sorted(blobs)
    assert len(dealt[0]) == len(dealt[1]) == 3  # one blob a run, the runs alternating


def test_only_wanted_blobs_are_listed(repo, tmp_path):
    repo.write("a.txt", "a\n")
    repo.write("b.txt", "b\n")
    repo.commit("two")
    wanted = {repo.git("rev-parse", "HEAD:b.txt").strip().encode()}
    listing = bloblist.list_blobs(repo.path, [tmp_path / "only"], wanted)
    assert listing.present == wanted
    assert (tmp_path / "only").read_bytes().split() == list(wanted)
