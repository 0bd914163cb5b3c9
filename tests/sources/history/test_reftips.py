"""reftips.py: the trees at the refs' tips, and what they hold at given paths."""

from __future__ import annotations

from tokscan.git.repository import open_repository
from tokscan.sources.history import reftips


def test_refs_sharing_a_tree_are_looked_at_once_and_blobs_refs_are_left_out(repo):
    repo.write("a.txt", "a\n")
    repo.write("dir with space/b.txt", "b\n")
    repo.commit("init")
    repo.git("branch", "same")
    repo.git("tag", "-a", "-m", "annotated", "v1")
    blob = repo.git("hash-object", "-w", "--stdin", input=b"loose\n").strip()
    repo.git("tag", "blobtag", blob)
    repo.write("a.txt", "changed\n")
    repo.commit("change")
    opened = open_repository(repo.path)
    trees = reftips.ref_trees(opened)
    old_tree = repo.git("rev-parse", "same^{tree}").strip()
    new_tree = repo.git("rev-parse", "main^{tree}").strip()
    assert trees == {old_tree: ["same", "v1"], new_tree: ["main"]}
    found = reftips.entries(
        opened, [old_tree, new_tree], [b"a.txt", b"dir with space", b"dir with space/b.txt",
                                       b"absent"]
    )
    assert found[(old_tree, b"a.txt")][0] == "blob"
    assert found[(old_tree, b"a.txt")] != found[(new_tree, b"a.txt")]
    assert found[(new_tree, b"dir with space")][0] == "tree"
    assert found[(new_tree, b"dir with space/b.txt")][0] == "blob"
    assert (old_tree, b"absent") not in found


def test_a_path_with_a_newline_is_looked_up_too(repo):
    repo.write(b"odd\nname.txt", "x\n")
    repo.commit("odd")
    opened = open_repository(repo.path)
    [tree] = reftips.ref_trees(opened)
    assert reftips.entries(opened, [tree], [b"odd\nname.txt"])[(tree, b"odd\nname.txt")][0] == (
        "blob"
    )


def test_a_symbolic_ref_is_not_a_ref_of_its_own(repo):
    """In a clone, `still in:` listed `origin/HEAD` beside `origin/main`: one ref twice,
    under a name no one pushes to."""
    repo.write("a.txt", "a\n")
    tip = repo.commit("init")
    repo.git("update-ref", "refs/remotes/origin/main", tip)
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    tree = repo.git("rev-parse", "main^{tree}").strip()
    assert reftips.ref_trees(open_repository(repo.path)) == {tree: ["main", "origin/main"]}
