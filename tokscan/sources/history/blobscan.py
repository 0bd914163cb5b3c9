"""Scanning the blobs that `git cat-file --batch` streams: the hot loop of a history audit.

The blobs are shared out between processes (`jobs`, one per core), each running its own
`git cat-file --batch` (so decompression, the costly part, runs on every core, each git
with its own delta-base cache) and scanning what it prints. A process keeps only what the
audit needs afterwards: the keys found in each blob, by blob id, and counts. Most blobs
hold no needle at all: the blobs that lie whole in the read buffer are searched for needles
together, in one call (`scan_objects`: a call costs microseconds, and a read holds tens of
blobs), where they lie; only a blob with a needle (or an archive) is copied out and given
to the detector.

`scan_all` reads every blob of the repository (or the `wanted` ones) in pack order, the
order git wrote them, where its delta-base cache works (hash order is several times
slower): it lists the objects (`git cat-file --batch-all-objects --unordered
--batch-check`, a fifth of the time the reading takes) and deals the blob ids into one
list file per process, in runs of `SEGMENT` bytes, so each process reads long stretches
of the pack. (Dealing while the processes already read saves nothing on two cores: the
tree-diff pass keeps the other core busy meanwhile.) `scan_listed` reads given blobs, a
narrow range's, in the order given.

A list file has fixed-length lines, so a process can start a new git just after an object
that git cannot read (a corrupt pack entry): one bad object does not stop the audit.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tokscan import git
from tokscan.detect import matcher
from tokscan.errors import TokscanError
from tokscan.git.objects import BatchStream, Header, grow_pipe, read_errors
from tokscan.model import Candidate, Origin, Outcome
from tokscan.sources.history import bloblist
from tokscan.sources.history.bloblist import Listing
from tokscan.sources.stream import (
    BINARY_SNIFF,
    Reading,
    is_archive_at,
    looks_binary,
    scan_stream,
)

Progress = Callable[[int, int, int, int], None]  # (objects, bytes) done, (objects, bytes) listed


@dataclass
class BlobHits:
    """What scanning a set of blobs gave."""

    hits: dict[bytes, list[Candidate]] = field(default_factory=dict)  # blob oid (hex) -> keys
    objects: int = 0
    size: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unreadable: dict[bytes, str] = field(default_factory=dict)  # oid -> why
    read: int = 0  # objects read, scanned or not
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


def scan_object(stream: BatchStream, header: Header, reading: Reading, result: BlobHits) -> None:
    """Scan the object whose header was just read, and record what it held."""
    oid, size = header.oid, header.size
    if stream.fits(size):
        start, end = stream.body(size)
        needle = matcher.holds_needle(memoryview(stream.buffer)[start:end])
        _scan_body(stream.buffer, oid, (start, end), needle, reading, result)
        return
    read = stream.reader(size)
    outcome = scan_stream(Origin(None), read, size, reading)
    while read(1 << 20):  # a binary blob is abandoned after its first bytes
        pass
    _record(oid, size, outcome, result)


def scan_objects(
    buffer: bytearray, objects: list[tuple[Header, int, int]], reading: Reading,
    result: BlobHits,
) -> int:  # fmt: skip
    """Scan objects that lie whole in `buffer` (`BatchStream.whole_objects`), searching
    them all for needles at once; returns how many were done. Raises TokscanError at an
    object that is not a blob (after counting the ones before it)."""
    flagged = set(matcher.regions_with_needles(buffer, [(s, e) for _, s, e in objects]))
    done = 0
    for index, (header, start, end) in enumerate(objects):
        if _is_blob(header, result):
            _scan_body(buffer, header.oid, (start, end), index in flagged, reading, result)
        done += 1
        result.read += 1
        result.read_size += max(header.size, 0)
    return done


def _is_blob(header: Header, result: BlobHits) -> bool:
    """Whether the object is a blob to scan; one git says is missing is recorded as
    unreadable; any other kind is an error (the list holds blobs only)."""
    if header.kind == b"missing":
        result.unreadable[header.oid] = "missing or corrupt"
        return False
    if header.kind != b"blob":
        raise TokscanError(f"{header.oid.decode()} is a {header.kind.decode()}")
    return True


def _scan_body(
    buffer: bytearray, oid: bytes, span: tuple[int, int], needle: bool, reading: Reading,
    result: BlobHits,
) -> None:  # fmt: skip
    """Scan a blob that lies whole in `buffer` at `span`; `needle`: whether it holds one.
    Most hold none and are not archives: they are only counted (binary ones as skipped),
    without copying more than their first bytes."""
    start, end = span
    if not needle and not is_archive_at(buffer, start, end):
        sniffed = min(end, start + BINARY_SNIFF)
        if (
            not reading.binary
            and buffer.find(b"\0", start, sniffed) >= 0
            and looks_binary(bytes(buffer[start:sniffed]))
        ):
            result.skipped["binary"] = result.skipped.get("binary", 0) + 1
        else:
            result.objects += 1
            result.size += end - start
        return
    outcome = scan_stream(Origin(None), _nothing, end - start, reading, bytes(buffer[start:end]))
    _record(oid, end - start, outcome, result)


def _record(oid: bytes, size: int, outcome: Outcome, result: BlobHits) -> None:
    if outcome.skipped is not None:
        result.skipped[outcome.skipped] = result.skipped.get(outcome.skipped, 0) + 1
        return
    result.objects += 1
    result.size += size
    if outcome.error is not None:  # an archive that could not be read whole
        result.unreadable[oid] = outcome.error
    if outcome.candidates:
        result.hits[oid] = outcome.candidates


def _nothing(size: int) -> bytes:
    return b""


# ---------------------------------------------------------------------------------------
# Sharing the blobs out


@dataclass(frozen=True)
class _Share:
    """One process's blobs: a list file of `<oid>\\n` lines, all `line_length` long."""

    path: Path
    line_length: int


