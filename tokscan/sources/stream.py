"""Streams of bytes (files, blobs, stdin): cut into overlapping chunks and scanned, in
bounded memory.

A chunk is cut after its last newline: no key spans a newline, so every line, with its
`tokscan:allow` pragma, lies whole in one chunk and the next chunk starts a fresh line.
Only a line longer than a chunk is cut inside: that chunk ends `OVERLAP` bytes early (a key
starting there could run past the end, and the byte after a key decides whether it is one),
and the next chunk starts `LOOKBEHIND` bytes before that point (the bytes before a key
decide whether it is one). Chunks carry the line and column of their first byte, so
locations are the same as for a file read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tokscan import detect, keyformat
from tokscan.decode import kinds, text
from tokscan.detect import matcher
from tokscan.model import Candidate, Chunk, Origin, Outcome
from tokscan.record import Frozen, set_field

CHUNK_SIZE = 4 << 20
BINARY_SNIFF = 8000  # git's rule: a NUL in the first 8000 bytes makes a file binary
OVERLAP = keyformat.KEY_LENGTH + 1
_MIN_CHUNK = 4 * (OVERLAP + keyformat.LOOKBEHIND)


class Chunker:
    """Collects fed bytes and hands out chunks of about `chunk_size` bytes."""

    def __init__(
        self,
        origin: Origin,
        line: int = 1,
        column: int = 1,
        chunk_size: int = CHUNK_SIZE,
        binary: bool = False,
    ) -> None:
        self.origin = origin
        self.chunk_size = max(chunk_size, _MIN_CHUNK)
        self.binary = binary
        self._line, self._column = line, column
        self._offset = 0  # the byte offset of the first byte kept
        self._parts: list[bytes] = []
        self._size = 0
        self._report_from = 0  # bytes at the front that an earlier chunk already covered

    def feed(self, data: bytes) -> Iterator[Chunk]:
        self._parts.append(data)
        self._size += len(data)
        while self._size >= self.chunk_size + OVERLAP:
            yield self._cut()

    def finish(self) -> Iterator[Chunk]:
        data = self._join()
        if len(data) > self._report_from:
            yield Chunk(
                data, self.origin, self._line, self._column, self._report_from, None,
                self._offset, self.binary,
            )  # fmt: skip
        self._parts, self._size = [], 0

    def _join(self) -> bytes:
        data = b"".join(self._parts) if len(self._parts) != 1 else self._parts[0]
        self._parts = [data]
        return data

    def _cut(self) -> Chunk:
        data = self._join()
        cut = data.rfind(b"\n", self._report_from) + 1
        if cut > self._report_from:
            keep = cut
        else:  # a line longer than a chunk
            cut = len(data) - OVERLAP
            keep = _context_start(data, cut - keyformat.LOOKBEHIND)
        chunk = Chunk(
            data, self.origin, self._line, self._column, self._report_from, cut,
            self._offset, self.binary,
        )  # fmt: skip
        self._line, self._column = advance(data[:keep], self._line, self._column)
        self._offset += keep
        self._report_from = cut - keep
        self._parts = [data[keep:]]
        self._size = len(data) - keep
        return chunk


def stream_chunks(
    read: Callable[[int], bytes],
    origin: Origin,
    head: bytes = b"",
    chunk_size: int = CHUNK_SIZE,
    binary: bool = False,
) -> Iterator[Chunk]:
    """Chunks of everything `read` returns, after `head` (bytes already read)."""
    chunker = Chunker(origin, chunk_size=chunk_size, binary=binary)
    if head:
        yield from chunker.feed(head)
    while block := read(chunker.chunk_size):
        yield from chunker.feed(block)
    yield from chunker.finish()


def advance(consumed: bytes, line: int, column: int) -> tuple[int, int]:
    """The line and column just after `consumed`, which started at (`line`, `column`)."""
    newlines = consumed.count(b"\n")
    if newlines:
        tail = consumed[consumed.rfind(b"\n") + 1 :]
        return line + newlines, 1 + _chars(tail)
    return line, column + _chars(consumed)


def _chars(data: bytes) -> int:
    return len(data.decode("utf-8", "surrogateescape"))


def _context_start(data: bytes, pos: int) -> int:
    """Where to start the next chunk, at or before `pos`: not inside a UTF-8 sequence, and
    leaving behind an even number of a run of backslashes, because the run's parity decides
    whether a letter before a key ends an escape (`\\\\ntm-` is not an escape; `\\\\\\ntm-` is)."""
    pos = _char_start(data, pos)
    run = 0
    while pos - run > 0 and data[pos - run - 1] == 0x5C:
        run += 1
    return pos - run % 2


def _char_start(data: bytes, pos: int) -> int:
    """`pos`, moved back so that it does not split a UTF-8 sequence."""
    for _ in range(3):
        if pos <= 0 or data[pos] & 0xC0 != 0x80:
            break
        pos -= 1
    return max(pos, 0)


class Reading(Frozen):
    """How to read streams: what the configuration and command line say."""

    __slots__ = ("binary", "limits")
    binary: bool  # search binary content as bytes (--no-binary: skip it)
    limits: kinds.Limits  # how much of an archive to walk

    def __init__(self, binary: bool = True, limits: kinds.Limits = kinds.DEFAULT_LIMITS) -> None:
        set_field(self, "binary", binary)
        set_field(self, "limits", limits)


DEFAULT_READING = Reading()


def worth_reading(data: bytes) -> bool:
    """Whether `data` (a whole small file) needs a closer look: it holds the key prefix or
    an encoded form's needle, or it is an archive. Most files do not, and cost only this."""
    return matcher.holds_needle(data) or kinds.kind(data) is not None


