"""Scanning blobs with `git cat-file --batch`, shared out between processes."""

from __future__ import annotations

from tokscan.model import Candidate
from tokscan.sources.history import bloblist, blobscan
from tokscan.sources.stream import Reading


def _blob(repo, path: str) -> bytes:
    return repo.git("rev-parse", f"HEAD:{path}").strip().encode()


def test_scan_all_finds_keys_by_blob_and_lists_every_blob(repo, keys, tmp_path, monkeypatch):
    monkeypatch.setattr(bloblist, "SEGMENT", 1)  # every blob starts a new run: both processes work
    key = keys()
    repo.write("k.txt", f"x {key} y\n")
    repo.write("clean.txt", "nothing here\n")
    repo.write("bin.dat", b"\0\1\2 " + key.encode())
    repo.commit("three blobs")
    repo.git("gc", "-q")
    found, listing = blobscan.scan_all(repo.path, tmp_path, 40, 2, Reading(binary=False))
    assert found.hits == {_blob(repo, "k.txt"): [Candidate(key, 1, 3, False)]}
    assert found.skipped == {"binary": 1}
    assert found.objects == 2
    assert listing.objects == 3
    assert listing.present == {_blob(repo, p) for p in ("k.txt", "clean.txt", "bin.dat")}


def test_scan_all_reads_only_wanted_blobs(repo, keys, tmp_path):
    first, second = keys(), keys()
    repo.write("a.txt", f"{first}\n")
    repo.write("b.txt", f"{second}\n")
    repo.commit("two")
    wanted = {_blob(repo, "b.txt")}
    found, listing = blobscan.scan_all(repo.path, tmp_path, 40, 1, Reading(), wanted=wanted)
    assert set(found.hits) == wanted
    assert listing.present == wanted


def test_scan_listed_reports_missing_objects(repo, keys, tmp_path):
    key = keys()
    repo.write("a.txt", f"{key}\n")
    repo.commit("one")
    missing = b"1" * 40
    progress = []
    found = blobscan.scan_listed(
        repo.path, tmp_path, [missing, _blob(repo, "a.txt")], 40, 4, Reading(),
        lambda *counts: progress.append(counts),
    )  # fmt: skip
    assert list(found.hits) == [_blob(repo, "a.txt")]
    assert list(found.unreadable) == [missing]
    # objects and bytes scanned (counted as the summary counts them: not the missing one),
    # and objects listed
    assert progress[-1][:3] == (1, len(key) + 1, 2)


def test_many_small_blobs_searched_at_once_give_what_each_alone_gives(repo, keys, tmp_path):
    """Hundreds of blobs lie whole in one read and are searched in one call: each key is
    given to its own blob, whatever its neighbours hold, and a needle that only forms
    across two blobs (one ends with `tm`, the next starts with `-`) is in neither."""
    planted = {}
    for n in range(400):
        if n % 37 == 5:
            key = keys()
            planted[f"k{n}.txt"] = key
            # keys at the very start and the very end of their blobs
            repo.write(f"k{n}.txt", f"{key}" if n % 2 else f"line\nvalue = {key}")
        elif n % 50 == 7:
            repo.write(f"b{n}.bin", b"\0\1\2" + str(n).encode() + bytes(range(256)) * 3)
        else:
            repo.write(f"f{n}.txt", f"plain text number {n}\nends with tm" if n % 3 else f"-{n}\n")
    repo.commit("many blobs")
    repo.git("gc", "-q")
    found, listing = blobscan.scan_all(repo.path, tmp_path, 40, 1, Reading(binary=False))
    assert {oid: [c.key for c in hits] for oid, hits in found.hits.items()} == {
        _blob(repo, path): [key] for path, key in planted.items()
    }
    assert found.skipped == {"binary": 8}
    assert found.objects == listing.objects - 8


def test_the_main_process_does_other_work_while_the_shares_scan(repo, tmp_path, monkeypatch):
    """A full audit reads the tree-diff pass while its processes scan the blobs: the work
    is asked for again as long as it is done, and the scan's answer does not change."""
    monkeypatch.setattr(bloblist, "SEGMENT", 1)
    for n in range(300):
        repo.write(f"f{n}.txt", f"file {n}\n" * 40)
    repo.commit("many")
    calls: list[bool] = []

    def idle() -> bool:
        calls.append(True)
        return True  # always more to do: asked again at once, until the shares are done

    dealt = blobscan.deal(repo.path, tmp_path, 40, 2, None)
    found = blobscan.scan_dealt(repo.path, dealt, Reading(), idle=idle)
    assert len(calls) >= 2  # before the first wait, and again while a process still works
    assert found.objects == 300
