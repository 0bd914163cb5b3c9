"""tokscan/sources/filebatch.py: many small files read into one buffer and searched at
once must find, count and skip exactly what scanning each file on its own does.

Real files in temporary folders; the per-file scan (files.scan) is the reference. Small
buffers put file boundaries, and keys, at every place a buffer can cut."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tokscan import parallel
from tokscan.sources import filebatch, files
from tokscan.sources.stream import CHUNK_SIZE, DEFAULT_READING, Reading


def per_file(targets: list[files.Target], reading: Reading = DEFAULT_READING) -> dict:
    """What scanning each file alone gives: the reference."""
    counted, size, outcomes = 0, 0, {}
    for target in targets:
        outcome = files.scan(target, reading)
        if not outcome.candidates and outcome.skipped is None and outcome.error is None:
            counted, size = counted + 1, size + outcome.size
        else:
            outcomes[target.path] = outcome
    return {"files": counted, "size": size, "outcomes": outcomes}


def batched(
    targets: list[files.Target], reading: Reading = DEFAULT_READING, buffer_size: int = 4096
) -> dict:
    batch = filebatch.scan_batch(targets, reading, buffer_size)
    outcomes = {}
    counted, size = batch.files, batch.size
    for outcome in batch.outcomes:
        if not outcome.candidates and outcome.skipped is None and outcome.error is None:
            counted, size = counted + 1, size + outcome.size  # scanned in full, nothing found
        else:
            outcomes[outcome.origin.path] = outcome
    return {"files": counted, "size": size, "outcomes": outcomes}


def write_all(folder: Path, contents: dict[str, bytes]) -> list[files.Target]:
    targets = []
    for name, data in contents.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        targets.append(files.Target(name, str(path)))
    return targets


def test_keys_at_every_edge_of_files_and_buffers(tmp_path, keys):
    """Files of every size around a small buffer, keys at the first and last byte, and the
    same findings, counts and bytes as the per-file scan, whatever the buffer's size."""
    contents = {}
    for i in range(120):
        filler = b"x = 1  # filler line\n" * (i % 13) + b"y" * (i * 37 % 300)
        key = keys().encode()
        if i % 4 == 0:
            data = key + b"\n" + filler  # a key at the file's first byte
        elif i % 4 == 1:
            data = filler + b"\n" + key  # at its last byte, no newline after it
        elif i % 4 == 2:
            data = filler  # nothing
        else:
            data = b""  # empty
        contents[f"f{i:03d}.txt"] = data
    targets = write_all(tmp_path, contents)
    reference = per_file(targets)
    assert len(reference["outcomes"]) == 60
    for size in (512, 1000, 4096, 1 << 16):
        assert batched(targets, buffer_size=size) == reference


def test_a_file_larger_than_the_buffer_is_scanned_alone(tmp_path, keys):
    key = keys()
    big = b"a = 2\n" * 3000 + key.encode() + b"\n"
    targets = write_all(tmp_path, {"small.py": b"x = 1\n", "big.py": big, "after.py": b""})
    result = batched(targets, buffer_size=4096)
    assert result == per_file(targets)
    assert [c.key for c in result["outcomes"]["big.py"].candidates] == [key]
    assert result["files"] == 2 and result["size"] == 6


