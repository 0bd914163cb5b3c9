"""The revisions `tokscan history` scans: user arguments checked, or everything."""

from __future__ import annotations

import pytest

from tokscan.errors import TokscanError
from tokscan.git.repository import open_repository
from tokscan.ranges.revisions import check_revisions, default_tip, everything


def test_check_revisions_passes_selection_options():
    args = [
        "main..feature",
        "--since",
        "2024-01-01",
        "-n",
        "5",
        "--author=bob",
        "-3",
        "--branches=rel/*",
        "--not",
        "--remotes=origin",
        "--",
        "weird --output=path",
    ]
    assert check_revisions(args) == args


@pytest.mark.parametrize("option", ["--output=x", "-p", "--simplify-by-decoration", "--author-x"])
def test_check_revisions_refuses_options_that_do_not_select_commits(option):
    with pytest.raises(TokscanError, match="is not supported here"):
        check_revisions(["main", option])


def test_check_revisions_wants_the_value_of_an_option_that_takes_one():
    with pytest.raises(TokscanError, match="option --since needs a value"):
        check_revisions(["main", "--since"])


def test_everything_is_every_ref_and_every_stash_entry(repo):
    assert everything(open_repository(repo.path)) == []  # no commits yet: nothing
    repo.write("a.txt", "a\n")
    repo.commit("init")
    assert everything(open_repository(repo.path)) == ["--all"]
    stashed = []
    for n in range(2):
        repo.write("a.txt", f"change {n}\n")
        repo.git("stash", "-q")
        stashed.append(repo.git("rev-parse", "refs/stash").strip())
    assert everything(open_repository(repo.path)) == ["--all", *reversed(stashed)]


def test_default_tip_is_head_else_the_remotes_default(repo):
    assert default_tip(open_repository(repo.path)) is None
    repo.write("a.txt", "a\n")
    tip = repo.commit("init")
    assert default_tip(open_repository(repo.path)) == tip
    repo.git("update-ref", "refs/remotes/origin/main", tip)
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    repo.git("checkout", "-q", "--orphan", "unborn")  # HEAD names no commit now
    assert default_tip(open_repository(repo.path)) == tip


def test_plan_keeps_every_ref_for_filters_and_says_so(repo):
    from tokscan.ranges.revisions import plan

    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("branch", "other")
    opened = open_repository(repo.path)
    full = plan(opened, [])
    assert (full.revisions, full.everything) == (["--all"], True)
    assert full.description == "every ref (a full audit): 2 branches"
    filtered = plan(opened, ["-n", "3", "--author=bob", "-5", "--first-parent", "--", "src"])
    assert filtered.revisions == [
        "--all", "-n", "3", "--author=bob", "-5", "--first-parent", "--", "src"
    ]
    assert not filtered.everything
    assert filtered.description == (
        "every ref (no revision named): 2 branches; at most 3 commits, author bob, "
        "at most 5 commits, --first-parent, paths src"
    )
    for named in (["main"], ["--branches"], ["--end-of-options", "main"], ["--not", "x", "--all"]):
        assert plan(opened, named).revisions == named


def test_plan_names_the_ref_options_given_and_counts_in_english(repo):
    """`tokscan history --all` said only "scanning the revisions given": a user reading
    the log must see which (`--all`, `--branches=rel/*`); and `-n 1` is one commit."""
    from tokscan.ranges.revisions import plan

    repo.write("a.txt", "a\n")
    repo.commit("init")
    opened = open_repository(repo.path)
    assert plan(opened, ["--all"]).description == "the revisions given: --all"
    assert plan(opened, ["--branches=rel/*", "--not", "main"]).description == (
        "the revisions given: --branches=rel/* --not main"
    )
    assert plan(opened, ["--tags", "--since=2024-01-01"]).description == (
        "the revisions given: --tags; since 2024-01-01"
    )
    assert plan(opened, ["-n", "1"]).description.endswith("; at most 1 commit")
    assert plan(opened, ["-1"]).description.endswith("; at most 1 commit")


def test_a_path_given_where_a_revision_goes_says_to_put_it_after_dashes(repo, monkeypatch):
    """`git log app.py` works, so a gitleaks user types `tokscan history app.py` and got
    "git log failed: fatal: bad revision 'app.py'"; rev-list wants paths after `--`."""
    from tokscan.ranges.revisions import plan

    repo.write("app.py", "a\n")
    repo.commit("init")
    monkeypatch.chdir(repo.path)
    opened = open_repository(repo.path)
    with pytest.raises(TokscanError, match=r"'app\.py' is a path, not a revision.*-- app\.py"):
        plan(opened, ["app.py"])
    assert plan(opened, ["main", "--", "app.py"]).revisions == ["main", "--", "app.py"]
    repo.git("branch", "app.py")  # a branch of that name is a revision: git's rule
    assert plan(opened, ["app.py"]).revisions == ["app.py"]
