"""The verdict cache: by fingerprint, short-lived, private, never `unknown`, never a key."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tokscan import keyformat
from tokscan.model import Status, Verdict
from tokscan.verify import cache
from tokscan.verify.cache import Cache

BASE = "https://tokmodel.com"
LIVE = Verdict(Status.LIVE, "HTTP 400")
REVOKED = Verdict(Status.REVOKED, "HTTP 401")


def saved(key: str, verdict: Verdict, now: float = 1_000_000.0, base: str = BASE) -> Cache:
    store = Cache.open(base)
    assert store is not None
    store.now = now
    store.put(key, verdict)
    store.save()
    return store


def reopened(now: float, base: str = BASE) -> Cache:
    return Cache(cache.directory() / cache.FILENAME, base, now=now)


def test_it_lives_in_the_user_cache_folder(tmp_path):
    assert cache.directory() == tmp_path / "home" / ".cache" / "tokscan"


def test_without_xdg_cache_home_it_is_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.directory() == tmp_path / "home" / ".cache" / "tokscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per XDG: ignored
    assert cache.directory() == tmp_path / "home" / ".cache" / "tokscan"


def test_a_verdict_comes_back_within_its_ttl(keys):
    key = keys()
    saved(key, LIVE, now=1_000_000.0)
    hit = reopened(now=1_000_000.0 + 120).get(key)
    assert hit == Verdict(Status.LIVE, "HTTP 400, checked 2 min ago")


@pytest.mark.parametrize(("verdict", "ttl"), [(LIVE, 600), (REVOKED, 3600)])
def test_a_verdict_expires(keys, verdict, ttl):
    key = keys()
    saved(key, verdict, now=1_000_000.0)
    assert reopened(now=1_000_000.0 + ttl - 1).get(key) is not None
    assert reopened(now=1_000_000.0 + ttl).get(key) is None
    assert reopened(now=1_000_000.0 - 5).get(key) is None  # from the future: clock moved back


def test_unknown_is_never_cached(keys):
    key = keys()
    store = saved(key, Verdict(Status.UNKNOWN, "HTTP 503, 4 attempts"))
    assert not store.path.exists()
    assert reopened(now=store.now).get(key) is None


def test_the_file_is_private_and_holds_no_key(keys):
    key = keys()
    store = saved(key, LIVE)
    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    text = store.path.read_text()
    assert key not in text and key[3:] not in text
    assert keyformat.fingerprint(key) in text


def test_api_bases_are_kept_apart(keys):
    key = keys()
    saved(key, REVOKED, base="http://127.0.0.1:9")
    assert reopened(now=1_000_000.0, base=BASE).get(key) is None
    assert reopened(now=1_000_000.0, base="http://127.0.0.1:9").get(key) is not None


def test_runs_merge_their_verdicts(keys):
    first, second = keys(), keys()
    saved(first, LIVE)
    saved(second, REVOKED)
    store = reopened(now=1_000_000.0)
    assert store.get(first) is not None and store.get(second) is not None


def test_expired_entries_are_dropped_on_write(keys):
    old, new = keys(), keys()
    saved(old, LIVE, now=1_000_000.0)
    saved(new, LIVE, now=1_000_000.0 + 3600)
    document = json.loads((cache.directory() / cache.FILENAME).read_text())
    assert list(document["apis"][BASE]) == [keyformat.fingerprint(new)]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"version": 2, "apis": {}}',
        b'{"version": 1, "apis": []}',
        b'{"version": 1, "apis": {"https://tokmodel.com": {"FP": {"status": "live"}}}}',
        b'{"version": 1, "apis": {"https://tokmodel.com": []}}',
        b"[" * 100_000,
    ],
)
def test_a_corrupt_cache_is_ignored_and_replaced(keys, content):
    key = keys()
    path = cache.directory() / cache.FILENAME
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    path.chmod(0o600)
    assert reopened(now=1_000_000.0).get(key) is None
    saved(key, LIVE)
    assert reopened(now=1_000_000.0).get(key) is not None


@pytest.mark.parametrize(
    "entry",
    [
        {"status": "unknown", "detail": "x", "checked_at": 1_000_000},
        {"status": "live", "detail": 3, "checked_at": 1_000_000},
        {"status": "live", "detail": "x", "checked_at": "yesterday"},
        {"status": "live", "detail": "x", "checked_at": True},
        "live",
    ],
)
def test_a_malformed_entry_is_ignored(keys, entry):
    key = keys()
    path = cache.directory() / cache.FILENAME
    path.parent.mkdir(parents=True)
    document = {"version": 1, "apis": {BASE: {keyformat.fingerprint(key): entry}}}
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    assert reopened(now=1_000_000.0).get(key) is None


def test_a_file_others_can_write_is_not_trusted(keys):
    """Another local user must not be able to plant a `revoked` that lets a live key pass."""
    key = keys()
    store = saved(key, REVOKED)
    store.path.chmod(0o666)
    assert reopened(now=store.now).get(key) is None


def test_an_unwritable_cache_is_not_an_error(keys, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    key = keys()
    store = saved(key, LIVE)  # no exception
    assert store.path == blocked / "tokscan" / cache.FILENAME
    assert blocked.read_text() == "a file where the cache folder should be"  # left alone
    assert reopened(now=store.now).get(key) is None  # nothing remembered, nothing broken


def test_it_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, "off")
    assert Cache.open(BASE) is None
    monkeypatch.setenv(cache.ENV_VAR, "1")
    assert Cache.open(BASE) is not None


def test_a_failed_write_leaves_no_temporary_file(keys, monkeypatch):
    store = saved(keys(), LIVE)

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    store.put(keys(), REVOKED)
    store.save()
    assert sorted(p.name for p in store.path.parent.iterdir()) == [cache.FILENAME]
