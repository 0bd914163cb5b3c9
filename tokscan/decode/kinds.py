"""What kind of archive a file is, told from its first bytes, and how much of one a walk
reads: what every scanned file is asked (sources/stream.py), without importing the
decompressors and archive readers that decode/archive.py walks archives with (they cost
milliseconds at every start, and most scans meet no archive).
"""

from __future__ import annotations

import struct

from tokscan.record import Frozen, set_field


class Limits(Frozen):
    """How much of one top-level archive `walk` reads. (A plain record, not a NamedTuple:
    a NamedTuple class costs a millisecond to define, at every start.)"""

    __slots__ = ("max_bytes", "max_depth", "max_members")
    max_bytes: int  # decompressed bytes, all members and nesting levels together
    max_members: int  # members, all nesting levels together
    max_depth: int  # archives in the chain: a.zip!b.zip!c.zip!file is depth 3

    def __init__(
        self, max_bytes: int = 256 << 20, max_members: int = 10_000, max_depth: int = 3
    ) -> None:
        set_field(self, "max_bytes", max_bytes)
        set_field(self, "max_members", max_members)
        set_field(self, "max_depth", max_depth)


DEFAULT_LIMITS = Limits()


# How many first bytes `kind` needs: tar's magic is at 257, its header checksum covers 512.
HEAD_SIZE = 512


def kind(head: bytes) -> str | None:
    """"zip", "tar", "gzip", "bzip2" or "xz" when `head` (the first bytes of a file, at
    least `HEAD_SIZE` of them when the file has that many) starts an archive; else None.

    The checks are strict enough that text does not pass for an archive by chance (a false
    archive is reported as corrupt instead of being scanned): bzip2 needs its block magic
    after `BZh<level>`, and tar its header checksum besides `ustar` at offset 257 (a
    short head is trusted on the magic alone). Tars without the ustar magic (old V7
    format) are not recognised; their members are stored as they are, so scanning the file
    as bytes still finds what they hold.
    """
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"  # a member, an empty archive, a spanned archive's marker
    if head.startswith(b"\x1f\x8b\x08"):  # gzip, deflate (the only method defined)
        return "gzip"
    if (
        head.startswith(b"BZh")
        and head[3:4] in (b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9")
        and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")  # a block, or the end of an empty stream
    ):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if is_tar_header(head):
        return "tar"
    return None


def is_tar_header(head: bytes) -> bool:
    """`ustar` at 257 and, given the whole 512-byte block, a checksum that matches it (as
    tarfile computes it: with the checksum field as spaces, bytes unsigned or signed)."""
    if head[257:262] != b"ustar":
        return False
    if len(head) < 512:
        return True
    field = head[148:156].split(b"\0", 1)[0].strip()
    try:
        stored = int(field or b"0", 8)
    except ValueError:
        return False
    unsigned = 256 + sum(struct.unpack_from("148B8x356B", head))
    signed = 256 + sum(struct.unpack_from("148b8x356b", head))
    return stored in (unsigned, signed)


_FIRST_BYTES = frozenset(b"P\x1fB\xfd")  # zip, gzip, bzip2, xz
_TAR_MAGIC = slice(257, 262)


def may_be_archive(head: bytes | memoryview) -> bool:
    """False when `head` (a file's first bytes) cannot start an archive that `kind` knows:
    a test that copies nothing, for the many files a scan asks (True: ask `kind`)."""
    return bool(head) and (head[0] in _FIRST_BYTES or head[_TAR_MAGIC] == b"ustar")
