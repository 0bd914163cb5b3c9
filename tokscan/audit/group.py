"""Findings joined by key across repositories: each key once, with every place it leaked.

The same key committed to four repositories is one thing to rotate, so the report lists it
once: the repositories that hold it, the earliest leak (when, by whom, where), every place,
and one piece of advice. Keys that must be acted on come first (live, then unknown, then
not verified, then revoked), then those in the most repositories, then the oldest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from tokscan.model import Finding, Status, Verdict, Where
from tokscan.pipeline import advice

_RANK = {Status.LIVE: 0, Status.UNKNOWN: 1, Status.UNVERIFIED: 2, Status.REVOKED: 3}
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def when(record: Mapping[str, Any]) -> datetime:
    """A place's date, for ordering (a place without one sorts last)."""
    text = record.get("date")
    if not text:
        return _NEVER
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return _NEVER
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def apply(record: dict[str, Any], verdict: Verdict | None) -> dict[str, Any]:
    """A finding record with its key's verdict and the advice that goes with it."""
    if verdict is not None:
        record["status"] = verdict.status.value
        record["status_detail"] = verdict.detail
    record["advice"] = advise(record)
    return record


def advise(record: Mapping[str, Any]) -> str:
    """SPEC §8's advice for a finding record (pipeline/advice.py, as for any finding)."""
    finding = Finding(
        key="", path=record.get("path"), line=int(record.get("line") or 1), column=1,
        where=Where.HISTORY, status=Status(record.get("status", "unverified")),
        status_detail=record.get("status_detail"),
        present_at_head=record.get("present_at_head"), archive=record.get("archive"),
        encoding=tuple(record.get("encoding", ())), in_name=bool(record.get("in_name")),
    )  # fmt: skip
    return advice.advise(finding)


def group(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each key once (see the module doc); `records` already carry their verdicts."""
    places: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        places.setdefault(record["fingerprint"], []).append(record)
    keys = [_key(fingerprint, found) for fingerprint, found in places.items()]
    keys.sort(key=lambda k: (
        _RANK[Status(k["status"])], -len(k["repositories"]),
        when(k["first_leaked"] or {}), k["fingerprint"],
    ))  # fmt: skip
    return keys


def _key(fingerprint: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    found.sort(key=lambda r: (when(r), r["repository"], r.get("path") or "", r["line"]))
    first = found[0]
    # The advice that matters most: a place where the key is still at the tip, if any.
    weightiest = next((r for r in found if r.get("present_at_head")), first)
    return {
        "fingerprint": fingerprint,
        "key": first["secret"],
        "status": first["status"],
        "status_detail": first.get("status_detail"),
        "repositories": list(dict.fromkeys(r["repository"] for r in found)),
        "first_leaked": {
            "date": first.get("date"),
            "author": first.get("author"),
            "repository": first["repository"],
            "commit": first.get("commit"),
        },
        "places": [
            {
                "repository": r["repository"],
                "commit": r.get("commit"),
                "path": r.get("path"),
                "line": r["line"],
                "date": r.get("date"),
                "author": r.get("author"),
            }
            for r in found
        ],
        "advice": advise(weightiest),
    }
