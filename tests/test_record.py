"""tokscan/record.py: the plain records that replaced the model's dataclasses behave as
the dataclasses did (equality, repr without keys, hashing, immutability, pickling)."""

from __future__ import annotations

import copy
import pickle

import pytest

from tokscan.model import Candidate, Finding, Origin, Outcome, Report, Where


def test_equality_field_by_field_and_only_within_a_class(keys):
    key = keys()
    assert Candidate(key, 1, 2) == Candidate(key, 1, 2)
    assert Candidate(key, 1, 2) != Candidate(key, 1, 3)
    assert Origin("a") != Outcome(Origin("a"))
    assert Outcome(Origin("a"), size=3) == Outcome(Origin("a"), [], 3)


def test_repr_never_shows_a_raw_key(keys):
    key = keys()
    for record in (Candidate(key, 1, 2), Finding(key, "p", 1, 2, Where.WORKTREE)):
        assert key not in repr(record)
        assert "line=1" in repr(record)


def test_frozen_records_are_hashable_and_cannot_change(keys):
    candidate = Candidate(keys(), 1, 2)
    assert {candidate, Candidate(candidate.key, 1, 2)} == {candidate}
    with pytest.raises(AttributeError):
        candidate.line = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del candidate.line
    with pytest.raises(TypeError):
        hash(Outcome(Origin("a")))  # a record that can change has no hash


def test_but_is_dataclasses_replace(keys):
    candidate = Candidate(keys(), 1, 2, encoding=("base64",))
    moved = candidate.but(line=7, inner_path=("a.zip",))
    assert (moved.line, moved.column, moved.inner_path) == (7, 2, ("a.zip",))
    assert candidate.line == 1
    with pytest.raises(TypeError, match="no field colour"):
        candidate.but(colour="red")


def test_records_cross_processes_and_copies_whole(keys):
    outcome = Outcome(Origin("a", "c0ffee"), [Candidate(keys(), 1, 2)], 10, None, "bad")
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    report = Report("files", "/", "now", notes=["n"])
    assert copy.deepcopy(report) == report
    assert Report("files", "/", "now").skipped == {}
    assert Report("files", "/", "now").skipped is not Report("files", "/", "now").skipped
