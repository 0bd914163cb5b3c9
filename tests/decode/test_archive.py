"""tokscan/decode/archive.py: archives walked in memory, member by member, within limits.

Every archive here is built at run time with the standard library (or byte by byte, for
what it cannot write: bombs, lies in headers, encrypted members). Members hold a marker
string, not a key: this module finds members, the detector finds keys.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import random
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokscan.decode import archive
from tokscan.decode.archive import Leaf, Limits, Problem

MARK = b"MARKER-7f3a"
MIB = 1 << 20
SMALL = Limits(max_bytes=MIB, max_members=200, max_depth=3)


# --- helpers ----------------------------------------------------------------------------


class Walked(NamedTuple):
    leaves: list[tuple[tuple[str, ...], bytes]]
    problems: list[Problem]
    order: list[Leaf | Problem]  # as yielded


def walk(data: bytes | io.BufferedIOBase, limits: Limits = archive.DEFAULT_LIMITS,
         chunk: int = 65536) -> Walked:
    """Walk like the scanner does: each leaf read to its end, in chunks, before the next."""
    leaves, problems, order = [], [], []
    for item in archive.walk(data, limits):  # type: ignore[arg-type]
        order.append(item)
        if isinstance(item, Problem):
            problems.append(item)
            continue
        parts = []
        while block := item.stream.read(chunk):
            parts.append(block)
        leaves.append((item.path, b"".join(parts)))
    return Walked(leaves, problems, order)


def paths(walked: Walked) -> list[tuple[str, ...]]:
    return [path for path, _ in walked.leaves]


def make_zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def make_tar(files: dict[str, bytes], compression: str = "",
             fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=f"w:{compression}", format=fmt) as tf:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def make_gzip(data: bytes, fname: str | None = None) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename=fname or "", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


class Raw(NamedTuple):
    """A zip entry written byte by byte: whatever its header says, true or not."""

    name: str
    data: bytes  # as stored (compressed already)
    method: int = zipfile.ZIP_STORED
    size: int | None = None  # the uncompressed size the headers declare
    crc: int | None = None  # by default the CRC-32 of `data`: right for stored entries
    flags: int = 0


def raw_zip(entries: Iterable[Raw]) -> bytes:
    out = io.BytesIO()
    central = []
    count = 0
    for e in entries:
        count += 1
        name = e.name.encode()
        size = len(e.data) if e.size is None else e.size
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21,
                              crc, len(e.data), size, len(name), 0) + name + e.data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, e.flags, e.method,
                                   0, 0x21, crc, len(e.data), size, len(name), 0, 0, 0, 0, 0,
                                   offset) + name)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory),
                          start, 0))
    return out.getvalue()


def deflate_zeros(mib: int, before: bytes = b"") -> bytes:
    """Raw deflate of `before` then `mib` MiB of zeros, made in milliseconds: after a full
    flush the compressor starts afresh, so one compressed MiB can be repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(before) + c.flush(zlib.Z_FULL_FLUSH) if before else b""
    block = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    return start + block * mib + c.flush(zlib.Z_FINISH)


def gzip_raw(deflated: bytes, size: int) -> bytes:
    """A gzip file around raw deflate data (the trailer's CRC is not checked before the
    end, which a bomb never reaches)."""
    return b"\x1f\x8b\x08\x00\0\0\0\0\x00\xff" + deflated + struct.pack("<LL", 0, size % 2**32)


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like stdin or `git cat-file` output."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        block = self._data.read(min(len(buffer), 1000))  # short reads, like a pipe
        buffer[: len(block)] = block
        return len(block)


def is_limit(problem: Problem) -> bool:
    return problem.message.startswith("archive limit reached")


# --- kind -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_zip({"a": b"x"}), "zip"),
        (make_zip({}), "zip"),
        (make_tar({"a": b"x"}), "tar"),
        (make_tar({"a": b"x"}, fmt=tarfile.GNU_FORMAT), "tar"),
        (make_tar({"a": b"x"}, fmt=tarfile.USTAR_FORMAT), "tar"),
        (make_tar({"a": b"x"}, "gz"), "gzip"),
        (make_tar({"a": b"x"}, "bz2"), "bzip2"),
        (bz2.compress(b""), "bzip2"),
        (make_tar({"a": b"x"}, "xz"), "xz"),
        (b"hello world\n" * 100, None),
        (b"", None),
        (b"BZh9 is how a bzip2 file starts", None),
        (b"PK", None),
    ],
)
def test_kind_reads_the_content(data: bytes, expected: str | None) -> None:
    assert archive.kind(data[: archive.HEAD_SIZE]) == expected


