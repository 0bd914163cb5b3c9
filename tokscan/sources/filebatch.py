"""Many small files searched at once: read one after another into one buffer, and the
buffer searched for needles in one call (`matcher.regions_with_needles`).

Most files of a work tree are small and hold nothing key-shaped. Searched one by one,
each costs a call into the matcher that costs more than its bytes (a few microseconds
each), and a fresh bytes object for each costs page faults; read into one buffer that is
reused, they cost a read each and a share of one search. Only a file whose region holds a
needle, or that is an archive, is scanned in full (sources/stream.py), from its copy in
the buffer; a file too large for the buffer is scanned on its own as before
(sources/files.py), streamed in chunks.

What is counted is what the per-file scan counts: a clean file is a file scanned with the
bytes read, a binary one is skipped when binary content is not read, and everything else
(links, special files, errors, findings) is the per-file scan's own outcome.
"""

from __future__ import annotations

import os
import stat
from _thread import get_ident
from collections.abc import Sequence

from tokscan.detect import matcher
from tokscan.model import Origin, Outcome
from tokscan.sources.files import OPEN_FLAGS, Target, describe, open_target, scan_open
from tokscan.sources.stream import BINARY_SNIFF as SNIFF
from tokscan.sources.stream import Reading, is_archive_at, looks_binary, scan_stream

# Reused, so a few pages only ever fault in. Files this large or larger are read alone.
# On git/git (4,842 files, 48 MB; a batch of 64 files is ~600 KB) 128 KiB to 4 MiB measured
# alike within noise; 1 MiB keeps the 500 KB-1 MB translation files in the batch.
BUFFER_SIZE = 1 << 20


_OPEN_FLAGS = OPEN_FLAGS
_HAS_READV = hasattr(os, "readv")  # not on Windows: there every file is scanned alone
_FORMAT, _REGULAR = stat.S_IFMT(0o177777), stat.S_IFREG


class Batch:
    """What `scan_batch` found: counts for clean files, outcomes for the rest."""

    __slots__ = ("files", "outcomes", "size")

    def __init__(self) -> None:
        self.files = 0
        self.size = 0
        self.outcomes: list[Outcome] = []

    def record(self, read: int, outcome: Outcome | None) -> None:
        if outcome is None:
            self.files += 1
            self.size += read
        else:
            self.outcomes.append(outcome)

    def merge(self, other: Batch) -> None:
        self.files += other.files
        self.size += other.size
        self.outcomes.extend(other.outcomes)


class _Buffer:
    """The reused buffer of this process, and the files whose bytes it holds."""

    def __init__(self, size: int) -> None:
        self.data = bytearray(size)
        self.view = memoryview(self.data)
        self.used = 0
        self.targets: list[Target] = []
        self.bounds: list[tuple[int, int]] = []


_buffers: dict[tuple[int, int, int], _Buffer] = {}


def _buffer(size: int) -> _Buffer:
    """One buffer per process, thread and size, kept: a forked worker makes its own
    (writing to the parent's would copy it page by page)."""
    key = (os.getpid(), get_ident(), size)
    found = _buffers.get(key)
    if found is None:
        _buffers.clear()  # the parent's, inherited by a fork: not ours to reuse
        found = _buffers[key] = _Buffer(size)
    return found


def scan_batch(
    targets: Sequence[Target], reading: Reading, buffer_size: int = BUFFER_SIZE
) -> Batch:
    """Scan `targets`: the small ones through the shared buffer, the large ones alone."""
    batch = Batch()
    buffer = _buffer(buffer_size)
    for target in targets:
        opened = _open(target)
        if isinstance(opened, Outcome):
            batch.outcomes.append(opened)
            continue
        fd, size = opened
        try:
            if size >= buffer_size or not _HAS_READV:  # one byte more than the size is read
                read, outcome = scan_open(target, fd, size, reading)
                batch.record(read, outcome)
                continue
            if buffer.used + size + 1 > buffer_size:
                _search(buffer, reading, batch)
            start = buffer.used
            got = os.readv(fd, [buffer.view[start : start + size + 1]])
            if got > size:  # it grew since fstat: scanned alone, to its end
                head = bytes(buffer.view[start : start + got])
                read, outcome = scan_open(target, fd, size, reading, head)
                batch.record(read, outcome)
                continue
            buffer.targets.append(target)
            buffer.bounds.append((start, start + got))
            buffer.used = start + got
        except OSError as error:
            batch.outcomes.append(Outcome(Origin(target.path), error=describe(error)))
        finally:
            os.close(fd)
    _search(buffer, reading, batch)
    return batch


def _open(target: Target) -> tuple[int, int] | Outcome:
    """files.open_target, with the common case (a regular file) first and inline: the
    system calls of opening are most of what a clean file costs."""
    try:
        fd = os.open(target.real, _OPEN_FLAGS)
    except OSError:
        return open_target(target)  # says why, as the per-file scan does
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return open_target(target)
    if st.st_mode & _FORMAT == _REGULAR:
        return fd, st.st_size
    os.close(fd)
    return open_target(target)


def _search(buffer: _Buffer, reading: Reading, batch: Batch) -> None:
    """Search the files held in the buffer, count the clean ones, scan the others in
    full, and empty the buffer."""
    view, bounds = buffer.view, buffer.bounds
    flagged = set(matcher.regions_with_needles(view, bounds)) if bounds else set()
    for index, target in enumerate(buffer.targets):
        start, end = bounds[index]
        if index in flagged or is_archive_at(buffer.data, start, end):
            data = bytes(view[start:end])
            outcome = scan_stream(Origin(target.path), _ended, end - start, reading, data)
            batch.outcomes.append(outcome)
        elif not reading.binary and looks_binary(bytes(view[start : min(end, start + SNIFF)])):
            batch.outcomes.append(Outcome(Origin(target.path), skipped="binary"))
        else:
            batch.files += 1
            batch.size += end - start
    buffer.used = 0
    buffer.targets.clear()
    buffer.bounds.clear()


def _ended(_size: int) -> bytes:
    """The read function of a file read to its end already."""
    return b""
