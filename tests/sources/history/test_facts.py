"""The facts pass: a full audit reads what commits hold besides blobs while the blobs are
scanned, then reads again only the commits that name blobs with keys or unreadable ones."""

from __future__ import annotations

import random

import pytest

from tokscan.git.repository import open_repository
from tokscan.sources.history import blobscan, gitlog
from tokscan.sources.history.attribution import Attribution
from tokscan.sources.history.blobkeys import BlobKeys
from tokscan.sources.history.facts import FactsPass
from tokscan.sources.stream import Reading


def test_steps_read_a_few_commits_each_and_note_where_each_starts(repo, tmp_path):
    for n in range(5):
        repo.write("a.txt", f"{n}\n")
        repo.commit(f"change {n}")
    opened = open_repository(repo.path)
    log = gitlog.LogPass(repo.path, ["HEAD"], tmp_path)
    attribution = Attribution(opened, None, None, False, lambda path: False)
    facts = FactsPass(attribution, log, step=2)
    log.wait()
    assert [facts.step() for _ in range(4)] == [True, True, True, False]
    assert attribution.commits == 5
    data = log.path.read_bytes()
    assert all(data[start : start + 1] == b"\x01" for start in facts.starts)
    assert len(facts.starts) == 5 and list(facts.starts) == sorted(facts.starts)
    facts.finish()  # nothing left: no commit is read twice
    assert attribution.commits == 5
    log.close()


def _history(repo, keys, seed: int) -> None:
    """A seeded history of branches, merges (some with conflicts resolved by hand, some
    bringing a key of their own), renames, deletions, keys in names and in messages."""
    rng = random.Random(seed)
    pool = [keys() for _ in range(4)]
    repo.write("start.txt", "start\n")
    repo.commit("start")
    trunk = repo.git("rev-parse", "--abbrev-ref", "HEAD").strip()
    branches = [trunk]
    for step in range(36):
        roll = rng.random()
        if roll < 0.1 and len(branches) < 3:
            branches.append(f"b{step}")
            repo.git("checkout", "-q", "-b", branches[-1])
            continue
        if roll < 0.2 and len(branches) > 1:
            repo.git("checkout", "-q", trunk)
            merged = repo.git("merge", "-q", "--no-edit", "--no-ff", rng.choice(branches[1:]),
                              check=False)  # fmt: skip
            if repo.git("status", "--porcelain").strip():  # a conflict: resolved by hand
                repo.git("checkout", "--theirs", ".", check=False)
                if rng.random() < 0.5:
                    repo.write(f"evil{step}.txt", f"{rng.choice(pool)}\n")
                repo.commit(f"merge {step} {merged[:0]}")
            continue
        if roll < 0.3:
            repo.git("checkout", "-q", rng.choice(branches))
            continue
        files = sorted(p.name for p in repo.path.iterdir() if p.name != ".git")
        if roll < 0.4 and files:
            chosen = rng.choice(files)
            (repo.path / chosen).rename(repo.path / f"r{chosen}")
        elif roll < 0.5 and files:
            (repo.path / rng.choice(files)).unlink()
        elif roll < 0.55:
            repo.write(f"name-{rng.choice(pool)}.txt", "x\n")
        else:
            lines = [rng.choice(["plain\n", f"k = '{rng.choice(pool)}'\n"]) for _ in range(3)]
            repo.write(f"f{rng.randrange(6)}.txt", "".join(lines))
        message = f"step {step}" + (f" {rng.choice(pool)}" if rng.random() < 0.1 else "")
        repo.commit(message)


def _attributed(repo, tmp_path, in_two_passes: bool) -> tuple[object, ...]:
    opened = open_repository(repo.path)
    directory = tmp_path / ("two" if in_two_passes else "one")
    directory.mkdir()
    log = gitlog.LogPass(repo.path, ["--all"], directory)
    blobs, listing = blobscan.scan_all(repo.path, directory, 40, 2, Reading())
    keys = BlobKeys(opened, blobs, listing.present or set(), Reading())
    present = listing.present or set()
    if in_two_passes:
        attribution = Attribution(opened, None, present, False, lambda path: False)
        facts = FactsPass(attribution, log, step=3)
        facts.finish()
        attribution.attach(keys)
        attribution.run_selected(log.path, facts.starts)
    else:
        attribution = Attribution(opened, keys, present, False, lambda path: False)
        log.wait()
        with log.path.open("rb") as handle:
            attribution.run(gitlog.commits(handle))
    log.close()
    keys.close()
    introductions = sorted(
        (e.commit.oid, e.path or b"", e.blob or b"", sorted(e.keys))
        for e in attribution.introductions.values()
    )
    counts = (attribution.commits, attribution.message_bytes, attribution.submodules)
    # the blob and the commit that names it, not the wording of why: reading every commit
    # can come to a missing blob as the older version of a path before the commit that adds
    # it says it is missing from the object database
    errors = sorted((path, message.partition("): ")[0]) for path, message in attribution.errors)
    return introductions, errors, attribution.seen, attribution.moves, counts


@pytest.mark.parametrize("seed", [1, 2])
def test_facts_during_the_scan_then_selected_commits_attribute_as_reading_every_commit(
    repo, keys, tmp_path, seed
):
    _history(repo, keys, seed)
    repo.write("lonely.txt", f"only here {seed}\n")  # a blob no other commit names
    repo.commit("lonely")
    lonely = repo.git("rev-parse", "HEAD:lonely.txt").strip()
    (repo.path / ".git" / "objects" / lonely[:2] / lonely[2:]).unlink()
    whole = _attributed(repo, tmp_path, in_two_passes=False)
    assert whole[0]  # keys were introduced
    assert any(lonely in message for _, message in whole[1])  # the missing blob: an error
    assert _attributed(repo, tmp_path, in_two_passes=True) == whole