def test_kind_tar_needs_a_header_checksum_that_matches() -> None:
    header = bytearray(make_tar({"a": b"x"}, fmt=tarfile.USTAR_FORMAT)[:512])
    assert archive.kind(bytes(header)) == "tar"
    assert archive.kind(bytes(header[:300])) == "tar"  # a short head: the magic alone
    header[0] ^= 1
    assert archive.kind(bytes(header)) is None
    text = bytearray(b"x" * 600)
    text[257:262] = b"ustar"
    assert archive.kind(bytes(text)) is None


# --- formats and nesting ----------------------------------------------------------------


def nested() -> bytes:
    """a.zip!b.tar.gz!c/.env and a.zip!b.tar.gz!d.zip!e.txt, plus a member after them."""
    inner = make_zip({"e.txt": b"e " + MARK})
    middle = make_tar({"c/.env": b"KEY=" + MARK, "d.zip": inner}, "gz")
    return make_zip({"b.tar.gz": middle, "after.txt": b"after " + MARK})


def test_nested_zip_tar_gz_zip() -> None:
    walked = walk(nested())
    assert walked.problems == []
    assert walked.leaves == [
        (("b.tar.gz", "c/.env"), b"KEY=" + MARK),
        (("b.tar.gz", "d.zip", "e.txt"), b"e " + MARK),
        (("after.txt",), b"after " + MARK),
    ]


def test_depth_limit_reports_the_member_and_goes_on() -> None:
    walked = walk(nested(), Limits(max_depth=2))
    assert paths(walked) == [("b.tar.gz", "c/.env"), ("after.txt",)]
    assert walked.problems == [Problem(("b.tar.gz", "d.zip"), walked.problems[0].message)]
    assert walked.problems[0].message.startswith("too deeply nested (more than 2 levels)")


def test_three_levels_are_allowed_by_default_four_are_not() -> None:
    three = make_zip({"b.zip": make_zip({"c.zip": make_zip({"file": MARK})})})
    assert walk(three).leaves == [(("b.zip", "c.zip", "file"), MARK)]
    four = make_zip({"b.zip": make_zip({"c.zip": make_zip({"d.zip": make_zip({"f": MARK})})})})
    walked = walk(four)
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [("b.zip", "c.zip", "d.zip")]
    assert "more than 3 levels" in walked.problems[0].message


def test_wheel_and_jar_like_zips() -> None:
    jar = make_zip({
        "META-INF/": b"",
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
        "com/example/App.class": b"\xca\xfe\xba\xbe\0\0" + MARK,
        "application.properties": b"api.key=" + MARK,
    })
    wheel = make_zip({
        "pkg/__init__.py": b"TOKEN = '" + MARK + b"'\n",
        "pkg-1.0.dist-info/RECORD": b"pkg/__init__.py,,\n",
    }, zipfile.ZIP_STORED)
    outer = make_zip({"lib/app.jar": jar, "wheels/pkg-1.0-py3-none-any.whl": wheel})
    walked = walk(outer)
    assert walked.problems == []
    assert paths(walked) == [
        ("lib/app.jar", "META-INF/MANIFEST.MF"),  # the directory entry is skipped
        ("lib/app.jar", "com/example/App.class"),
        ("lib/app.jar", "application.properties"),
        ("wheels/pkg-1.0-py3-none-any.whl", "pkg/__init__.py"),
        ("wheels/pkg-1.0-py3-none-any.whl", "pkg-1.0.dist-info/RECORD"),
    ]


def test_docx_like_zip() -> None:
    docx = make_zip({
        "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document><w:t>" + MARK + b"</w:t></w:document>",
    })
    walked = walk(docx)
    assert walked.problems == []
    assert (("word/document.xml",), b"<w:document><w:t>" + MARK + b"</w:t></w:document>") in (
        walked.leaves
    )


def test_gzip_of_a_plain_file_is_one_member_named_by_its_header() -> None:
    named = walk(make_gzip(b"x=" + MARK, fname="config.json"))
    assert named.leaves == [(("config.json",), b"x=" + MARK)]
    assert named.problems == []
    unnamed = walk(gzip.compress(b"x=" + MARK))  # gzip.compress records no name
    assert unnamed.leaves == [(("",), b"x=" + MARK)]
    assert unnamed.problems == []


