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
import copy
import gzip
import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol, cast

if TYPE_CHECKING:
    from typing_extensions import Self


class Limits(NamedTuple):
    """How much of one top-level archive `walk` reads."""

    max_bytes: int = 256 << 20  # decompressed bytes, all members and nesting levels together
    max_members: int = 10_000  # members, all nesting levels together
    max_depth: int = 3  # archives in the chain: a.zip!b.zip!c.zip!file is depth 3


DEFAULT_LIMITS = Limits()


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

# How many first bytes `kind` needs: tar's magic is at 257, its header checksum covers 512.
HEAD_SIZE = 512

# The most any one read asks of a decompressor or an archive module: large reads make
# them allocate the whole size at once (BufferedReader does), whatever is really there.
_CHUNK = 1 << 20
# A gzip header's FEXTRA field is at most 65535 bytes; its FNAME is looked for this far.
_GZIP_HEAD = 12 + 0xFFFF + 4096
# xz declares its dictionary size; the decoder would allocate that much. Enough for every
# xz preset (-9 needs 65 MiB), and never more than the byte limit once that is larger.
_XZ_MIN_MEMORY = 80 << 20
# zipfile parses a whole central directory before the first member can be counted, at a
# few hundred bytes of memory per entry. A directory larger than this per member left in
# the budget is refused instead (real entries take 50 to 200 bytes).
_ZIP_DIRECTORY_PER_MEMBER = 1024
# Header errors after which tarfile stops as if the archive had ended properly: a zero
# block (the end-of-archive marker) or no data at all. Any other stops it silently too,
# but means the rest could not be read.
_TAR_CLEAN_ENDS = frozenset({"EOFHeaderError", "EmptyHeaderError"})


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
    if _is_tar_header(head):
        return "tar"
    return None


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
    budget = _Budget(limits)
    try:
        yield from _top(data, budget)
    except Exception as exc:  # a safety net: every known failure is a Problem already
        yield Problem((), f"could not read the archive: {_text(exc)}")
    if budget.exceeded is not None:
        yield Problem(budget.where, budget.exceeded)


# --- the budget and the streams ---------------------------------------------------------


class _Budget:
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
            f"archive limit reached: more than {_size(self.limits.max_bytes)} decompressed"
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


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class _TarStream(_Readable, Protocol):
    def tell(self) -> int: ...


