"""The streams an archive walk reads through (decode/archive.py): a source that counts
what it hands out against the walk's budget, decompressors bounded by it, and views of zip
and tar members that read in chunks, so memory follows the limits and not what an archive
claims about itself."""

from __future__ import annotations

import copy
import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from typing_extensions import Self

    from tokscan.decode.archive import Budget

# Header errors after which tarfile stops as if the archive had ended properly: a zero
# block (the end-of-archive marker) or no data at all. Any other stops it silently too,
# but means the rest could not be read.
_TAR_CLEAN_ENDS = frozenset({"EOFHeaderError", "EmptyHeaderError"})
# A gzip header's FEXTRA field is at most 65535 bytes; its FNAME is looked for this far.
_GZIP_HEAD = 12 + 0xFFFF + 4096
# A gzip header's fixed part, with room for its FNAME: where `gzip_name` looks first.
NAME_HEAD = 512
# The most any one read asks of a decompressor or an archive module: large reads make
# them allocate the whole size at once (BufferedReader does), whatever is really there.
CHUNK = 1 << 20


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class TarStream(Readable, Protocol):
    def tell(self) -> int: ...


class Source(io.BufferedIOBase):
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
        raw: Readable,
        what: str,
        path: tuple[str, ...],
        budget: Budget | None = None,
        upstream: Source | None = None,
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
            chunk = self._pull(CHUNK if want < 0 else want)
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

    def _first_failed(self) -> Source | None:
        if self._upstream is not None:
            found = self._upstream._first_failed()
            if found is not None:
                return found
        return self if self._error is not None else None

    def _pull(self, size: int) -> bytes:
        """One read of the raw stream, of at most `size` and `CHUNK` bytes, charged."""
        if self._ended:
            return b""
        want = min(size, CHUNK)
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
        except Refused as exc:
            self._error = str(exc)
            return self._end()
        except Exception as exc:  # every decoder has its own errors; all end the stream
            truncated = isinstance(exc, EOFError)
            self._error = f"{'truncated' if truncated else 'corrupt'} {self._what}: {describe(exc)}"
            return self._end()

    def _end(self) -> bytes:
        self._ended = True
        return b""


class Refused(Exception):
    """Data that is not read on purpose; the message says why, for the user."""


class Decompressor(Protocol):
    """What bz2.BZ2Decompressor and lzma.LZMADecompressor have in common."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


class Unpacking:
    """bzip2 or xz decompression as a stream: output in reads of bounded size, streams
    concatenated one after the other (as `cat a.bz2 b.bz2` makes them), zero padding
    between them skipped, and anything else after the last one an error (bz2.BZ2File and
    lzma.LZMAFile drop it in silence). Written here because lzma.LZMAFile takes no memory
    limit for the xz decoder."""

    def __init__(
        self, source: Readable, new: Callable[[], Decompressor], memory: int | None = None
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
                    rest = self._source.read(CHUNK)
                    if not rest:
                        return b""  # the end, after whole streams
                self._decompressor = self._new()
                self._input = rest.lstrip(b"\0")
            if self._decompressor.needs_input and not self._input:
                self._input = self._source.read(CHUNK)
                if not self._input:
                    raise EOFError("the compressed data ends before its end-of-stream marker")
            try:
                out = self._decompressor.decompress(self._input, size)
            except lzma.LZMAError as exc:
                # CPython's words for LZMA_MEMLIMIT_ERROR: the header asked for more.
                if self._memory is not None and "memory usage limit" in str(exc).lower():
                    raise Refused(
                        f"xz data that needs more than {size_text(self._memory)} of memory to"
                        " decompress (its dictionary size): not scanned"
                    ) from exc
                raise
            self._input = b""  # consumed, or kept by the decompressor (needs_input False)
            if out:
                return out


class ZipMember:
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


class TarData:
    """The bytes of one tar member, read straight from the tar stream, so that what there is
    of a truncated member is still read (tarfile's own member files drop the last chunk
    when the data runs out) and an absurd size in the header costs nothing until read."""

    def __init__(self, stream: Readable, size: int) -> None:
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


class Header(tarfile.TarInfo):
    """A tar header that tells its tarfile why reading stopped: tarfile ends the archive
    in silence at a damaged or truncated header after the first, which would hide the
    members after it."""

    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile)
        except _HeaderError as exc:
            if isinstance(tarfile, TarFile) and type(exc).__name__ not in _TAR_CLEAN_ENDS:
                tarfile.header_error = describe(exc)
            raise


_HeaderError = tarfile.HeaderError  # (the parameter above shadows the module's name)


class TarFile(tarfile.TarFile):
    tarinfo = Header
    header_error: str | None = None


def ends_before_a_member(exc: Exception) -> bool:
    """tarfile refuses an archive whose end-of-archive blocks come before its first member
    (only a pax global header before them, say), which `tar` lists as empty."""
    return isinstance(exc, tarfile.ReadError) and str(exc) == "end of file header"


def size_text(count: int) -> str:
    """A byte count for a message: `256 MiB`, else `1,000 bytes`."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift} {unit}"
    return f"{count:,} bytes"


def describe(exc: BaseException) -> str:
    """An exception for a message: its text, else its name."""
    return str(exc) or type(exc).__name__


# --- what the headers say ------------------------------------------------------------


def gzip_name(source: Source) -> str:
    """The file name a gzip header records (FNAME), or "" when it has none. The field is
    Latin-1 by the standard, but gzip tools write the name's bytes as they are: UTF-8
    first."""
    head = source.head(NAME_HEAD)
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


def zip_directory_size(fp: BinaryIO) -> int | None:
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
            size = max(size, int(struct.unpack_from("<Q", tail, record + 40)[0]))
    return min(size, end)  # what zipfile can read of it
