"""tokscan/detect/dbcache.py: the compiled Hyperscan database kept across runs. Each test
starts a new Python (the matcher is loaded once a process) with its own cache folder, and
checks what the search finds and what is left in the folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hyperscan")

# The engine's answers on a few inputs, printed by a fresh process.
PROBE = """
from tokscan.detect import matcher
engine = matcher.engine()
samples = [b"x tm-abc", b"nothing", b"ZEcwd", b"kR\\nzB0", b"d G0 t", b"t\\0m\\0-"]
print(engine.name, [engine.holds_needle(s) for s in samples])
"""
EXPECTED = "hyperscan [True, False, True, True, True, True]"


def probe(cache: Path, **env: str) -> str:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache), "TOKSCAN_MATCHER": "hyperscan",
                   **env}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def cached(cache: Path) -> list[Path]:
    return sorted((cache / "tokscan").glob("hyperscan-*.db"))


def test_the_first_run_stores_the_database_and_the_next_loads_it(tmp_path):
    cache = tmp_path / "cache"
    assert probe(cache) == EXPECTED
    [stored] = cached(cache)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE((cache / "tokscan").stat().st_mode) == 0o700
    written = stored.read_bytes()
    os.utime(stored, (1, 1))
    assert probe(cache) == EXPECTED
    assert stored.stat().st_mtime == 1  # loaded, not written again
    assert stored.read_bytes() == written
    assert not list((cache / "tokscan").glob(".hyperscan-*"))  # no temporary file left


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty"])
def test_a_damaged_cache_file_is_compiled_again_and_replaced(tmp_path, damage):
    cache = tmp_path / "cache"
    probe(cache)
    [stored] = cached(cache)
    good = stored.read_bytes()
    bad = {
        "truncated": good[: len(good) // 2],
        "flipped": good[:-100] + bytes([good[-100] ^ 0xFF]) + good[-99:],
        "garbage": os.urandom(len(good)),
        "empty": b"",
    }[damage]
    stored.write_bytes(bad)
    assert probe(cache) == EXPECTED
    assert stored.read_bytes() == good


def test_a_database_stored_for_other_patterns_is_not_used(tmp_path, monkeypatch):
    """A file in the place of one identity's that holds another's is compiled again,
    never loaded: a checksum names the file, the identity inside decides."""
    import hyperscan

    from tokscan.detect import dbcache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mode = hyperscan.HS_MODE_BLOCK
    compiled: list[bytes] = []

    def compile_for(pattern: bytes):
        def compile_database():
            compiled.append(pattern)
            database = hyperscan.Database(mode=mode)
            database.compile(expressions=[pattern], ids=[0], elements=1)
            return database

        return compile_database

    def works(_database) -> bool:
        return True

    dbcache.database(hyperscan, [b"tm-"], mode, compile_for(b"tm-"), works)
    first = Path(dbcache.path_for(dbcache.identity(hyperscan, [b"tm-"], mode)))
    other = Path(dbcache.path_for(dbcache.identity(hyperscan, [b"tq-"], mode)))
    assert first.exists() and first != other
    other.write_bytes(first.read_bytes())  # another identity's database, under this name
    loaded = dbcache.database(hyperscan, [b"tq-"], mode, compile_for(b"tq-"), works)
    assert compiled == [b"tm-", b"tq-"]
    found: list[int] = []
    loaded.scan(b"a tq- b", match_event_handler=lambda *match: found.append(match[0]))
    assert found == [0]
    dbcache.database(hyperscan, [b"tm-"], mode, compile_for(b"tm-"), works)
    assert compiled == [b"tm-", b"tq-"]  # its own file: loaded


def test_an_unwritable_cache_costs_the_compile_not_the_scan(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert probe(blocked) == EXPECTED
    assert blocked.read_text() == "a file where the cache folder would be"


def test_the_cache_can_be_turned_off(tmp_path):
    cache = tmp_path / "cache"
    assert probe(cache, TOKSCAN_MATCHER_CACHE="off") == EXPECTED
    assert not cache.exists()


def test_a_link_in_place_of_the_cache_file_is_not_followed(tmp_path):
    cache = tmp_path / "cache"
    probe(cache)
    [stored] = cached(cache)
    elsewhere = tmp_path / "elsewhere.db"
    stored.rename(elsewhere)
    stored.symlink_to(elsewhere)
    assert probe(cache) == EXPECTED
    assert not stored.is_symlink()  # replaced by a file of its own


def _hostile(stored: Path) -> None:
    """Keep the file's header (the identity it claims) but put in a database that finds the
    plain prefix only: it passes the trial scan, and misses every encoded key."""
    import zlib

    import hyperscan

    good = stored.read_bytes()
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[b"tm-"], ids=[0], elements=1)
    payload = hyperscan.dumpb(database)
    header = good[: good.index(b"\n") + 1]
    header += good[len(header) : len(header) + 4]
    header += good[len(header) : len(header) + int.from_bytes(header[-4:], "big")]
    stored.write_bytes(header + zlib.crc32(payload).to_bytes(4, "big") + payload)


def test_a_cache_file_others_can_write_is_not_loaded(tmp_path):
    """A database is code for the search: a file that another user wrote, or could have
    written, would decide what tokscan finds. Only the user's own, unshared file loads."""
    cache = tmp_path / "cache"
    probe(cache)
    [stored] = cached(cache)
    _hostile(stored)
    stored.chmod(0o666)
    assert probe(cache) == EXPECTED  # compiled again, not the planted database
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600  # and replaced by a file of its own


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_cache_file_of_another_user_is_not_loaded(tmp_path):
    cache = tmp_path / "cache"
    probe(cache)
    [stored] = cached(cache)
    _hostile(stored)
    os.chown(stored, 12345, 12345)
    assert probe(cache) == EXPECTED
    assert stored.stat().st_uid == os.geteuid()


def test_a_fifo_in_place_of_the_cache_file_does_not_hang_the_scan(tmp_path):
    cache = tmp_path / "cache"
    probe(cache)
    [stored] = cached(cache)
    stored.unlink()
    os.mkfifo(stored)
    assert probe(cache) == EXPECTED  # probe's subprocess would wait forever at the open
    assert stored.is_file()
