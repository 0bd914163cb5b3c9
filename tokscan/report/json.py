"""The JSON report (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tokscan import __version__
from tokscan.model import Finding, PragmaSite, Report, Status
from tokscan.pipeline import policy
from tokscan.report import jsontext

SCHEMA_VERSION = 1


def render(report: Report, show_secrets: bool = False) -> str:
    return "".join(render_chunks(report, show_secrets))


def render_chunks(report: Report, show_secrets: bool = False) -> Iterator[str]:
    """`render`, in pieces: the document around its findings, and each finding on its own,
    formatted exactly as `json.dumps(document, indent=2)` would, so a report of a hundred
    thousand findings is never held whole in memory."""
    whole = document(report, show_secrets, with_findings=False)
    records = (finding_record(finding, show_secrets) for finding in report.findings)
    yield from jsontext.streamed(whole, "findings", records)


def document(
    report: Report, show_secrets: bool = False, with_findings: bool = True
) -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tokscan", "version": __version__, "matcher": report.matcher},
        "scan": {
            "mode": report.mode,
            "root": report.root,
            "revisions": report.revisions,
            "started_at": report.started_at,
            "duration_s": report.duration_s,
            "bytes_scanned": report.bytes_scanned,
            "objects_scanned": report.objects_scanned,
            "errors": [{"path": e.path, "message": e.message} for e in report.errors],
            **(_ci(report, show_secrets) if report.mode == "ci" else {}),
        },
        "findings": (
            [finding_record(f, show_secrets) for f in report.findings] if with_findings else []
        ),
        "summary": {
            "findings": len(report.findings),
            "failing": policy.failing(report),
            "suppressed": report.suppressed_total,
            **{status.value: report.count_status(status) for status in _STATUS_ORDER},
        },
    }


_STATUS_ORDER = (Status.LIVE, Status.REVOKED, Status.UNKNOWN, Status.UNVERIFIED)


def finding_record(finding: Finding, show_secrets: bool) -> dict[str, Any]:
    """One finding as the JSON report (and `tokscan audit`) writes it (SPEC §4)."""
    return {
        "rule": "tokmodel-api-key",
        "fingerprint": finding.fingerprint,
        "secret": finding.secret(show_secrets),
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "commit": finding.commit,
        "author": finding.author,
        "date": finding.date,
        "present_at_head": finding.present_at_head,
        "refs_at_tip": None if finding.refs_at_tip is None else list(finding.refs_at_tip),
        "status": finding.status.value,
        "status_detail": finding.status_detail,
        "advice": finding.advice,
        # SPEC §10: only for keys found encoded, or in a binary file.
        **({"encoding": list(finding.encoding)} if finding.encoding else {}),
        **({"byte_offset": finding.byte_offset} if finding.byte_offset is not None else {}),
        # A key in the name of the file or folder at `path` (line 1, column in the path).
        **({"in_name": True} if finding.in_name else {}),
    }


def _ci(report: Report, show_secrets: bool) -> dict[str, Any]:
    """`tokscan ci` adds to `scan`: the range and why, and the pragmas it adds (SPEC §6)."""
    scanned = report.range
    return {
        "ci": None
        if scanned is None
        else {
            "provider": scanned.provider,
            "event": scanned.event,
            "head": scanned.head,
            "base": scanned.base,
            "commits": scanned.commits,
            "reason": scanned.reason,
        },
        "pragmas_added": [pragma(site, show_secrets) for site in report.pragmas_added],
    }


def pragma(site: PragmaSite, show_secrets: bool) -> dict[str, Any]:
    """A `tokscan:allow` line that a CI range adds (also used by the SARIF renderer)."""
    return {
        "path": site.path,
        "line": site.line,
        "commit": site.commit,
        "fingerprint": site.finding.fingerprint if site.finding else None,
        "secret": site.finding.secret(show_secrets) if site.finding else None,
    }
