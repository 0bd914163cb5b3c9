"""Archives, walked in memory: the members of zip, tar, gzip, bzip2 and xz files, and of
the archives inside them, each handed out as a stream to scan.

A key committed inside a `.jar`, a `.tar.gz` of a config directory or a `docker save`
image is as leaked as one in plain text, but none of its bytes show it. `walk` opens such
files by their content (`kind`: magic bytes, never the name, so a `.whl`, `.docx` or
`.nupkg` is the zip it is) and yields each leaf member as a readable stream; members that
are archives themselves are walked in turn. Nothing is extracted to disk.

Archives are also the easiest way to make a scanner read forever or run out of memory, so
the walk is bounded (`Limits`): decompressed bytes and members per top-level archive, and
nesting depth. Hitting a limit, or a part that cannot be read (truncated, corrupt,
encrypted), is reported as a `Problem`, never raised and never skipped in silence: the
caller turns it into an incomplete scan. Memory follows the limits, not what an archive
claims about itself: reads are chunked, and the only archive held whole in memory is a
zip that is not in a seekable file (an inner zip, or one read from a pipe), because
zipfile must seek; its bytes count against `max_bytes`.

What counts against `max_bytes`: every byte a decompressor or a zip member produces, and
every byte copied into memory. A tar member is a view of its tar's bytes and costs nothing
more (the tar's bytes were counted when they were decompressed); the bytes of a plain,
uncompressed top-level tar are the caller's own and are not counted unless copied.

Standard library only.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, cast

# Re-exported: callers name them archive.kind, archive.Limits, ...
from tokscan.decode.kinds import DEFAULT_LIMITS as DEFAULT_LIMITS
from tokscan.decode.kinds import HEAD_SIZE as HEAD_SIZE
from tokscan.decode.kinds import Limits as Limits
from tokscan.decode.kinds import kind as kind
from tokscan.decode.streams import (
    CHUNK,
    Readable,
    Source,
    TarData,
    TarFile,
    TarStream,
    Unpacking,
    ZipMember,
    describe,
    ends_before_a_member,
    gzip_name,
    size_text,
    zip_directory_size,
)

if TYPE_CHECKING:
    pass


class Leaf(NamedTuple):
    """A member that is not an archive: its content, to be read before the walk goes on.

    `path` names the member from the outside in (`("b.tar.gz", "c/.env")` for
    `a.zip!b.tar.gz!c/.env`; the outer file's own name is not included). An empty segment
    stands for the file a gzip, bzip2 or xz stream decompresses to when the stream does not
    record its name (bzip2 and xz never do): the name of the compressed file (the segment
    before it, or the outer file) without its `.gz`/`.bz2`/`.xz` suffix, which `walk` does
    not know and the caller fills in.
    """

    path: tuple[str, ...]
    stream: BinaryIO  # read(n): the member's decompressed bytes; counts against max_bytes


class Problem(NamedTuple):
    """A part of the archive that was not (fully) scanned, and why, for the user."""

    path: tuple[str, ...]  # the member chain where it happened; () is the outer archive
    message: str


# What a user raises when a limit is reached (named in the messages).
BYTES_OPTION = "archive_max_bytes in .tokscan.yaml"
MEMBERS_OPTION = "archive_max_members in .tokscan.yaml"
DEPTH_OPTION = "archive_max_depth in .tokscan.yaml"

# xz declares its dictionary size; the decoder would allocate that much. Enough for every
# xz preset (-9 needs 65 MiB), and never more than the byte limit once that is larger.
_XZ_MIN_MEMORY = 80 << 20
# zipfile parses a whole central directory before the first member can be counted, at a
# few hundred bytes of memory per entry. A directory larger than this per member left in
# the budget is refused instead (real entries take 50 to 200 bytes).
_ZIP_DIRECTORY_PER_MEMBER = 1024


def walk(data: BinaryIO | bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[Leaf | Problem]:
    """The leaves of the archive in `data` (one `kind` recognised), in archive order, and
    the problems met on the way.

    Members that are archives themselves (by `kind`) are walked instead of yielded, up to
    `limits.max_depth` archives deep. A gzip, bzip2 or xz stream that holds a tar is that
    tar (no path segment of its own); one that holds anything else is one member (see
    `Leaf` for its name). Directories and other non-file members are skipped; zip symlinks
    are read as the small members they are (their target), never followed.

    Read each `Leaf.stream` (all of it or part) before asking for the next item: the walk
    goes on from where the stream stopped, and a stream must not be used after that.
    Prefer `read(n)`: `read()` holds the whole member in memory (at most `max_bytes`).

    A `Problem` means that part was not fully scanned. After a damaged member the walk goes
    on with the next one when the format allows it (zip), and stops that archive when it
    does not (a stream that ends early). A limit reached is reported once, last: the
    stream that ran over returns what fitted, and nothing more of the top-level archive is
    read. Bad input never raises.
    """
    budget = Budget(limits)
    try:
        yield from _top(data, budget)
    except Exception as exc:  # a safety net: every known failure is a Problem already
        yield Problem((), f"could not read the archive: {describe(exc)}")
    if budget.exceeded is not None:
        yield Problem(budget.where, budget.exceeded)


# --- the budget and the streams ---------------------------------------------------------


class Budget:
    """What is left of the limits for one top-level archive, and the limit that ran out."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes_left = limits.max_bytes
        self.members_left = limits.max_members
        self.exceeded: str | None = None  # set once: every walker stops when it is
        self.where: tuple[str, ...] = ()

    def member(self, path: tuple[str, ...]) -> bool:
        """Take one member from the budget; False (and the walk stops) when none is left."""
        if self.members_left <= 0:
            self.over_members(path)
            return False
        self.members_left -= 1
        return True

    def over_bytes(self, path: tuple[str, ...]) -> None:
        self._exceed(
            path,
            f"archive limit reached: more than {size_text(self.limits.max_bytes)} decompressed"
            f" (see {BYTES_OPTION})",
        )

    def over_members(self, path: tuple[str, ...]) -> None:
        self._exceed(
            path,
            f"archive limit reached: more than {self.limits.max_members:,} members"
            f" (see {MEMBERS_OPTION})",
        )

    def _exceed(self, path: tuple[str, ...], message: str) -> None:
        if self.exceeded is None:
            self.exceeded = message
            self.where = path


# --- the walkers ------------------------------------------------------------------------


def _top(data: BinaryIO | bytes, budget: Budget) -> Iterator[Leaf | Problem]:
    """The top-level archive: a zip in a seekable stream is read where it is; any other
    input is read as a stream."""
    fp: BinaryIO = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    if budget.limits.max_depth < 1:
        yield Problem((), _too_deep(budget.limits))
        return
    if _seekable(fp):
        start = fp.tell()
        head = fp.read(HEAD_SIZE)
        fp.seek(start)
        if kind(head) == "zip":
            yield from _zip(fp, (), 1, budget)
            return
    source = Source(fp, "archive", ())
    head = source.head(HEAD_SIZE)
    found = kind(head)
    if found is None:
        failure = source.take_failure()
        yield Problem((), failure or "not an archive: nothing recognised in its first bytes")
        return
    yield from _archive(found, source, (), 1, budget)


def _archive(
    found: str, source: Source, path: tuple[str, ...], depth: int, budget: Budget
) -> Iterator[Leaf | Problem]:
    """The archive of kind `found` in `source`, `depth` archives deep, at `path`."""
    if found == "zip":
        buffered = _in_memory(source, path, budget)
        if buffered is not None:
            yield from _zip(buffered, path, depth, budget)
        else:
            yield from _report(budget, path, source.take_failure())
    elif found == "tar":
        yield from _tar(source, path, depth, budget)
    else:
        yield from _compressed(found, source, path, depth, budget)


def _member(
    source: Source, path: tuple[str, ...], depth: int, budget: Budget
) -> Iterator[Leaf | Problem]:
    """One member: walked when it is an archive, else yielded as a leaf."""
    found = kind(source.head(HEAD_SIZE))
    if budget.exceeded is not None:
        return
    if found is None:
        yield Leaf(path, cast(BinaryIO, source))
        # The consumer is back: the member's read failed if it ended early.
        yield from _report(budget, path, source.take_failure())
    elif depth >= budget.limits.max_depth:
        yield from _report(budget, path, _too_deep(budget.limits))
    else:
        yield from _archive(found, source, path, depth + 1, budget)


def _zip(
    fp: BinaryIO, path: tuple[str, ...], depth: int, budget: Budget
) -> Iterator[Leaf | Problem]:
    """A zip's members in the order of its central directory. A damaged, encrypted or
    unsupported member is a Problem and the walk goes on with the next: each member is
    found through the directory, so one cannot hide another."""
    directory = zip_directory_size(fp)
    if directory is not None and directory > (budget.members_left + 1) * _ZIP_DIRECTORY_PER_MEMBER:
        budget.over_members(path)
        return
    try:
        archive = zipfile.ZipFile(fp)
    except Exception as exc:  # BadZipFile, and whatever odd headers make zipfile raise
        yield from _report(budget, path, f"corrupt zip archive: {describe(exc)}")
        return
    with archive:
        for info in archive.infolist():
            # zipfile decodes the name (UTF-8 or cp437) and cuts it at a NUL; the zip
            # format says "/", but zips made on Windows may use "\".
            name = _clean(info.filename.replace("\\", "/"))
            where = (*path, name)
            if budget.exceeded is not None or not budget.member(where):
                return
            if name.endswith("/") and info.file_size == 0:
                continue  # a directory (one claiming content is read, to be safe)
            if info.flag_bits & 0x1:
                yield from _report(budget, where, "encrypted zip member: not scanned")
                continue
            try:
                raw = ZipMember(archive, info)
            except NotImplementedError as exc:  # a compression method zipfile lacks
                message = f"unsupported zip member (method {info.compress_type}): {describe(exc)}"
                yield from _report(budget, where, message)
                continue
            except Exception as exc:
                yield from _report(budget, where, f"corrupt zip member: {describe(exc)}")
                continue
            try:
                yield from _member(Source(raw, "zip member", where, budget), where, depth, budget)
            finally:
                raw.close()


def _tar(
    source: Source, path: tuple[str, ...], depth: int, budget: Budget
) -> Iterator[Leaf | Problem]:
    """A tar's regular files, read as a stream (tarfile's "r|" mode: no seeking, so the
    same code reads a plain tar, a decompressed one and a member). After each member the
    stream is moved to the next header here, chunk by chunk, stopping where the data ends:
    tarfile would skip a member's unread data block by block up to the size its header
    claims, which for a truncated archive claiming a terabyte never ends."""
    try:
        archive = TarFile.open(fileobj=source, mode="r|", encoding="utf-8")
    except Exception as exc:
        message = source.take_failure()
        if message is None and ends_before_a_member(exc):
            return  # e.g. a pax global header, then the end: an empty archive, as tar reads it
        yield from _report(budget, path, message or f"corrupt tar archive: {describe(exc)}")
        return
    stream = archive.fileobj
    with archive:
        while budget.exceeded is None:
            try:
                info = archive.next()
            except Exception as exc:
                message = source.take_failure() or f"corrupt tar archive: {describe(exc)}"
                yield from _report(budget, path, message)
                return
            failure: str | None
            if info is None:
                # The end, or a header tarfile could not read (or data that stopped).
                failure = source.take_failure()
                if failure is None and archive.header_error is not None:
                    failure = f"corrupt tar archive: {archive.header_error}"
                yield from _report(budget, path, failure)
                return
            where = (*path, _clean(info.name))
            if not budget.member(where):
                return
            member: Source | None = None
            if info.isreg():
                # A sparse file's data is mapped by tarfile; its holes are produced as
                # zeros, so its bytes are counted like a decompressor's.
                sparse = info.issparse()
                raw = archive.extractfile(info) if sparse else TarData(stream, info.size)
                if raw is not None:
                    charge = budget if sparse else None
                    member = Source(raw, "tar member", where, charge, upstream=source)
                    yield from _member(member, where, depth, budget)
            if budget.exceeded is not None:
                return
            if not _skip_to(stream, archive.offset):
                failure = source.take_failure()
                if failure is None and not (member is not None and member.failed()):
                    failure = "truncated tar member: the archive ends inside it"
                yield from _report(budget, where, failure)
                return


def _compressed(
    found: str, source: Source, path: tuple[str, ...], depth: int, budget: Budget
) -> Iterator[Leaf | Problem]:
    """A gzip, bzip2 or xz stream: the tar it holds, or the one file it holds."""
    name = gzip_name(source) if found == "gzip" else ""
    raw: Readable
    if found == "gzip":
        raw = gzip.GzipFile(fileobj=source, mode="rb")  # concatenated members too
    elif found == "bzip2":
        raw = Unpacking(source, bz2.BZ2Decompressor)
    else:
        memory = max(budget.limits.max_bytes, _XZ_MIN_MEMORY)
        raw = Unpacking(source, lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memory), memory)
    output = Source(raw, f"{found} data", path, budget, upstream=source)
    try:
        head = output.head(HEAD_SIZE)
        if budget.exceeded is not None:
            return
        if not head:  # nothing came out: a damaged header, or an empty stream
            yield from _report(budget, path, output.take_failure())
        elif kind(head) == "tar":
            yield from _tar(output, path, depth, budget)
        elif budget.member(where := (*path, name)):
            yield from _member(output, where, depth, budget)
    finally:
        if isinstance(raw, gzip.GzipFile):
            raw.close()  # (the compressed stream under it stays open: it is not its own)


