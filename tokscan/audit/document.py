"""The audit's report as one document (docs/spec.md §4a): what `-f json` writes, and what
the text, SARIF and HTML renderers render. Built on the client from the per-repository
statuses and the finding records streamed to disk during the run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tokscan import __version__
from tokscan.audit.group import group
from tokscan.model import Status

VERSION = 1
_INTERNAL = ("archive",)  # kept for advice and --verify, not part of a §4 finding


def build(
    repositories: list[dict[str, Any]],
    records: Iterable[dict[str, Any]],
    *,
    started_at: str,
    duration_s: float,
    verified: bool,
    fail_on_revoked: bool = False,
) -> dict[str, Any]:
    """The document; `records` already carry their verdicts and advice (group.apply)."""
    findings = sorted(records, key=_order)
    keys = group(findings)
    counts = {status: 0 for status in ("scanned", "reused", "failed")}
    for repository in repositories:
        counts[repository["status"]] += 1
    failing = sum(
        1 for f in findings if f["status"] != Status.REVOKED.value or fail_on_revoked
    )
    return {
        "version": VERSION,
        "tool": {"name": "tokscan", "version": __version__},
        "audit": {
            "started_at": started_at,
            "duration_s": duration_s,
            "repositories": repositories,
            **counts,
            "verified": verified,
        },
        "keys": keys,
        "findings": [
            {k: v for k, v in finding.items() if k not in _INTERNAL} for finding in findings
        ],
        "summary": {
            "repositories": len(repositories),
            "keys": len(keys),
            "findings": len(findings),
            "failing": failing,
            **{
                status.value: sum(1 for k in keys if k["status"] == status.value)
                for status in (Status.LIVE, Status.REVOKED, Status.UNKNOWN, Status.UNVERIFIED)
            },
        },
    }


def _order(record: dict[str, Any]) -> tuple[Any, ...]:
    """By repository, then as `tokscan history` orders findings (pipeline/collect.py)."""
    path = record.get("path")
    return (
        record["repository"], path is None, path or "", record.get("commit") or "",
        record["line"], record["column"], not record.get("in_name"),
    )  # fmt: skip
