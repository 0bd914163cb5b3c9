"""Recent verdicts, remembered across runs so that a hook or CI job run again a minute
later does not ask TokModel again.

Entries are keyed by API base and fingerprint (never the key) in
`$XDG_CACHE_HOME/tokscan/verify.json` (else `~/.cache/tokscan/`), a file only its owner
can read or write. `unknown` is never cached. A `live` answer is kept for 10 minutes, so a
key shows as revoked soon after it is revoked; a `revoked` one for an hour (revocation is
final). The cache is only an optimisation: a corrupt, foreign or unwritable file is
ignored, never an error. `TOKSCAN_VERIFY_CACHE=off` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tokscan import keyformat
from tokscan.model import Status, Verdict
from tokscan.outfile import is_own_private

FILENAME = "verify.json"
ENV_VAR = "TOKSCAN_VERIFY_CACHE"
VERSION = 1
TTL = {Status.LIVE: 10 * 60.0, Status.REVOKED: 60 * 60.0}
_STATUSES = frozenset(status.value for status in TTL)
_MAX_SIZE = 8 << 20  # a bigger file is not ours: ignore it rather than parse it


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "tokscan"


def enabled() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() not in ("0", "off", "false", "no")


class Cache:
    """The verdicts remembered for one API base."""

    def __init__(self, path: Path, api_base: str, now: float | None = None) -> None:
        self.path = path
        self.api_base = api_base
        self.now = time.time() if now is None else now
        self._entries = _read(path).get(api_base, {})
        self._new: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, api_base: str) -> Cache | None:
        """The user's cache, or None when it is turned off."""
        return cls(directory() / FILENAME, api_base) if enabled() else None

    def get(self, key: str) -> Verdict | None:
        entry = self._entries.get(keyformat.fingerprint(key))
        if not _fresh(entry, self.now):
            return None
        assert entry is not None
        age = _age(self.now - entry["checked_at"])
        return Verdict(Status(entry["status"]), f"{entry['detail']}, checked {age} ago")

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.status in TTL:
            self._new[keyformat.fingerprint(key)] = {
                "status": verdict.status.value,
                "detail": verdict.detail,
                "checked_at": self.now,
            }

    def save(self) -> None:
        """Merge this run's verdicts into the file (another run may have written since)."""
        if not self._new:
            return
        apis = _read(self.path)
        apis.setdefault(self.api_base, {}).update(self._new)
        kept = {
            base: {fp: e for fp, e in entries.items() if _fresh(e, self.now)}
            for base, entries in apis.items()
        }
        document = {"version": VERSION, "apis": {b: e for b, e in kept.items() if e}}
        # An unwritable cache only costs a request next time.
        with contextlib.suppress(OSError):
            _write(self.path, json.dumps(document, separators=(",", ":")))


def _read(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The file's entries by API base; empty if it is missing, corrupt or not safely ours."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not _trusted(info):
                return {}
            document = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return {}
    apis = document.get("apis")
    if not isinstance(apis, dict):
        return {}
    return {
        base: {fp: e for fp, e in entries.items() if keyformat.is_fingerprint(fp)}
        for base, entries in apis.items()
        if isinstance(base, str) and isinstance(entries, dict)
    }


def _trusted(info: os.stat_result) -> bool:
    """Another local user must not be able to plant a `revoked` verdict that lets a live
    key through (outfile.is_own_private); and the file is small."""
    return info.st_size <= _MAX_SIZE and is_own_private(info)


def _fresh(entry: object, now: float) -> bool:
    if not isinstance(entry, dict):
        return False
    status, detail, checked = entry.get("status"), entry.get("detail"), entry.get("checked_at")
    if status not in _STATUSES or not isinstance(detail, str):
        return False
    if not isinstance(checked, (int, float)) or isinstance(checked, bool):
        return False
    return 0 <= now - checked < TTL[Status(status)]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600; replacing is atomic, so a reader never
    # sees half a file.
    fd, temporary = tempfile.mkstemp(prefix=".verify-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)} s"
    return f"{int(seconds // 60)} min"