def scan_all(
    root: Path,
    directory: Path,
    hex_length: int,
    jobs: int,
    reading: Reading,
    progress: Progress | None = None,
    wanted: Container[bytes] | None = None,
) -> tuple[BlobHits, Listing]:
    """Scan every blob in the repository (or the `wanted` ones), in pack order, on `jobs`
    processes. Returns what was found and what was listed."""
    dealt = deal(root, directory, hex_length, jobs, wanted)
    return scan_dealt(root, dealt, reading, progress), dealt.listing


@dataclass(frozen=True)
class Dealt:
    """The blobs listed and dealt out (`deal`), ready for `scan_dealt`."""

    shares: list[_Share]
    listing: Listing


def deal(
    root: Path, directory: Path, hex_length: int, jobs: int, wanted: Container[bytes] | None
) -> Dealt:
    """List every blob (or the `wanted` ones) in pack order, dealt into `jobs` shares."""
    shares = [_Share(directory / f"blobs-{n}", hex_length + 1) for n in range(max(jobs, 1))]
    listing = bloblist.list_blobs(root, [share.path for share in shares], wanted)
    return Dealt(shares, listing)


def scan_dealt(
    root: Path,
    dealt: Dealt,
    reading: Reading,
    progress: Progress | None = None,
    idle: Callable[[], bool] | None = None,
) -> BlobHits:
    """Scan the blobs `deal` listed. With several shares, `idle` is called whenever this
    process would wait for theirs: it does some other work, and says whether it did any."""
    jobs = len(dealt.shares)
    counters = multiprocessing.get_context("fork").RawArray("q", 2 * jobs + 2)
    counters[2 * jobs], counters[2 * jobs + 1] = dealt.listing.objects, dealt.listing.size
    return _scan(root, dealt.shares, reading, progress, counters, idle)


def scan_listed(
    root: Path,
    directory: Path,
    oids: Iterable[bytes],
    hex_length: int,
    jobs: int,
    reading: Reading,
    progress: Progress | None = None,
) -> BlobHits:
    """Scan the given blobs, in the order given (a narrow range's), on up to `jobs`
    processes (one per 500 blobs at most: starting a process costs more than that)."""
    listed = list(oids)
    parts = max(1, min(jobs, len(listed) // 500))
    shares = [_Share(directory / f"blobs-{n}", hex_length + 1) for n in range(parts)]
    for n, share in enumerate(shares):
        with share.path.open("wb") as handle:
            for oid in listed[n * len(listed) // parts : (n + 1) * len(listed) // parts]:
                handle.write(oid + b"\n")
    counters = multiprocessing.get_context("fork").RawArray("q", 2 * parts + 2)
    counters[2 * parts] = len(listed)
    return _scan(root, shares, reading, progress, counters)


def _receive(receive: Connection, process: Any) -> Any:
    """The one message a child process sends; an error if it sent an error or died."""
    while not receive.poll(0.05):
        if not process.is_alive() and not receive.poll(0):
            raise TokscanError("a scanning process stopped unexpectedly")
    try:
        outcome = receive.recv()
    except EOFError:
        raise TokscanError("a scanning process stopped unexpectedly") from None
    receive.close()
    if isinstance(outcome, str):
        raise TokscanError(outcome)
    return outcome


def _scan(
    root: Path,
    shares: Sequence[_Share],
    reading: Reading,
    progress: Progress | None,
    counters: Any,
    idle: Callable[[], bool] | None = None,
) -> BlobHits:
    """Scan the shares, one alone in this process, several each in a process of its own;
    returns the union."""
    jobs = len(shares)

    def report() -> None:
        if progress is not None:
            progress(
                sum(counters[0 : 2 * jobs : 2]),
                sum(counters[1 : 2 * jobs : 2]),
                counters[2 * jobs],
                counters[2 * jobs + 1],
            )

    if jobs == 1:

        def tick(objects: int, size: int) -> None:
            counters[0], counters[1] = objects, size
            report()

        result = scan_share(root, shares[0], reading, tick)
    else:
        result = _scan_apart(root, shares, reading, counters, report, idle)
    if progress is not None:  # the final count: exactly what the summary will say
        progress(result.objects, result.size, counters[2 * jobs], counters[2 * jobs + 1])
    return result


def _scan_apart(
    root: Path,
    shares: Sequence[_Share],
    reading: Reading,
    counters: Any,
    report: Callable[[], None],
    idle: Callable[[], bool] | None = None,
) -> BlobHits:
    """Scan each share in a process of its own, while this one reports progress (and
    does the `idle` work)."""
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Connection]] = []
    result = BlobHits()
    try:
        for index, share in enumerate(shares):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_child, args=(send, root, share, reading, counters, index), daemon=True
            )
            child.start()
            send.close()
            children.append((child, receive))
        for child, receive in children:
            worked = idle is not None and idle()
            while not receive.poll(0 if worked else 0.1):
                report()
                if not child.is_alive():
                    break
                worked = idle is not None and idle()
            result.merge(_receive(receive, child))
            child.join()
        return result
    finally:
        for child, _ in children:
            if child.is_alive():
                child.kill()
                child.join()