class _Source(io.BufferedIOBase):
    """A stream of member or archive bytes as the walk reads them: in bounded chunks,
    counted against the budget when `budget` is given, and never raising.

    A read that fails (corrupt or truncated data) ends the stream and keeps the reason
    for the walker to report; a read past the byte limit returns what fits, then ends the
    stream and marks the budget exceeded. `head` looks at the first bytes without
    consuming them. `upstream` is the source this one's bytes come from, so a failure is
    reported where it started, once, rather than again as each later layer's own.
    """

    def __init__(
        self,
        raw: _Readable,
        what: str,
        path: tuple[str, ...],
        budget: _Budget | None = None,
        upstream: _Source | None = None,
    ) -> None:
        super().__init__()
        self._raw = raw
        self._what = what  # for messages: "zip member", "gzip data", ...
        self._path = path
        self._budget = budget
        self._upstream = upstream
        self._ahead = b""  # read by `head`, not served yet
        self._ended = False
        self._error: str | None = None
        self._reported = False

    @property
    def charged(self) -> bool:
        """Whether its bytes were counted against the budget (here or upstream)."""
        if self._budget is not None:
            return True
        return self._upstream is not None and self._upstream.charged

    def readable(self) -> bool:
        return True

    def head(self, size: int) -> bytes:
        """The first `size` bytes still to be read (fewer at the end), left in place."""
        while len(self._ahead) < size:
            chunk = self._pull(size - len(self._ahead))
            if not chunk:
                break
            self._ahead += chunk
        return self._ahead[:size]

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to `size` bytes (fewer only at the end); all that is left when negative."""
        want = -1 if size is None or size < 0 else size
        parts = []
        if self._ahead:
            taken = self._ahead if want < 0 else self._ahead[:want]
            self._ahead = self._ahead[len(taken) :]
            parts.append(taken)
            want = want if want < 0 else want - len(taken)
        while want != 0:
            chunk = self._pull(_CHUNK if want < 0 else want)
            if not chunk:
                break
            parts.append(chunk)
            want = want if want < 0 else want - len(chunk)
        return b"".join(parts)

    def read1(self, size: int = -1, /) -> bytes:
        return self.read(size)

    def failed(self) -> bool:
        """Whether this stream, or one upstream of it, ended early."""
        return self._first_failed() is not None

    def take_failure(self) -> str | None:
        """Why this stream (or the first one upstream of it that failed) ended early, if it
        did and that was not reported yet. Later failures are consequences: not reported."""
        failed = self._first_failed()
        if failed is None or failed._reported:
            return None
        failed._reported = True
        return failed._error

    def _first_failed(self) -> _Source | None:
        if self._upstream is not None:
            found = self._upstream._first_failed()
            if found is not None:
                return found
        return self if self._error is not None else None

    def _pull(self, size: int) -> bytes:
        """One read of the raw stream, of at most `size` and `_CHUNK` bytes, charged."""
        if self._ended:
            return b""
        want = min(size, _CHUNK)
        budget = self._budget
        if budget is not None:
            if budget.exceeded is not None:
                return self._end()
            if budget.bytes_left <= 0:
                # At the limit: one byte more tells a stream that ends exactly there
                # (fine) from one that does not (over the limit).
                if self._raw_read(1):
                    budget.over_bytes(self._path)
                return self._end()
            want = min(want, budget.bytes_left)
        data = self._raw_read(want)
        if not data:
            return self._end()
        if budget is not None:
            budget.bytes_left -= len(data)
        return data

    def _raw_read(self, size: int) -> bytes:
        try:
            return self._raw.read(size)
        except _Refused as exc:
            self._error = str(exc)
            return self._end()
        except Exception as exc:  # every decoder has its own errors; all end the stream
            truncated = isinstance(exc, EOFError)
            self._error = f"{'truncated' if truncated else 'corrupt'} {self._what}: {_text(exc)}"
            return self._end()

    def _end(self) -> bytes:
        self._ended = True
        return b""


class _Refused(Exception):
    """Data that is not read on purpose; the message says why, for the user."""


class _Decompressor(Protocol):
    """What bz2.BZ2Decompressor and lzma.LZMADecompressor have in common."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


class _Unpacking:
    """bzip2 or xz decompression as a stream: output in reads of bounded size, streams
    concatenated one after the other (as `cat a.bz2 b.bz2` makes them), zero padding
    between them skipped, and anything else after the last one an error (bz2.BZ2File and
    lzma.LZMAFile drop it in silence). Written here because lzma.LZMAFile takes no memory
    limit for the xz decoder."""

    def __init__(
        self, source: _Readable, new: Callable[[], _Decompressor], memory: int | None = None
    ) -> None:
        self._source = source
        self._new = new
        self._memory = memory  # the xz decoder's memory limit, for its message
        self._decompressor = new()
        self._input = b""

    def read(self, size: int, /) -> bytes:
        while True:
            if self._decompressor.eof:
                rest = self._decompressor.unused_data
                while not rest.strip(b"\0"):
                    rest = self._source.read(_CHUNK)
                    if not rest:
                        return b""  # the end, after whole streams
                self._decompressor = self._new()
                self._input = rest.lstrip(b"\0")
            if self._decompressor.needs_input and not self._input:
                self._input = self._source.read(_CHUNK)
                if not self._input:
                    raise EOFError("the compressed data ends before its end-of-stream marker")
            try:
                out = self._decompressor.decompress(self._input, size)
            except lzma.LZMAError as exc:
                # CPython's words for LZMA_MEMLIMIT_ERROR: the header asked for more.
                if self._memory is not None and "memory usage limit" in str(exc).lower():
                    raise _Refused(
                        f"xz data that needs more than {_size(self._memory)} of memory to"
                        " decompress (its dictionary size): not scanned"
                    ) from exc
                raise
            self._input = b""  # consumed, or kept by the decompressor (needs_input False)
            if out:
                return out


