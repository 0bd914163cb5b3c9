"""Opening the repository a history scan runs in."""

from __future__ import annotations

import subprocess

import pytest
from support.gitrepo import GitRepo

from tokscan.errors import TokscanError
from tokscan.git.repository import open_repository


def test_a_work_tree_opens_at_its_top_from_anywhere_in_it(repo):
    repo.write("dir/a.txt", "a\n")
    repo.commit("init")
    opened = open_repository(repo.path / "dir")
    assert opened.root == repo.path
    assert (opened.shallow, opened.partial, opened.hex_length) == (False, False, 40)


def test_a_bare_repository_is_its_git_directory(tmp_path):
    bare = GitRepo(tmp_path / "mirror.git", bare=True)
    assert open_repository(bare.path).root == bare.path


def test_shallow_and_partial_clones_say_so(repo, tmp_path):
    for n in range(2):
        repo.write("a.txt", f"{n}\n")
        repo.commit(f"c{n}")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo.path}", str(shallow)],
                   check=True)  # fmt: skip
    assert open_repository(shallow).shallow
    clone = GitRepo(tmp_path / "clone")
    clone.git("config", "remote.origin.promisor", "true")
    assert open_repository(clone.path).partial
    clone.git("config", "remote.origin.promisor", "false")
    assert not open_repository(clone.path).partial


def test_sha256_objects_have_64_hex_digits(tmp_path):
    repo = GitRepo(tmp_path / "sha256", init=False)
    repo.path.mkdir()
    repo.git("init", "-q", "--object-format=sha256")
    assert open_repository(repo.path).hex_length == 64


def test_outside_a_repository_is_a_clear_error(tmp_path):
    with pytest.raises(TokscanError, match="not a git repository"):
        open_repository(tmp_path)
    with pytest.raises(TokscanError, match="not a directory"):
        open_repository(tmp_path / "nowhere")