def test_gzip_name_after_an_extra_field() -> None:
    body = gzip.compress(b"x=" + MARK)
    extra = b"AB\x04\x00data"
    crafted = body[:3] + bytes([0x04 | 0x08]) + body[4:10] + (
        struct.pack("<H", len(extra)) + extra + "naïve.txt".encode() + b"\0" + body[10:]
    )
    assert walk(crafted).leaves == [(("naïve.txt",), b"x=" + MARK)]


def test_concatenated_gzip_members_are_one_file() -> None:
    data = gzip.compress(b"first " + MARK + b"\n") + gzip.compress(b"second\n")
    assert walk(data).leaves == [(("",), b"first " + MARK + b"\nsecond\n")]


def test_gzip_inside_a_zip_is_named_by_the_member_chain() -> None:
    outer = make_zip({"logs/app.log.gz": gzip.compress(MARK)})
    assert walk(outer).leaves == [(("logs/app.log.gz", ""), MARK)]


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_compressed_tar_is_the_tar_itself(compression: str) -> None:
    data = make_tar({"etc/app/.env": b"K=" + MARK, "readme": b"hi"}, compression)
    walked = walk(data)
    assert walked.problems == []
    assert walked.leaves == [(("etc/app/.env",), b"K=" + MARK), (("readme",), b"hi")]


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress])
def test_bzip2_and_xz_of_a_plain_file_and_concatenated_streams(
    compress: Callable[[bytes], bytes],
) -> None:
    data = compress(b"one " + MARK) + compress(b" two")
    walked = walk(data)
    assert walked.leaves == [(("",), b"one " + MARK + b" two")]
    assert walked.problems == []


def test_trailing_garbage_after_an_xz_stream_is_reported() -> None:
    walked = walk(lzma.compress(MARK) + b"\0\0\0\0" + b"garbage" * 10)
    assert walked.leaves == [(("",), MARK)]
    assert [p.path for p in walked.problems] == [("",)]
    assert walked.problems[0].message.startswith("corrupt xz data")


def test_xz_declaring_a_huge_dictionary_is_refused_not_allocated() -> None:
    data = bytearray(lzma.compress(MARK, format=lzma.FORMAT_XZ))
    # The block header after the 12-byte stream header: size, flags, the LZMA2 filter
    # (id 0x21, one byte of properties: the dictionary size), padding, CRC-32.
    start, size = 12, (data[12] + 1) * 4
    assert data[start + 2 : start + 4] == b"\x21\x01"
    data[start + 4] = 40  # 4 GiB
    crc = zlib.crc32(data[start : start + size - 4])
    data[start + size - 4 : start + size] = struct.pack("<L", crc)
    walked = walk(bytes(data))
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [()]
    assert walked.problems[0].message == (
        "xz data that needs more than 256 MiB of memory to decompress (its dictionary size):"
        " not scanned"
    )


def test_tar_formats_and_member_types() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name in ["./dir/", "./dir/" + "long" * 40 + ".txt", "./link"]:
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
            elif name.endswith("link"):
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            else:
                info.size = len(MARK)
            tf.addfile(info, io.BytesIO(MARK) if info.isreg() else None)
    walked = walk(out.getvalue())
    assert walked.problems == []
    assert walked.leaves == [(("dir/" + "long" * 40 + ".txt",), MARK)]  # ./ dropped


def test_odd_member_names_are_kept() -> None:
    names = ["with space.txt", "ünïcødé/файл.env", "new\nline", "tab\there"]
    tar_walk = walk(make_tar(dict.fromkeys(names, MARK)))
    zip_walk = walk(make_zip(dict.fromkeys(names, MARK)))
    assert paths(tar_walk) == paths(zip_walk) == [(name,) for name in names]


def test_zip_backslash_names_are_slash_separated() -> None:
    data = raw_zip([Raw("dir\\sub\\file.txt", MARK)])
    assert paths(walk(data)) == [("dir/sub/file.txt",)]


def test_zip_symlink_member_is_read_not_followed() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        link = zipfile.ZipInfo("link-to-secret")
        link.external_attr = (0o120777 << 16)  # S_IFLNK
        zf.writestr(link, "../../etc/secret")
    assert walk(out.getvalue()).leaves == [(("link-to-secret",), b"../../etc/secret")]


