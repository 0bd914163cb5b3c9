"""tokscan/outfile.py: the files a user names for tokscan to write. End to end (`-o`,
`--write-baseline` onto FIFOs, folders, devices and links) in tests/report/test_output.py."""

from __future__ import annotations

import os
import stat

import pytest

from tokscan import outfile
from tokscan.errors import ExitCode, TokscanError


@pytest.fixture
def place(tmp_path):
    """A folder of its own (tmp_path also holds the tests' home folder)."""
    folder = tmp_path / "place"
    folder.mkdir()
    return folder


def error_of(path, what=""):
    with pytest.raises(TokscanError) as raised:
        outfile.write_text(path, "text\n", what)
    assert raised.value.exit_code is ExitCode.ERROR
    return raised.value.message


def test_creates_replaces_and_writes_through_links(place):
    path = place / "a.json"
    outfile.write_text(path, "one\n")
    assert path.read_text() == "one\n"
    outfile.write_text(path, "two\n")
    assert path.read_text() == "two\n"
    dangling = place / "link"
    dangling.symlink_to("later/b.json")
    (place / "later").mkdir()
    outfile.write_text(dangling, "three\n")
    assert dangling.is_symlink() and (place / "later" / "b.json").read_text() == "three\n"
    chain = place / "chain"
    chain.symlink_to("link")
    outfile.write_text(chain, "four\n", private=True)
    assert (place / "later" / "b.json").read_text() == "four\n"
    assert stat.S_IMODE((place / "later" / "b.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in place.iterdir()) == ["a.json", "chain", "later", "link"]


def test_what_is_not_a_regular_file_is_refused_by_name(place):
    os.mkfifo(place / "pipe")
    assert error_of(place / "pipe", "baseline ") == (
        f"cannot write baseline {place}/pipe: it is a FIFO (named pipe), not a regular file"
    )
    (place / "to-pipe").symlink_to("pipe")
    assert error_of(place / "to-pipe").endswith(
        f"it is a FIFO (named pipe), not a regular file (through a symbolic link to "
        f"{place}/pipe)"
    )
    assert error_of(place).endswith("it is a folder, not a regular file")
    (place / "loop-a").symlink_to("loop-b")
    (place / "loop-b").symlink_to("loop-a")
    assert error_of(place / "loop-a").endswith("its symbolic links form a loop")
    assert "No such file or directory" in error_of(place / "no" / "such" / "file")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(place, monkeypatch):
    path = place / "a.json"
    path.write_text("old\n")

    def fail(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert error_of(path) == f"cannot write {path}: No space left on device"
    assert path.read_text() == "old\n"
    assert [p.name for p in place.iterdir()] == ["a.json"]


def test_a_stale_temporary_name_is_stepped_over(place):
    path = place / "a.json"
    (place / f".a.json.{os.getpid()}-0.tmp").write_text("someone else's\n")
    outfile.write_text(path, "new\n")
    assert path.read_text() == "new\n"
    assert (place / f".a.json.{os.getpid()}-0.tmp").read_text() == "someone else's\n"
