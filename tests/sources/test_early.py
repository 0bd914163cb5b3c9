"""tokscan/sources/early.py: git's answers for the default scan, asked before the imports;
and `tokscan scan` taking them only where they answer its question (the root)."""

from __future__ import annotations

import os

from support import jsonreport

from tokscan.sources import early


def test_the_top_and_the_files_git_knows(repo, keys, monkeypatch):
    repo.write(".gitignore", "ignored.txt\n")
    repo.write("tracked.py", "x = 1\n")
    repo.commit("tracked")
    repo.write("untracked.py", "y = 2\n")
    repo.write("ignored.txt", "z\n")
    monkeypatch.chdir(repo.path)
    listing = early.Listing(all_files=False)
    assert listing.toplevel() == os.path.realpath(repo.path)
    output, warnings = listing.files()
    assert sorted(output.decode().split("\0")[:-1]) == [".gitignore", "tracked.py",
                                                         "untracked.py"]  # fmt: skip
    assert warnings == []
    listing.close()
    everything = early.Listing(all_files=True)
    assert "ignored.txt" in everything.files()[0].decode().split("\0")
    everything.close()


def test_outside_git_there_is_no_answer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = early.Listing(all_files=False)
    assert listing.toplevel() is None
    assert listing.files() is None
    listing.close()


def test_a_scan_from_a_subfolder_lists_only_that_folder(repo, keys, run_tokscan):
    """The early listing is of the current folder; below the root the scan asks git
    itself, with the folder as its pathspec, and reports paths from the root."""
    repo.write("top.py", f"k = '{keys()}'\n")
    repo.write("sub/inner.py", f"k = '{keys()}'\n")
    repo.commit("both")
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path / "sub")
    assert result.code == 1
    report = jsonreport.load(result.stdout)
    assert [f["path"] for f in report["findings"]] == ["sub/inner.py"]
    assert report["scan"]["objects_scanned"] == 1
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    assert sorted(f["path"] for f in jsonreport.load(result.stdout)["findings"]) == [
        "sub/inner.py", "top.py"
    ]  # fmt: skip