# --- helpers ----------------------------------------------------------------------------


def _report(budget: Budget, path: tuple[str, ...], message: str | None) -> Iterator[Problem]:
    """A Problem, unless there is no message or a limit was reached: once the budget is
    exceeded, streams end short on purpose and their complaints are not news."""
    if message is not None and budget.exceeded is None:
        yield Problem(path, message)


def _in_memory(source: Source, path: tuple[str, ...], budget: Budget) -> BinaryIO | None:
    """The rest of `source` as a seekable stream (an inner zip must seek), or None when it
    could not be read whole. Copying into memory counts against the byte limit, unless
    the bytes were counted already."""
    reader = source if source.charged else Source(source, "archive", path, budget, source)
    data = reader.read()
    if budget.exceeded is not None or reader.failed():
        return None
    return io.BytesIO(data)


def _skip_to(stream: TarStream, offset: int) -> bool:
    """Read the tar stream up to `offset` (the next header), or False if it ends first."""
    while (gap := offset - stream.tell()) > 0:
        if not stream.read(min(gap, CHUNK)):
            return False
    return True


def _clean(name: str) -> str:
    """A member name as the walk reports it: without leading `./` (what `tar -C dir .`
    writes), otherwise as stored, odd characters included."""
    cleaned = name
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    return cleaned or name


def _seekable(fp: BinaryIO) -> bool:
    try:
        return fp.seekable()
    except Exception:
        return False


def _too_deep(limits: Limits) -> str:
    return (
        f"too deeply nested (more than {limits.max_depth} levels): not scanned"
        f" (see {DEPTH_OPTION})"
    )