def is_archive(head: bytes) -> bool:
    return kinds.kind(head) is not None


def is_archive_at(buffer: bytearray, start: int, end: int) -> bool:
    """`is_archive` for the file or blob at `buffer[start:end]`, where many are read into
    one buffer: most cannot start an archive, and say so without a copy of their head."""
    return kinds.may_be_archive(memoryview(buffer)[start:end]) and is_archive(
        bytes(buffer[start : min(end, start + kinds.HEAD_SIZE)])
    )


def looks_binary(head: bytes) -> bool:
    """A NUL in the first 8000 bytes (git's rule), in data that is not UTF-16 or UTF-32
    text and not an archive."""
    sniffed = head[:BINARY_SNIFF]
    return b"\0" in sniffed and text.sniff(sniffed) is None and kinds.kind(head) is None


def scan_stream(
    origin: Origin,
    read: Callable[[int], bytes],
    size_hint: int,
    reading: Reading = DEFAULT_READING,
    head: bytes = b"",
    archives: bool = True,
) -> Outcome:
    """Read a whole stream (a file, a blob, stdin, an archive member) after `head`, in
    bounded memory, and find the keys in it, in whatever form it holds them: an archive is
    walked member by member, UTF-16 or UTF-32 text is read as text, and other binary content
    (a NUL in the first 8000 bytes) is searched as bytes, unless `reading.binary` is off."""
    binary = reading.binary
    # Read one byte more than the expected size, so a small file needs a single read.
    want = max(min(size_hint + 1, CHUNK_SIZE), _SNIFF)
    if len(head) < want:
        head += _read_full(read, want - len(head))
    if archives and kinds.kind(head) is not None:
        return _scan_archive(origin, read, head, reading)
    found = text.sniff(head[:BINARY_SNIFF])
    if found is not None:
        return _scan_text(origin, read, head, *found)
    is_binary = b"\0" in head[:BINARY_SNIFF]
    if is_binary and not binary:
        return Outcome(origin, size=0, skipped="binary")
    outcome = Outcome(origin)
    if len(head) < min(size_hint + 1, CHUNK_SIZE):
        outcome.size = len(head)
        outcome.candidates = list(detect.find(Chunk(head, origin, binary=is_binary)))
        return outcome
    counted = _Counted(read)
    for chunk in stream_chunks(counted.read, origin, head, binary=is_binary):
        outcome.candidates.extend(detect.find(chunk))
    outcome.size = counted.total + len(head)
    return outcome


# At least this much is read first: archives are told by their first 512 bytes (tar's
# magic is at 257).
_SNIFF = 512


class _Counted:
    """A read function that counts what it returned."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self.total = 0

    def read(self, size: int) -> bytes:
        block = _read_full(self._read, size)
        self.total += len(block)
        return block


def _scan_text(
    origin: Origin, read: Callable[[int], bytes], head: bytes, encoding: str, bom: int
) -> Outcome:
    """UTF-16 or UTF-32 text, read as the text it is: lines and columns count in it."""
    counted = _Counted(read)
    chunker = Chunker(origin)
    outcome = Outcome(origin)
    for piece in text.transcode(counted.read, head, encoding, bom, CHUNK_SIZE):
        for chunk in chunker.feed(piece):
            outcome.candidates.extend(_encoded(detect.find(chunk), encoding))
    for chunk in chunker.finish():
        outcome.candidates.extend(_encoded(detect.find(chunk), encoding))
    outcome.size = counted.total + len(head)
    return outcome


def _encoded(candidates: Iterable[Candidate], how: str) -> Iterator[Candidate]:
    for candidate in candidates:
        yield candidate.but(encoding=(how, *candidate.encoding))


def _scan_archive(
    origin: Origin, read: Callable[[int], bytes], head: bytes, reading: Reading
) -> Outcome:
    """Every member of an archive, each scanned as a stream of its own; a member's keys
    carry its path inside the archive. A part that could not be read, or a limit reached,
    makes the outcome an error: the scan is incomplete."""
    from tokscan.decode import archive  # its readers and decompressors: only for archives

    limits = reading.limits
    counted = _Counted(read)
    data = head + _read_to_limit(counted.read, limits.max_bytes)
    outcome = Outcome(origin, size=len(head) + counted.total)
    problems = []
    if counted.read(1):
        problems.append(
            f"archive larger than {limits.max_bytes >> 20} MiB: not scanned past that "
            f"(see {archive.BYTES_OPTION})"
        )
    for item in archive.walk(data, limits):
        if isinstance(item, archive.Problem):
            where = _where(item.path)
            problems.append(f"{where}: {item.message}" if where else item.message)
            continue
        names = tuple(item.path)  # "" for a compressed file's unnamed member
        member = scan_stream(origin, item.stream.read, CHUNK_SIZE, reading, archives=False)
        if member.error is not None:
            problems.append(f"{_where(names)}: {member.error}")
        for candidate in member.candidates:
            outcome.candidates.append(
                candidate.but(inner_path=(*names, *candidate.inner_path))
            )
    if problems:  # member names come from the archive: they could hold a key
        outcome.error = keyformat.redact_all("; ".join(problems))
    return outcome


def _where(names: Iterable[str]) -> str:
    return "!".join(name or "(unnamed)" for name in names)


def _read_to_limit(read: Callable[[int], bytes], limit: int) -> bytes:
    parts = []
    got = 0
    while got < limit and (block := read(min(CHUNK_SIZE, limit - got))):
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def _read_full(read: Callable[[int], bytes], size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the input (pipes return short reads)."""
    block = read(size)
    if len(block) >= size or not block:
        return block
    parts = [block]
    got = len(block)
    while got < size:
        more = read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)
