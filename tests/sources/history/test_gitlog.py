"""The tree-diff pass: `git log --raw` output read back into commits and changes."""

from __future__ import annotations

import io
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.sources.history import gitlog


def _log(repo, *revisions: str) -> list[gitlog.Commit]:
    output = git.run(repo.path, *gitlog.arguments([*revisions, "--"]))
    return list(gitlog.commits(io.BytesIO(output)))


def test_commits_changes_and_messages(repo):
    repo.write("a.txt", "a\n")
    first = repo.commit("first\n\nbody: with \x01 and : odd bytes")
    repo.write(b"\x01odd:name\xff", "b\n")
    repo.git("rm", "-q", "a.txt")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--allow-empty-message", "-m", "")
    second = repo.head()
    repo.git("commit", "-q", "--allow-empty", "-m", "nothing changed")
    third = repo.head()
    [c3, c2, c1] = _log(repo, "HEAD")
    assert (c1.oid, c1.parents, c1.author) == (first, [], "Test Author <author@example.com>")
    assert c1.message.startswith(b"first\n\nbody: with \x01")
    assert [(c[4], c[5]) for c in c1.changes] == [(b"A", b"a.txt")]
    assert c2.oid == second and c2.parents == [first]
    assert sorted((c[4], c[5]) for c in c2.changes) == [
        (b"A", b"\x01odd:name\xff"),
        (b"D", b"a.txt"),
    ]
    assert c3.oid == third and c3.changes == []


def test_merges_are_diffed_against_the_first_parent(repo):
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.txt", "s\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("main.txt", "m\n")
    repo.commit("main")
    repo.git("merge", "-q", "--no-edit", "side")
    merge = _log(repo, "-1", "HEAD")[0]
    assert len(merge.parents) == 2
    assert [c[5] for c in merge.changes] == [b"side.txt"]


def test_the_declared_encoding_is_read(repo):
    repo.write("a.txt", "a\n")
    repo.commit("plain")
    repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty",
             "-m", "labelled")
    labelled, plain = _log(repo, "HEAD")
    assert (labelled.encoding, plain.encoding) == ("ISO-8859-1", "")
    assert labelled.message.strip() == b"labelled"


def test_unexpected_output_is_an_error():
    with pytest.raises(TokscanError):
        list(gitlog.commits(io.BytesIO(b"\x01abc def\0author\0date\0\0msg\0garbage\0")))
    with pytest.raises(TokscanError):
        list(gitlog.commits(io.BytesIO(b"\x01abc\0author\0")))


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(
        st.binary(min_size=1, max_size=12).filter(
            lambda n: b"\0" not in n and b"/" not in n and n not in (b".", b"..", b".git")
        ),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_any_file_name_comes_back_as_it_is(tmp_path_factory, names):
    path = tmp_path_factory.mktemp("names")
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name in names:
        (path / name.decode("utf-8", "surrogateescape")).write_bytes(b"x\n")
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "names"], check=True)
    output = git.run(path, *gitlog.arguments(["HEAD", "--"]))
    [commit] = gitlog.commits(io.BytesIO(output))
    assert sorted(c[5] for c in commit.changes) == sorted(names)


def test_commit_without_author_or_committer_has_no_date(repo):
    # A malformed commit (git fsck would complain) that a hostile repository can still
    # hold: git prints the format placeholder itself for the missing date.
    blob = repo.git("hash-object", "-w", "--stdin", input=b"x\n").strip()
    tree = repo.git("mktree", input=f"100644 blob {blob}\tx.txt\n".encode()).strip()
    raw = f"tree {tree}\n\nno author, no committer\n".encode()
    commit = repo.git("hash-object", "-t", "commit", "-w", "--stdin", "--literally", input=raw)
    [parsed] = _log(repo, commit.strip())
    assert parsed.date == ""
    assert parsed.changes


def test_each_commit_knows_where_its_record_starts_and_is_read_back_alone(repo, tmp_path):
    repo.write("a.txt", "a\n")
    repo.commit("first \x01 with a byte that also starts a record")
    repo.write(b"\x01b.txt", "b\n")  # a name that starts like a record
    repo.commit("second")
    repo.write("a.txt", "a again\n")
    repo.commit("third")
    log = tmp_path / "log"
    log.write_bytes(git.run(repo.path, *gitlog.arguments(["HEAD", "--"])))
    with log.open("rb") as handle:
        every = list(gitlog.commits(handle))
    data = log.read_bytes()
    assert [data[c.start : c.start + 41] for c in every] == [
        b"\x01" + c.oid.encode() for c in every
    ]
    starts = [c.start for c in every]
    third, second, first = every
    b_blob = second.changes[0][3]  # named by the second commit only
    a_blob = first.changes[0][3]  # added by the first, replaced by the third
    assert [c.oid for c in gitlog.commits_naming(log, starts, [b_blob])] == [second.oid]
    named = list(gitlog.commits_naming(log, starts, [a_blob]))
    assert [c.oid for c in named] == [third.oid, first.oid]
    assert named[1].changes == first.changes and named[1].message == first.message
    for block in (7, 40, 41, 100):  # an object cut by the end of a block read is found
        cut = gitlog.commits_naming(log, starts, [a_blob, b_blob], block=block)
        assert [c.oid for c in cut] == [c.oid for c in every]
    assert list(gitlog.commits_naming(log, starts, [])) == []
    # past the limit of objects to look for, every commit is read
    everything = gitlog.commits_naming(log, starts, [b_blob], limit=0)
    assert [c.oid for c in everything] == [c.oid for c in every]