def test_a_file_past_the_chunk_size_is_streamed(tmp_path, keys):
    key = keys()
    data = bytearray(b"z" * 80 + b"\n") * (CHUNK_SIZE // 81 + 10)
    data[-100:-100] = f"k = '{key}'\n".encode()
    targets = write_all(tmp_path, {"huge.txt": bytes(data), "tiny.txt": b"t\n"})
    result = batched(targets)
    assert result == per_file(targets)
    assert result["outcomes"]["huge.txt"].size == len(data)


def test_a_file_that_grows_after_fstat_is_read_to_its_end(keys):
    """/proc/PID/cmdline is a regular file whose size says 0: the read finds more than
    fstat promised, and the file is scanned to its end instead of cut at its size."""
    key = keys()
    waiting = "import sys; print('ready', flush=True); sys.stdin.read()"
    process = subprocess.Popen(
        [sys.executable, "-c", waiting, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        real = f"/proc/{process.pid}/cmdline"
        if not os.path.exists(real) or os.stat(real).st_size != 0:
            pytest.skip("no /proc with sizes of 0")
        target = files.Target("cmdline", real)
        batch = filebatch.scan_batch([target, target], DEFAULT_READING, 4096)
        assert [len(o.candidates) for o in batch.outcomes] == [1, 1]
        assert batch.outcomes[0].candidates[0].key == key
        with open(real, "rb") as handle:
            assert batch.outcomes[0].size == len(handle.read())
    finally:
        process.communicate(b"")


def test_archives_binaries_links_and_special_files_as_the_per_file_scan(tmp_path, keys):
    key = keys()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("inner/.env", f"TOKMODEL_API_KEY={key}\n")
    targets = write_all(tmp_path, {
        "a.zip": packed.getvalue(),
        "b.gz": gzip.compress(f"key: {key}\n".encode()),
        "c.bin": b"\0\1\2" * 100,
        "d.txt": b"plain text\n",
        "e.bin": b"\0" * 50 + key.encode(),
    })  # fmt: skip
    os.symlink("d.txt", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    targets += [files.Target(name, str(tmp_path / name)) for name in ("link", "fifo", "folder")]
    targets.append(files.Target("gone", str(tmp_path / "gone")))
    for reading in (DEFAULT_READING, Reading(binary=False)):
        result = batched(targets, reading)
        assert result == per_file(targets, reading)
        found = result["outcomes"]
        assert [c.inner_path for c in found["a.zip"].candidates] == [("inner/.env",)]
        assert len(found["b.gz"].candidates) == 1
        assert found["link"].skipped == "symlink"
        assert found["fifo"].skipped == "special file"
        assert found["folder"].skipped == "submodule"
        assert found["gone"].skipped == "missing"
        if reading.binary:
            assert len(found["e.bin"].candidates) == 1 and "c.bin" not in found
        else:
            assert found["c.bin"].skipped == found["e.bin"].skipped == "binary"


def test_an_unreadable_file_is_an_error(tmp_path):
    """A directory where a file was listed cannot be read as one: a read error, reported."""
    folder = tmp_path / "x"
    folder.mkdir()
    targets = write_all(tmp_path, {"ok.txt": b"fine\n"})
    too_long = files.Target("long", str(tmp_path / ("n" * 300)))
    result = batched([*targets, too_long])
    assert result == per_file([*targets, too_long])
    assert result["outcomes"]["long"].error == "File name too long"


def test_workers_sharing_the_queue_find_what_one_process_finds(tmp_path, keys):
    """Batches taken from the shared queue by two processes: the same outcomes, counts
    and bytes as one process scanning them in order."""
    contents = {}
    for i in range(400):
        body = b"value = %d\n" % i * (i % 17)
        contents[f"d{i % 7}/m{i}.py"] = body + (keys().encode() if i % 9 == 0 else b"")
    targets = write_all(tmp_path, contents)
    chunks = [targets[i : i + 16] for i in range(0, len(targets), 16)]

    def scan(chunk: list[files.Target]) -> filebatch.Batch:
        return filebatch.scan_batch(chunk, DEFAULT_READING, 2048)

    def summary(batches: list[filebatch.Batch]) -> tuple[int, int, list[tuple[str, str]]]:
        total = filebatch.Batch()
        for batch in batches:
            total.merge(batch)
        found = sorted(
            (o.origin.path or "", c.key) for o in total.outcomes for c in o.candidates
        )
        return total.files, total.size, found

    one = summary(list(parallel.map_shared(scan, chunks, 1)))
    two = summary(list(parallel.map_shared(scan, chunks, 2)))
    assert one == two
    assert len(one[2]) == 45


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_a_queue_larger_than_a_small_pipe_still_gives_every_result(monkeypatch):
    """Linux gives a user past `pipe-user-pages-soft` pipes of one page: a queue of 2,000
    numbers (8,000 bytes) does not fit one, and writing it must neither block for ever
    nor lose items (the work is then shared out the other way)."""
    import fcntl

    real_pipe = os.pipe

    def small_pipe() -> tuple[int, int]:
        read_end, write_end = real_pipe()
        fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: one page
        return read_end, write_end

    def hung(*_: object) -> None:
        raise TimeoutError("writing the queue blocked")

    monkeypatch.setattr(parallel.os, "pipe", small_pipe)
    signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)  # a blocked write fails the test instead of hanging it
    try:
        results = sorted(parallel.map_shared(lambda n: n * n, range(2000), 2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert results == [n * n for n in range(2000)]


def test_threads_scanning_at_once_find_what_one_thread_finds(tmp_path, keys):
    """Each thread has a buffer of its own, and Hyperscan a scratch per thread: batches
    scanned by four threads at once give the outcomes one thread gives."""
    import threading

    contents = {f"t{i}.txt": b"filler\n" * (i % 23) + (keys().encode() if i % 5 == 0 else b"")
                for i in range(300)}  # fmt: skip
    targets = write_all(tmp_path, contents)
    chunks = [targets[i : i + 10] for i in range(0, len(targets), 10)]
    alone = [batched(chunk, buffer_size=1024) for chunk in chunks]
    together: list[dict | None] = [None] * len(chunks)

    def work(first: int) -> None:
        for index in range(first, len(chunks), 4):
            together[index] = batched(chunks[index], buffer_size=1024)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone
    assert sum(len(result["outcomes"]) for result in alone) == 60
