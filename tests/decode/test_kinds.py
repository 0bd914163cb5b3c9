"""tokscan/decode/kinds.py: `may_be_archive`, the test asked of every scanned file before
`kind`, never says no to an archive `kind` recognises."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from tokscan.decode import kinds


def archives() -> list[bytes]:
    zipped, tarred = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.txt", "a")
    with tarfile.open(fileobj=tarred, mode="w") as archive:
        info = tarfile.TarInfo("a.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"a"))
    data = b"some text\n" * 10
    return [zipped.getvalue(), tarred.getvalue(), gzip.compress(data), bz2.compress(data),
            lzma.compress(data)]  # fmt: skip


def test_every_archive_kind_passes():
    for data in archives():
        assert kinds.kind(data[: kinds.HEAD_SIZE]) is not None
        assert kinds.may_be_archive(memoryview(data))
        assert kinds.may_be_archive(data)


@given(st.binary(max_size=600))
def test_may_be_archive_never_refuses_what_kind_accepts(data):
    if kinds.kind(data[: kinds.HEAD_SIZE]) is not None:
        assert kinds.may_be_archive(memoryview(data))


def test_text_is_refused_without_a_copy():
    assert not kinds.may_be_archive(memoryview(b"import os\n" * 100))
    assert not kinds.may_be_archive(b"")