# How much CPU the scanning processes (and the gits they start) yield to the tree-diff
# pass beside them: 4 of them against its 1, at an even share it ends a second or two after
# them on two cores (git/git), alone on one core while the other waits. Niceness 5 gives it
# three times a scanner's share, and it ends first.
_SCANNER_NICENESS = 5


def _child(
    send: Connection,
    root: Path,
    share: _Share,
    reading: Reading,
    counters: Any,
    index: int,
) -> None:
    def tick(objects: int, size: int) -> None:
        counters[2 * index], counters[2 * index + 1] = objects, size

    with contextlib.suppress(OSError, AttributeError):  # not on every system
        os.nice(_SCANNER_NICENESS)
    try:
        result: BlobHits | str = scan_share(root, share, reading, tick)
    except TokscanError as error:
        result = error.message
    except KeyboardInterrupt:
        return
    except Exception as error:  # reported by the parent as a failed scan, never a hang
        result = f"scanning failed: {type(error).__name__}: {error}"
    send.send(result)
    send.close()


def scan_share(
    root: Path, share: _Share, reading: Reading, tick: Callable[[int, int], None] | None = None
) -> BlobHits:
    """Scan one process's blobs with `git cat-file --batch`, starting a new git just past
    any object that git cannot read. `tick(objects, bytes)` reports progress now and then:
    objects and bytes scanned, counted as the summary counts them.
    """
    result = BlobHits()
    count = share.path.stat().st_size // share.line_length
    done = 0  # lines of the list consumed so far
    buffered = True  # git writes in large blocks; unbuffered only to find a bad object
    while done < count:
        with share.path.open("rb") as listing, tempfile.TemporaryFile() as errors:
            listing.seek(done * share.line_length)
            extra = ["--buffer"] if buffered else []
            process = git.popen(root, *git.LEAN, "cat-file", "--batch", *extra,
                                stdin=listing, stderr=errors)  # fmt: skip
            before = result.read
            try:
                assert process.stdout is not None
                grow_pipe(process.stdout.fileno())
                stream = BatchStream(process.stdout.fileno())
                if not _scan_until_end(stream, reading, result, tick):
                    process.kill()
                process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            done += result.read - before
            if done >= count:
                break
            # git stopped at an object. Unbuffered, the object is exactly the one after
            # the last it printed; buffered, its last objects may never have been printed.
            if buffered:
                buffered = False
                continue
            listing.seek(done * share.line_length)
            result.unreadable[listing.read(share.line_length).strip()] = read_errors(errors)
            done += 1
            buffered = True
    return result


def _scan_until_end(
    stream: BatchStream, reading: Reading, result: BlobHits, tick: Callable[[int, int], None] | None
) -> bool:
    """Scan objects until the stream ends, counting each in `result.read` once done.
    False when git stopped in the middle of an object."""
    count = 0
    last = time.monotonic()
    while True:
        try:
            objects = stream.whole_objects()
            if objects:
                count += scan_objects(stream.buffer, objects, reading, result)
            elif not stream.more():  # the end, or one object larger than what is left
                header = stream.header()
                if header is None:
                    return True
                if _is_blob(header, result):
                    scan_object(stream, header, reading, result)
                count += 1
                result.read += 1
                result.read_size += max(header.size, 0)
        except TokscanError:
            return False
        if tick is not None and count >= 64:
            count = 0
            now = time.monotonic()
            if now - last > 0.05:
                last = now
                tick(result.objects, result.size)