class _ZipMember:
    """A zip member's bytes, with its CRC-32 checked once they have all been read.

    zipfile checks the CRC itself, in the read that reaches the end, and on a mismatch
    raises instead of returning that read's bytes: a damaged small member would show
    nothing at all. So the member is opened without its CRC (zipfile then checks none),
    and the check is made here when the end is reached, after every byte was handed out.
    """

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        unchecked = copy.copy(info)
        del unchecked.CRC
        self._file = archive.open(unchecked)
        self._name = info.filename
        self._expected = info.CRC
        self._crc = 0

    def read(self, size: int, /) -> bytes:
        data = self._file.read(size)
        if data:
            self._crc = zlib.crc32(data, self._crc)
        elif self._crc != self._expected:
            raise zipfile.BadZipFile(f"bad CRC-32 for {self._name!r}")
        return data

    def close(self) -> None:
        self._file.close()


class _TarData:
    """The bytes of one tar member, read straight from the tar stream, so that what there is
    of a truncated member is still read (tarfile's own member files drop the last chunk
    when the data runs out) and an absurd size in the header costs nothing until read."""

    def __init__(self, stream: _Readable, size: int) -> None:
        self._stream = stream
        self._left = size

    def read(self, size: int, /) -> bytes:
        if self._left <= 0:
            return b""
        data = self._stream.read(min(size, self._left))
        if not data:
            raise EOFError(f"the archive ends {self._left:,} bytes before this member does")
        self._left -= len(data)
        return data


class _Header(tarfile.TarInfo):
    """A tar header that tells its tarfile why reading stopped: tarfile ends the archive
    in silence at a damaged or truncated header after the first, which would hide the
    members after it."""

    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile)
        except _HeaderError as exc:
            if isinstance(tarfile, _TarFile) and type(exc).__name__ not in _TAR_CLEAN_ENDS:
                tarfile.header_error = _text(exc)
            raise


_HeaderError = tarfile.HeaderError  # (the parameter above shadows the module's name)


class _TarFile(tarfile.TarFile):
    tarinfo = _Header
    header_error: str | None = None


# --- the walkers ------------------------------------------------------------------------


def _top(data: BinaryIO | bytes, budget: _Budget) -> Iterator[Leaf | Problem]:
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
    source = _Source(fp, "archive", ())
    head = source.head(HEAD_SIZE)
    found = kind(head)
    if found is None:
        failure = source.take_failure()
        yield Problem((), failure or "not an archive: nothing recognised in its first bytes")
        return
    yield from _archive(found, source, (), 1, budget)


def _archive(
    found: str, source: _Source, path: tuple[str, ...], depth: int, budget: _Budget
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
    source: _Source, path: tuple[str, ...], depth: int, budget: _Budget
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
    fp: BinaryIO, path: tuple[str, ...], depth: int, budget: _Budget
) -> Iterator[Leaf | Problem]:
    """A zip's members in the order of its central directory. A damaged, encrypted or
    unsupported member is a Problem and the walk goes on with the next: each member is
    found through the directory, so one cannot hide another."""
    directory = _zip_directory_size(fp)
    if directory is not None and directory > (budget.members_left + 1) * _ZIP_DIRECTORY_PER_MEMBER:
        budget.over_members(path)
        return
    try:
        archive = zipfile.ZipFile(fp)
    except Exception as exc:  # BadZipFile, and whatever odd headers make zipfile raise
        yield from _report(budget, path, f"corrupt zip archive: {_text(exc)}")
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
                raw = _ZipMember(archive, info)
            except NotImplementedError as exc:  # a compression method zipfile lacks
                message = f"unsupported zip member (method {info.compress_type}): {_text(exc)}"
                yield from _report(budget, where, message)
                continue
            except Exception as exc:
                yield from _report(budget, where, f"corrupt zip member: {_text(exc)}")
                continue
            try:
                yield from _member(_Source(raw, "zip member", where, budget), where, depth, budget)
            finally:
                raw.close()


