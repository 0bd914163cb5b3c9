"""Reading `git cat-file --batch` output: framing, large objects, and on-demand reads; and
listing the files of a tree."""

from __future__ import annotations

import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.git.objects import BatchStream, ObjectReader, tree_files

# An object as cat-file prints it: (oid, kind, body); kind "missing" has no body.
objects = st.lists(
    st.tuples(
        st.text("0123456789abcdef", min_size=40, max_size=40),
        st.sampled_from(["blob", "tree", "missing"]),
        st.one_of(st.binary(max_size=40), st.binary(min_size=200, max_size=700)),
    ),
    max_size=12,
)


def _output(items) -> bytes:
    parts = []
    for oid, kind, body in items:
        if kind == "missing":
            parts.append(f"{oid} missing\n".encode())
        else:
            parts.append(f"{oid} {kind} {len(body)}\n".encode() + body + b"\n")
    return b"".join(parts)


def _pipe(data: bytes) -> int:
    """A pipe that a thread fills with `data` in small, uneven writes."""
    read, write = os.pipe()

    def feed() -> None:
        position, step = 0, 1
        while position < len(data):
            position += os.write(write, data[position : position + step])
            step = step * 3 % 97 + 1
        os.close(write)

    threading.Thread(target=feed, daemon=True).start()
    return read


def _read_one(stream: BatchStream, header, items, seen: list) -> None:
    """Read the object whose header was just read, as a caller does, into `seen`."""
    if header.kind == b"missing":
        seen.append((header.oid.decode(), "missing", items[len(seen)][2]))
        return
    if stream.fits(header.size):
        start, end = stream.body(header.size)
        body = bytes(stream.buffer[start:end])
    else:
        read = stream.reader(header.size)
        body = b"".join(iter(lambda: read(50), b""))
    seen.append((header.oid.decode(), header.kind.decode(), body))


def _read_back(items, buffer_size: int, loop) -> list:
    """What `loop(stream, seen)` reads into `seen` from cat-file-like output of `items`,
    written into a pipe in small, uneven writes."""
    fd = _pipe(_output(items))
    seen: list = []
    try:
        loop(BatchStream(fd, buffer_size), seen)
    finally:
        os.close(fd)
    return seen


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(items=objects, buffer_size=st.integers(min_value=128, max_value=512))
def test_every_object_comes_back_whole(items, buffer_size):
    def one_at_a_time(stream, seen):
        while (header := stream.header()) is not None:
            _read_one(stream, header, items, seen)

    assert _read_back(items, buffer_size, one_at_a_time) == list(items)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(items=objects, buffer_size=st.integers(min_value=128, max_value=512))
def test_whole_objects_and_one_at_a_time_together_give_every_object(items, buffer_size):
    """The blob scan's loop: take the objects that lie whole in the buffer, read on, else
    one at a time."""

    def as_the_scan_does(stream, seen):
        while True:
            batch = stream.whole_objects()
            for header, start, end in batch:
                body = items[len(seen)][2] if header.kind == b"missing" else bytes(
                    stream.buffer[start:end])
                seen.append((header.oid.decode(), header.kind.decode(), body))
            if batch or stream.more():
                continue
            header = stream.header()
            if header is None:
                break
            _read_one(stream, header, items, seen)

    assert _read_back(items, buffer_size, as_the_scan_does) == list(items)


def test_more_gathers_many_small_objects_for_one_whole_objects_call():
    """git writes its output in pieces; reading on before asking again lets one call (and
    so one search) take many objects, rather than the few that one read brought."""
    items = [(f"{n:040x}", "blob", b"x" * (n % 30)) for n in range(60)]
    fd = _pipe(_output(items))  # written a few bytes at a time
    stream = BatchStream(fd, 8192)
    batches = []
    try:
        while True:
            batch = stream.whole_objects()
            if batch:
                batches.append(len(batch))
            elif not stream.more():
                assert stream.header() is None
                break
    finally:
        os.close(fd)
    assert sum(batches) == 60
    assert len(batches) <= 3  # half a megabyte or the end is waited for: the end, here


def test_whole_objects_stops_before_a_bad_header_and_a_partial_object():
    read, write = os.pipe()
    os.write(write, b"a" * 40 + b" blob 3\nabc\n" + b"garbage line\n")
    os.close(write)
    stream = BatchStream(read, 256)
    assert stream.header() is not None  # fills the buffer
    stream.body(3)
    assert stream.whole_objects() == []  # the garbage is left for header() to refuse
    with pytest.raises(TokscanError, match="unexpected git cat-file output"):
        stream.header()
    os.close(read)
    read, write = os.pipe()
    os.write(write, b"b" * 40 + b" blob 2\nxy\n" + b"c" * 40 + b" blob 100\nonly part")
    stream = BatchStream(read, 256)
    stream._fill()
    found = stream.whole_objects()
    assert [(h.oid[:1], h.size, bytes(stream.buffer[s:e])) for h, s, e in found] == [
        (b"b", 2, b"xy")]
    assert stream.whole_objects() == []  # the partial one waits for more output
    os.write(write, b" " * 90 + b"\n")
    os.close(write)
    header = stream.header()
    assert header is not None and header.oid[:1] == b"c"
    os.close(read)


def test_output_that_stops_in_an_object_is_an_error():
    fd = _pipe(b"a" * 40 + b" blob 100\nonly part of it")
    stream = BatchStream(fd, 256)
    header = stream.header()
    assert header is not None and header.size == 100
    with pytest.raises(TokscanError, match="middle of an object"):
        stream.body(header.size)
    os.close(fd)


def test_garbage_header_is_an_error():
    fd = _pipe(b"this is not cat-file output\n")
    with pytest.raises(TokscanError, match="unexpected git cat-file output"):
        BatchStream(fd, 256).header()
    os.close(fd)


def test_object_reader_reads_and_reports_missing(repo):
    repo.write("a.txt", "hello\n")
    repo.write("big.txt", "x" * (3 << 20))
    repo.commit("init")
    blob = repo.git("rev-parse", "HEAD:a.txt").strip()
    big = repo.git("rev-parse", "HEAD:big.txt").strip()
    with ObjectReader(repo.path) as reader:
        assert reader.read(blob) == b"hello\n"
        assert reader.read("0" * 40) is None
        assert reader.read(big) == b"x" * (3 << 20)  # larger than the reader's buffer
        assert reader.read(blob) == b"hello\n"  # and the stream is still in step


def test_tree_files_lists_every_file_at_any_depth(repo):
    repo.write("a.txt", "a\n")
    repo.write("dir/sub/b.txt", "b\n")
    repo.write(b"odd\tname\nhere", "c\n")
    repo.write("star*", "d\n")
    commit = repo.commit("files")
    gitlink = "1" * 40  # a submodule: a commit in the tree, not a file
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{gitlink},module")
    tree = repo.git("write-tree").strip()
    blob = {p: repo.git("rev-parse", f"{commit}:{p}").strip().encode()
            for p in ("a.txt", "dir/sub/b.txt", "odd\tname\nhere", "star*")}  # fmt: skip
    listed = tree_files(repo.path, tree)
    assert sorted(listed) == sorted((p.encode(), oid) for p, oid in blob.items())
    assert tree_files(repo.path, commit, git.literal(["star*", "dir/sub/b.txt"])) == [
        (b"dir/sub/b.txt", blob["dir/sub/b.txt"]),
        (b"star*", blob["star*"]),
    ]
    assert tree_files(repo.path, "2" * 40) == []  # not here: nothing