def test_docker_save_like_image() -> None:
    layer = make_tar({"app/.env": b"TOKEN=" + MARK, "app/main.py": b"print()"})
    digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"config": {"Env": ["PATH=/bin"]}}).encode()
    image = make_tar({
        f"{digest}/VERSION": b"1.0",
        f"{digest}/json": b"{}",
        f"{digest}/layer.tar": layer,
        "config.json": config,
        "manifest.json": json.dumps([{"Layers": [f"{digest}/layer.tar"]}]).encode(),
        "repositories": b"{}",
    })
    walked = walk(image)
    assert walked.problems == []
    assert ((f"{digest}/layer.tar", "app/.env"), b"TOKEN=" + MARK) in walked.leaves
    assert (("config.json",), config) in walked.leaves


def test_oci_layout_image_with_gzip_layers() -> None:
    layer = make_tar({"app/.env": b"TOKEN=" + MARK}, "gz")
    digest = hashlib.sha256(layer).hexdigest()
    image = make_tar({
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        "index.json": b'{"manifests": []}',
        f"blobs/sha256/{'0' * 64}": b'{"layers": []}',
        f"blobs/sha256/{digest}": layer,
    })
    walked = walk(image)
    assert walked.problems == []
    assert walked.leaves[-1] == ((f"blobs/sha256/{digest}", "app/.env"), b"TOKEN=" + MARK)


def test_a_partly_read_tar_member_is_skipped_to_the_next() -> None:
    data = make_tar({"big": b"x" * 300_000 + MARK, "small": MARK}, "gz")
    seen = []
    for item in archive.walk(data):
        assert isinstance(item, Leaf)
        seen.append((item.path, item.stream.read(len(MARK))))  # the rest is left unread
    assert seen == [(("big",), b"x" * len(MARK)), (("small",), MARK)]


def test_stream_reads_whole_and_readinto() -> None:
    data = make_zip({"a": MARK * 1000, "b": MARK})
    items = archive.walk(data)
    first = next(items)
    assert isinstance(first, Leaf)
    assert first.stream.read() == MARK * 1000
    second = next(items)
    assert isinstance(second, Leaf)
    buffer = bytearray(100)
    assert second.stream.readinto(buffer) == len(MARK)  # type: ignore[attr-defined]
    assert bytes(buffer[: len(MARK)]) == MARK


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_input_from_a_stream_that_cannot_seek(kind: str) -> None:
    data = nested() if kind == "zip" else make_tar({"a/.env": MARK}, "gz")
    from_pipe = walk(io.BufferedReader(Pipe(data)))
    assert from_pipe.leaves == walk(data).leaves
    assert from_pipe.problems == []


def test_a_seekable_file_is_read_where_it_is(tmp_path: Path) -> None:
    for name, data in [("a.zip", nested()), ("b.tar", make_tar({"c": MARK}))]:
        (tmp_path / name).write_bytes(data)
        with (tmp_path / name).open("rb") as file:
            from_file = walk(file)
        assert from_file.leaves == walk(data).leaves
        assert from_file.leaves


def test_not_an_archive_is_a_problem() -> None:
    walked = walk(b"plain text")
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [()]


# --- limits -----------------------------------------------------------------------------


def test_zip_bomb_stops_at_the_byte_limit() -> None:
    bomb = raw_zip([
        Raw("bomb.bin", deflate_zeros(300), zipfile.ZIP_DEFLATED, size=300 * MIB),
        Raw("after.txt", MARK),
    ])
    walked = walk(bomb, SMALL)
    assert walked.leaves == [(("bomb.bin",), bytes(MIB))]  # what fits, then nothing more
    assert walked.problems == [Problem(("bomb.bin",), walked.problems[0].message)]
    assert walked.problems[0].message == (
        "archive limit reached: more than 1 MiB decompressed "
        "(see archive_max_bytes in .tokscan.yaml)"
    )
    assert walked.order[-1] == walked.problems[0]  # reported last, and the walk stopped