def _tar(
    source: _Source, path: tuple[str, ...], depth: int, budget: _Budget
) -> Iterator[Leaf | Problem]:
    """A tar's regular files, read as a stream (tarfile's "r|" mode: no seeking, so the
    same code reads a plain tar, a decompressed one and a member). After each member the
    stream is moved to the next header here, chunk by chunk, stopping where the data ends:
    tarfile would skip a member's unread data block by block up to the size its header
    claims, which for a truncated archive claiming a terabyte never ends."""
    try:
        archive = _TarFile.open(fileobj=source, mode="r|", encoding="utf-8")
    except Exception as exc:
        message = source.take_failure() or f"corrupt tar archive: {_text(exc)}"
        yield from _report(budget, path, message)
        return
    stream = archive.fileobj
    with archive:
        while budget.exceeded is None:
            try:
                info = archive.next()
            except Exception as exc:
                message = source.take_failure() or f"corrupt tar archive: {_text(exc)}"
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
            member: _Source | None = None
            if info.isreg():
                # A sparse file's data is mapped by tarfile; its holes are produced as
                # zeros, so its bytes are counted like a decompressor's.
                sparse = info.issparse()
                raw = archive.extractfile(info) if sparse else _TarData(stream, info.size)
                if raw is not None:
                    charge = budget if sparse else None
                    member = _Source(raw, "tar member", where, charge, upstream=source)
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
    found: str, source: _Source, path: tuple[str, ...], depth: int, budget: _Budget
) -> Iterator[Leaf | Problem]:
    """A gzip, bzip2 or xz stream: the tar it holds, or the one file it holds."""
    name = _gzip_name(source) if found == "gzip" else ""
    raw: _Readable
    if found == "gzip":
        raw = gzip.GzipFile(fileobj=source, mode="rb")  # concatenated members too
    elif found == "bzip2":
        raw = _Unpacking(source, bz2.BZ2Decompressor)
    else:
        memory = max(budget.limits.max_bytes, _XZ_MIN_MEMORY)
        raw = _Unpacking(source, lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memory), memory)
    output = _Source(raw, f"{found} data", path, budget, upstream=source)
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


def _report(budget: _Budget, path: tuple[str, ...], message: str | None) -> Iterator[Problem]:
    """A Problem, unless there is no message or a limit was reached: once the budget is
    exceeded, streams end short on purpose and their complaints are not news."""
    if message is not None and budget.exceeded is None:
        yield Problem(path, message)


def _in_memory(source: _Source, path: tuple[str, ...], budget: _Budget) -> BinaryIO | None:
    """The rest of `source` as a seekable stream (an inner zip must seek), or None when it
    could not be read whole. Copying into memory counts against the byte limit, unless
    the bytes were counted already."""
    reader = source if source.charged else _Source(source, "archive", path, budget, source)
    data = reader.read()
    if budget.exceeded is not None or reader.failed():
        return None
    return io.BytesIO(data)


def _skip_to(stream: _TarStream, offset: int) -> bool:
    """Read the tar stream up to `offset` (the next header), or False if it ends first."""
    while (gap := offset - stream.tell()) > 0:
        if not stream.read(min(gap, _CHUNK)):
            return False
    return True


def _gzip_name(source: _Source) -> str:
    """The file name a gzip header records (FNAME), or "" when it has none. The field is
    Latin-1 by the standard, but gzip tools write the name's bytes as they are: UTF-8
    first."""
    head = source.head(HEAD_SIZE)
    if len(head) < 10 or not head[3] & 0x08:  # FLG.FNAME
        return ""
    head = source.head(_GZIP_HEAD)
    start = 10
    if head[3] & 0x04:  # FLG.FEXTRA: two bytes of length, then the field
        start = 12 + int.from_bytes(head[10:12], "little")
    end = head.find(b"\0", start)
    if end < 0:
        return ""  # longer than we look: the caller's name will do
    raw = head[start:end]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _zip_directory_size(fp: BinaryIO) -> int | None:
    """The size of a zip's central directory, from its end record (ZIP64 when there is
    one), or None when no end record is found (zipfile then says what is wrong)."""
    try:
        end = fp.seek(0, io.SEEK_END)
        fp.seek(max(0, end - (22 + 0xFFFF + 20 + 56)))
        tail = fp.read()
    except Exception:
        return None
    at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    size: int = struct.unpack_from("<L", tail, at + 12)[0]
    locator = at - 20
    if locator >= 56 and tail[locator : locator + 4] == b"PK\x06\x07":
        record = locator - 56
        if tail[record : record + 4] == b"PK\x06\x06":
            size = max(size, struct.unpack_from("<Q", tail, record + 40)[0])
    return min(size, end)  # what zipfile can read of it


def _is_tar_header(head: bytes) -> bool:
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


def _size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift} {unit}"
    return f"{count:,} bytes"


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
