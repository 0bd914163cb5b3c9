"""Scanning the blobs that `git cat-file --batch` streams: the hot loop of a history audit.

A scan is given lists of blob ids, one list per process (so both cores decompress and scan
at once, each git with its own delta-base cache). Each process runs
`git cat-file --batch` on its list and keeps only what the audit needs afterwards: the keys
found in each blob, by blob id, and counts. Most blobs hold no `tm-` at all and cost two
`bytearray.find` calls where they lie in the read buffer; only a blob with a candidate is
copied out and given to the detector.

A list is a file of fixed-length lines (`<oid>\\n`), so when git stops on a corrupt object
the scan records it and starts a new `git cat-file` just after it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tokscan import detect, git
from tokscan.errors import TokscanError
from tokscan.gitobjects import BatchStream, Header, grow_pipe, read_errors
from tokscan.model import Candidate, Chunk, Origin
from tokscan.sources.files import BINARY_SNIFF, scan_stream

# What a process sends back about a key: (key, line, column, pragma). Plain tuples pickle
# cheaply and the same on every Python version.
Hit = tuple[str, int, int, bool]


@dataclass
class BlobHits:
    """What scanning a set of blobs gave."""

    hits: dict[bytes, list[Hit]] = field(default_factory=dict)  # blob oid (hex) -> keys
    objects: int = 0
    size: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unreadable: dict[bytes, str] = field(default_factory=dict)  # oid -> why
    read: int = 0  # objects read, scanned or not (for progress)
    read_size: int = 0

    def merge(self, other: BlobHits) -> None:
        self.hits.update(other.hits)
        self.objects += other.objects
        self.size += other.size
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count
        self.unreadable.update(other.unreadable)
        self.read += other.read
        self.read_size += other.read_size


def candidates(hits: list[Hit]) -> list[Candidate]:
    return [Candidate(*hit) for hit in hits]


def scan_object(stream: BatchStream, header: Header, binary: bool, result: BlobHits) -> None:
    """Scan the object whose header was just read, and record what it held."""
    oid, size = header.oid, header.size
    if stream.fits(size):
        start, end = stream.body(size)
        buffer = stream.buffer
        if not binary and buffer.find(b"\0", start, min(end, start + BINARY_SNIFF)) >= 0:
            result.skipped["binary"] = result.skipped.get("binary", 0) + 1
            return
        result.objects += 1
        result.size += size
        if buffer.find(b"tm-", start, end) < 0:
            return
        chunk = Chunk(bytes(buffer[start:end]), Origin(None, blob=oid.decode("ascii")))
        found = [(c.key, c.line, c.column, c.pragma) for c in detect.find(chunk)]
    else:
        read = stream.reader(size)
        outcome = scan_stream(Origin(None, blob=oid.decode("ascii")), read, size, binary)
        while read(1 << 20):  # a binary blob is abandoned after its first bytes
            pass
        if outcome.skipped is not None:
            result.skipped[outcome.skipped] = result.skipped.get(outcome.skipped, 0) + 1
            return
        result.objects += 1
        result.size += size
        found = [(c.key, c.line, c.column, c.pragma) for c in outcome.candidates]
    if found:
        result.hits[oid] = found


@dataclass(frozen=True)
class BlobList:
    """A file of blob ids, one `<oid>\\n` per line, all the same length."""

    path: Path
    count: int
    line_length: int


def scan_list(
    root: Path,
    blobs: BlobList,
    binary: bool,
    tick: Callable[[int, int], None] | None = None,
) -> BlobHits:
    """Scan every blob in the list with `git cat-file --batch`, restarting past objects git
    cannot read. `tick(objects, bytes)` is called now and then with the totals so far."""
    result = BlobHits()
    done = 0  # lines of the list consumed so far
    buffered = True
    while done < blobs.count:
        with blobs.path.open("rb") as listing, tempfile.TemporaryFile() as errors:
            listing.seek(done * blobs.line_length)
            # --buffer: git writes in large blocks. Unbuffered after a failure, so that the
            # object git stopped at is exactly the one after the last it gave.
            extra = ["--buffer"] if buffered else []
            process = git.popen(root, "cat-file", "--batch", *extra, stdin=listing, stderr=errors)
            try:
                assert process.stdout is not None
                grow_pipe(process.stdout.fileno())
                stream = BatchStream(process.stdout.fileno())
                before = result.read
                # git stopping in the middle of an object is handled below
                with contextlib.suppress(TokscanError):
                    _scan_until_end(stream, binary, result, tick)
                done += result.read - before
            finally:
                with contextlib.suppress(OSError):
                    process.kill()
                process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if done < blobs.count:
                if buffered:
                    buffered = False
                    continue
                listing.seek(done * blobs.line_length)
                oid = listing.read(blobs.line_length).strip()
                result.unreadable[oid] = read_errors(errors)
                done += 1
                buffered = True
    return result


def _scan_until_end(
    stream: BatchStream, binary: bool, result: BlobHits, tick: Callable[[int, int], None] | None
) -> None:
    """Scan objects until the stream ends, counting each in `result.read` once done."""
    count = 0
    last = time.monotonic()
    while True:
        header = stream.header()
        if header is None:
            return
        if header.kind == b"missing":
            result.unreadable[header.oid] = "missing or corrupt"
        elif header.kind != b"blob":
            raise TokscanError(
                f"object {header.oid.decode()} is a {header.kind.decode()}, not a blob"
            )
        else:
            scan_object(stream, header, binary, result)
        count += 1
        result.read += 1
        result.read_size += max(header.size, 0)
        if tick is not None and count & 63 == 0:
            now = time.monotonic()
            if now - last > 0.05:
                last = now
                tick(result.read, result.read_size)


def scan_lists(
    root: Path,
    lists: Sequence[BlobList],
    binary: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> BlobHits:
    """Scan every list, each in its own process (the first in this one); returns the union.

    `on_progress(objects, bytes)` is called from this process with the totals of all of
    them, a few times a second.
    """
    lists = [blobs for blobs in lists if blobs.count]
    if not lists:
        return BlobHits()
    context = multiprocessing.get_context("fork")
    counters = context.RawArray("q", 2 * len(lists))
    children: list[tuple[Any, Connection]] = []
    for index, blobs in enumerate(lists[1:], 1):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_child, args=(send, root, blobs, binary, counters, index), daemon=True
        )
        process.start()
        send.close()
        children.append((process, receive))

    def tick(objects: int, size: int) -> None:
        counters[0], counters[1] = objects, size
        if on_progress is not None:
            on_progress(sum(counters[0::2]), sum(counters[1::2]))

    try:
        result = scan_list(root, lists[0], binary, tick)
        tick(result.read, result.read_size)
        for process, receive in children:
            while not receive.poll(0.1):
                tick(result.read, result.read_size)
                if not process.is_alive() and not receive.poll(0):
                    raise TokscanError("a scanning process stopped unexpectedly")
            outcome = receive.recv()
            if isinstance(outcome, str):
                raise TokscanError(outcome)
            result.merge(outcome)
            receive.close()
            process.join()
        return result
    finally:
        for process, _ in children:
            if process.is_alive():
                process.kill()
                process.join()


def _child(
    send: Connection, root: Path, blobs: BlobList, binary: bool, counters: Any, index: int
) -> None:
    def tick(objects: int, size: int) -> None:
        counters[2 * index], counters[2 * index + 1] = objects, size

    try:
        result: BlobHits | str = scan_list(root, blobs, binary, tick)
    except TokscanError as error:
        result = error.message
    except KeyboardInterrupt:
        return
    except Exception as error:  # reported by the parent as a failed scan, never a hang
        result = f"scanning failed: {type(error).__name__}: {error}"
    send.send(result)
    send.close()