def test_default_limits_stop_a_gigabyte_member_quickly() -> None:
    bomb = raw_zip([Raw("bomb.bin", deflate_zeros(1024), zipfile.ZIP_DEFLATED, size=1 << 30)])
    started = time.monotonic()
    total = 0
    problems = []
    for item in archive.walk(bomb):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        while block := item.stream.read(MIB):
            total += len(block)
    assert time.monotonic() - started < 5
    assert total == 256 * MIB
    assert [p.message for p in problems] == [
        "archive limit reached: more than 256 MiB decompressed "
        "(see archive_max_bytes in .tokscan.yaml)"
    ]


def test_a_member_that_ends_exactly_at_the_limit_is_fine() -> None:
    data = make_zip({"a": bytes(MIB // 2), "b": bytes(MIB // 2)})
    walked = walk(data, SMALL)
    assert walked.problems == []
    assert [len(content) for _, content in walked.leaves] == [MIB // 2, MIB // 2]
    over = walk(make_zip({"a": bytes(MIB // 2), "b": bytes(MIB // 2 + 1)}), SMALL)
    assert [p.path for p in over.problems if is_limit(p)] == [("b",)]


def test_gzip_bomb() -> None:
    walked = walk(gzip_raw(deflate_zeros(300), 300 * MIB), SMALL)
    assert walked.leaves == [(("",), bytes(MIB))]
    assert len(walked.problems) == 1
    assert is_limit(walked.problems[0])


def test_tar_gz_bomb_counts_the_decompressed_tar() -> None:
    header = tarfile.TarInfo("big.bin")
    header.size = 300 * MIB
    bomb = gzip_raw(deflate_zeros(300, before=header.tobuf(tarfile.GNU_FORMAT)), 0)
    walked = walk(bomb, SMALL)
    assert paths(walked) == [("big.bin",)]
    assert len(walked.leaves[0][1]) < MIB  # the tar header took its share
    assert len(walked.problems) == 1
    assert is_limit(walked.problems[0])


def test_bytes_of_nested_archives_count_together() -> None:
    half = make_zip({"data": bytes(MIB // 2 + 100)})
    walked = walk(make_tar({"one.zip": half, "two.zip": half}), SMALL)
    # The copies of the inner zips into memory count, then their contents do.
    assert any(is_limit(p) for p in walked.problems)
    assert walked.order[-1] == walked.problems[-1]


@pytest.mark.parametrize("size", [1 << 40, 5 << 30])
@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_tar_member_claiming_a_huge_size_with_truncated_data(size: int, fmt: int) -> None:
    header = tarfile.TarInfo("huge.bin")
    header.size = size
    data = header.tobuf(fmt) + MARK + b" and then the archive ends"
    started = time.monotonic()
    for wrapped in (data, gzip.compress(data)):
        walked = walk(wrapped)
        assert walked.leaves == [(("huge.bin",), MARK + b" and then the archive ends")]
        assert [p.path for p in walked.problems] == [("huge.bin",)]
        assert walked.problems[0].message.startswith("truncated tar member")
    assert time.monotonic() - started < 2


def test_tar_with_thousands_of_members() -> None:
    data = make_tar({f"f{i}": b"" for i in range(3000)})
    walked = walk(data, Limits(max_members=1000))
    assert len(walked.leaves) == 1000
    assert walked.problems == [Problem(("f1000",), walked.problems[0].message)]
    assert walked.problems[0].message == (
        "archive limit reached: more than 1,000 members (see archive_max_members in .tokscan.yaml)"
    )
    assert len(walk(data, Limits(max_members=3000)).leaves) == 3000


def test_zip_with_thousands_of_members() -> None:
    data = make_zip({f"f{i}": b"x" for i in range(3000)}, zipfile.ZIP_STORED)
    walked = walk(data, Limits(max_members=1000))
    assert len(walked.leaves) == 1000
    assert len(walked.problems) == 1
    assert is_limit(walked.problems[0])


def test_zip_directory_too_large_for_the_member_limit_is_not_parsed() -> None:
    data = make_zip({f"f{i}": b"" for i in range(3000)}, zipfile.ZIP_STORED)
    walked = walk(data, Limits(max_members=10))
    assert walked.leaves == []
    assert walked.problems == [Problem((), walked.problems[0].message)]
    assert is_limit(walked.problems[0])


def test_members_count_across_levels() -> None:
    inner = make_tar({f"f{i}": b"" for i in range(60)}, "gz")
    outer = make_zip({"a.tgz": inner, "b.tgz": inner})
    walked = walk(outer, Limits(max_members=100))
    # 1 (a.tgz) + 60 + 1 (b.tgz) + 38: the limit is reached inside the second tar.
    assert len(walked.leaves) == 98
    assert is_limit(walked.problems[-1])
    assert walked.problems[-1].path == ("b.tgz", "f38")


# --- damage -----------------------------------------------------------------------------


def test_truncated_zip() -> None:
    data = nested()
    walked = walk(data[: len(data) // 2])
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [()]
    assert walked.problems[0].message.startswith("corrupt zip archive")


def test_random_bytes_after_zip_magic() -> None:
    noise = random.Random(3).randbytes(5000)
    walked = walk(b"PK\x03\x04" + noise)
    assert walked.leaves == []
    assert len(walked.problems) == 1


def test_corrupt_gzip() -> None:
    good = gzip.compress(MARK * 100)
    corrupt = good[:10] + bytes(b ^ 0x55 for b in good[10:30]) + good[30:]
    walked = walk(corrupt)
    assert len(walked.problems) == 1
    assert walked.problems[0].message.startswith("corrupt gzip data")
    truncated = walk(good[: len(good) - 12])
    assert truncated.problems[0].message.startswith("truncated gzip data")


def test_damaged_members_are_reported_and_the_walk_goes_on() -> None:
    good_tar = make_tar({"ok": MARK}, "gz")
    data = make_zip({
        "broken.tar.gz": good_tar[: len(good_tar) // 2],
        "fine.txt": MARK,
        "bad.gz": b"\x1f\x8b\x08\x00" + b"\xff" * 40,
    })
    walked = walk(data)
    assert paths(walked) == [("fine.txt",)]
    assert [p.path for p in walked.problems] == [("broken.tar.gz",), ("bad.gz",)]


def test_encrypted_zip_member_is_reported_and_the_next_is_read() -> None:
    data = raw_zip([Raw("secret.txt", b"\x12" * 40, flags=0x1), Raw("open.txt", MARK)])
    walked = walk(data)
    assert walked.leaves == [(("open.txt",), MARK)]
    assert walked.problems == [Problem(("secret.txt",), "encrypted zip member: not scanned")]


def test_unsupported_compression_method() -> None:
    data = raw_zip([Raw("odd.bin", b"\0" * 10, method=97), Raw("open.txt", MARK)])
    walked = walk(data)
    assert walked.leaves == [(("open.txt",), MARK)]
    assert walked.problems[0].path == ("odd.bin",)
    assert walked.problems[0].message.startswith("unsupported zip member (method 97)")


def test_bad_crc_is_reported_after_the_content_was_read() -> None:
    walked = walk(raw_zip([Raw("a.txt", MARK, crc=1234)]))
    assert walked.leaves == [(("a.txt",), MARK)]
    assert walked.problems[0].path == ("a.txt",)
    assert walked.problems[0].message.startswith("corrupt zip member")


def test_declared_size_larger_than_the_data() -> None:
    deflated = zlib.compress(MARK)[2:-4]
    entry = Raw("a", deflated, zipfile.ZIP_DEFLATED, size=1 << 30, crc=zlib.crc32(MARK))
    # The deflate stream ends where it ends: what the header claims allocates nothing.
    walked = walk(raw_zip([entry]))
    assert walked.leaves == [(("a",), MARK)]
    assert walked.problems == []
    cut = walk(raw_zip([entry._replace(data=deflated[:5])]))
    assert [p.path for p in cut.problems] == [("a",)]
    assert cut.problems[0].message == "corrupt zip member: bad CRC-32 for 'a'"


def test_tar_with_a_damaged_header_in_the_middle() -> None:
    data = bytearray(make_tar({"first": MARK, "second": MARK, "third": MARK},
                              fmt=tarfile.USTAR_FORMAT))
    data[1024 + 100] ^= 0xFF  # the second header (after 512 + 512 of the first)
    walked = walk(bytes(data))
    assert paths(walked) == [("first",)]
    assert walked.problems[0].message.startswith("corrupt tar archive")


# --- never raises -----------------------------------------------------------------------

MAGICS = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08PK\x03\x04",
    b"\x1f\x8b\x08",
    b"BZh91AY&SY",
    b"\xfd7zXZ\x00",
    make_tar({"a": b"x" * 600})[:512],  # a real header, then anything
]
TINY = Limits(max_bytes=64 * 1024, max_members=50, max_depth=3)


def exhaust(items: Iterator[Leaf | Problem]) -> list[Problem]:
    problems = []
    for item in items:
        if isinstance(item, Problem):
            problems.append(item)
        else:
            while item.stream.read(4096):
                pass
    return problems


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=1500))
def test_walk_never_raises_on_anything_after_a_magic(magic: bytes, rest: bytes) -> None:
    problems = exhaust(archive.walk(magic + rest, TINY))
    assert not any(p.message.startswith("could not read the archive") for p in problems)


SAMPLES = [
    nested(),
    make_tar({"a/.env": MARK, "b.zip": make_zip({"c": MARK})}, "bz2"),
    make_tar({"x": MARK * 50, "y.gz": gzip.compress(MARK)}, "xz"),
    make_tar({"long/" * 30 + "name": MARK}, fmt=tarfile.GNU_FORMAT),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_walk_never_raises_on_damaged_archives(sample: bytes, data: st.DataObject) -> None:
    damaged = bytearray(sample)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    problems = exhaust(archive.walk(bytes(damaged[:cut]), TINY))
    assert not any(p.message.startswith("could not read the archive") for p in problems)


# --- more corners -----------------------------------------------------------------------


def test_a_depth_limit_of_zero_reads_nothing() -> None:
    walked = walk(make_zip({"a": MARK}), Limits(max_depth=0))
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [()]


def test_byte_limit_message_for_a_size_in_bytes() -> None:
    walked = walk(make_zip({"a": bytes(5000)}), Limits(max_bytes=1000))
    assert walked.problems[-1].message == (
        "archive limit reached: more than 1,000 bytes decompressed "
        "(see archive_max_bytes in .tokscan.yaml)"
    )


def test_zip_member_whose_local_header_disagrees() -> None:
    data = bytearray(raw_zip([Raw("aaaa.txt", MARK), Raw("next.txt", MARK)]))
    data[30:34] = b"bbbb"  # the first local header's name, after its 30 fixed bytes
    walked = walk(bytes(data))
    assert walked.leaves == [(("next.txt",), MARK)]
    assert walked.problems[0].path == ("aaaa.txt",)
    assert walked.problems[0].message.startswith("corrupt zip member")


def test_tar_with_a_bad_header_after_a_long_name() -> None:
    good = make_tar({"first": MARK}, fmt=tarfile.GNU_FORMAT)[:1024]  # header, data
    longname = tarfile.TarInfo("././@LongLink")
    longname.type, longname.size = tarfile.GNUTYPE_LONGNAME, 300
    data = good + longname.tobuf(tarfile.GNU_FORMAT) + b"n" * 300 + bytes(212) + b"\x01" * 512
    walked = walk(data)
    assert paths(walked) == [("first",)]
    assert walked.problems[0].path == ()
    assert walked.problems[0].message.startswith("corrupt tar archive")


def test_gzip_name_that_is_not_utf8() -> None:
    body = gzip.compress(MARK)
    crafted = body[:3] + b"\x08" + body[4:10] + "café.txt".encode("latin-1") + b"\0" + body[10:]
    assert walk(crafted).leaves == [(("café.txt",), MARK)]


def test_truncated_inner_zip_in_a_tar() -> None:
    inner = make_zip({"a": MARK * 100})
    tar = make_tar({"inner.zip": inner})
    walked = walk(tar[: 512 + len(inner) // 2])
    assert walked.leaves == []
    assert [p.path for p in walked.problems] == [("inner.zip",)]
    assert walked.problems[0].message.startswith("truncated tar member")


def test_an_archive_of_only_a_pax_global_header_is_empty_not_corrupt() -> None:
    """Regression (git/git's t/t5004/empty-with-pax-header.tar): tarfile refuses an archive
    whose end comes right after a pax global header; `tar` lists it as empty, and a scan
    of it must not be incomplete."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "cffe6059971f1399cd0824b6548d90b85786c0e8"}):
        pass
    assert archive.kind(out.getvalue()[:512]) == "tar"
    walked = walk(out.getvalue())
    assert (walked.leaves, walked.problems) == ([], [])


def test_a_tar_cut_inside_its_first_header_block_is_still_corrupt() -> None:
    data = make_tar({"a.txt": b"hello\n"})
    walked = walk(data[:700])  # the first member's data block, then nothing
    assert walked.problems, "a truncated tar must not pass as complete"
