"""Compiled Hyperscan databases, kept across runs: compiling the matcher's patterns costs
15-20 ms at every start of `tokscan scan`, loading the compiled database well under one.

A database lives in `$XDG_CACHE_HOME/tokscan/` (else `~/.cache/tokscan/`) with everything it
was compiled from (the patterns, the mode, the `hyperscan` package's version and the
machine), and is loaded only for exactly that, so another version or another pattern set
never uses it. The file holds a checksum of the database too: a file that is truncated,
corrupt or foreign is recompiled, as is one Hyperscan refuses or that fails a trial scan
(a database compiled for CPU features this machine lacks). The cache is only an
optimisation: a folder that cannot be created or written costs the compile, never an error.
Files are written whole (a temporary file renamed into place) and only their owner can read
or write them; a file that is not the user's own, or that others can write, is never
loaded. `TOKSCAN_MATCHER_CACHE=off` turns the cache off.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from tokscan.outfile import is_own_private

ENV_VAR = "TOKSCAN_MATCHER_CACHE"
_MAGIC = b"tokscan-hs-1\n"
_MAX_SIZE = 16 << 20  # a bigger file is not one of ours


def directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    root = base if os.path.isabs(base) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "tokscan")


def enabled() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() not in ("0", "off", "false", "no")


def identity(hyperscan: Any, patterns: Sequence[bytes], mode: int) -> bytes:
    """Everything a database is compiled from, as bytes: a cached database is used only
    when the identity stored with it is this one, byte for byte."""
    version = getattr(hyperscan, "__version__", "?")
    parts = [version.encode(), _machine().encode(), str(mode).encode(), *patterns]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def path_for(made_from: bytes) -> str:
    """The cache file for a database of this identity (a checksum names it; the identity
    inside it decides)."""
    return os.path.join(directory(), f"hyperscan-{zlib.crc32(made_from):08x}.db")


def database(
    hyperscan: Any,
    patterns: Sequence[bytes],
    mode: int,
    compile_database: Callable[[], Any],
    works: Callable[[Any], bool],
) -> Any:
    """The database for `patterns`: loaded from the cache when a good copy is there, else
    `compile_database()`, stored for the next run. `works(database)` is the trial a loaded
    database must pass."""
    if not enabled():
        return compile_database()
    made_from = identity(hyperscan, patterns, mode)
    path = path_for(made_from)
    loaded = _load(hyperscan, path, made_from, mode)
    if loaded is not None:
        with contextlib.suppress(Exception):
            if works(loaded):
                return loaded
    compiled = compile_database()
    with contextlib.suppress(Exception):  # Hyperscan could refuse to serialise, too
        _store(path, made_from, hyperscan.dumpb(compiled))
    return compiled


def _machine() -> str:
    uname = getattr(os, "uname", None)  # not on Windows, where Hyperscan has no wheel
    return f"{sys.platform} {uname().machine if uname else '?'}"


def _load(hyperscan: Any, path: str, made_from: bytes, mode: int) -> Any:
    # No link followed, and no wait at a FIFO put in the file's place.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not is_own_private(os.fstat(fd)):
            return None
        data = os.read(fd, _MAX_SIZE + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    header = _MAGIC + len(made_from).to_bytes(4, "big") + made_from
    if len(data) > _MAX_SIZE or not data.startswith(header):
        return None
    checksum, payload = data[len(header) : len(header) + 4], data[len(header) + 4 :]
    if not payload or zlib.crc32(payload).to_bytes(4, "big") != checksum:
        return None
    try:
        return hyperscan.loadb(payload, mode)
    except Exception:  # another Hyperscan's format, or refused for this machine
        return None


def _store(path: str, made_from: bytes, payload: bytes) -> None:
    """Write the cache file whole, owner-only; any failure leaves no file behind."""
    import tempfile  # only when writing: it costs milliseconds to import

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".hyperscan-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp: mode 0600 already
            handle.write(_MAGIC + len(made_from).to_bytes(4, "big") + made_from)
            handle.write(zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
