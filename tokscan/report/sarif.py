"""SARIF 2.1.0 (`--format sarif`), shaped for GitHub code scanning's upload rules.

- One run, one rule (`tokmodel-api-key`) with help text and the rotation steps.
- Each result has one location: a URI relative to the checkout with `uriBaseId`
  `%SRCROOT%` (a name holding a key redacted, unless --show-secrets), and a region (line,
  and the key's first column and the column after it, counted in Unicode code points as
  tokscan counts them).
- A key found encoded, in a binary file or in an archive says so in its message and in
  its properties: `encoding` (outer first), `byteOffset`, and `memberPath` (the whole
  `archive!member` path). The URI of a key in an archive is the archive's, a file that
  exists in the checkout (`dist/app.whl` for `dist/app.whl!app/settings.py`). A key in
  the name of a file or folder has the property `inName` and the region of its first line.
- `partialFingerprints` are derived from the key's fingerprint and the path, never from the
  key itself or its line, so an alert keeps its identity across runs and edits that move the
  line. (`primaryLocationLineHash` is left to the upload action, which computes it itself.)
- Results are sorted, and capped at the number code scanning displays (5,000 a run; it
  accepts 25,000 but stores only the first 5,000): what is left out is counted in a
  notification and in the run's properties, and still fails the build.
- A key in a commit message has no file to point at, so it is not a result (code scanning
  rejects results without a location); it is counted in a notification instead.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from tokscan import __version__, keyformat
from tokscan.model import Finding, Report, Status
from tokscan.pipeline import policy
from tokscan.report import json as json_report
from tokscan.report import jsontext, rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 5000
FINGERPRINT_KEY = "tokscanKeyPath/v1"
# Characters of a relative path that may stay as they are in a URI reference; everything
# else (spaces, %, #, ?, control characters, non-ASCII) is percent-encoded as UTF-8.
_URI_SAFE = "/-._~!$&'()*+,;=@"


def render(report: Report, show_secrets: bool = False) -> str:
    return jsontext.dumps(document(report, show_secrets)) + "\n"


def document(report: Report, show_secrets: bool = False) -> dict[str, Any]:
    located = sorted((f for f in report.findings if f.path is not None), key=_order)
    in_messages = [f for f in report.findings if f.path is None]
    kept = located[:MAX_RESULTS]
    omitted = len(located) - len(kept)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver()},
                "columnKind": "unicodeCodePoints",
                "results": _results(kept, report, show_secrets),
                "invocations": [_invocation(report, omitted, in_messages, show_secrets)],
                "properties": _run_properties(report, omitted, show_secrets),
            }
        ],
    }


def _driver() -> dict[str, Any]:
    return {
        "name": "tokscan",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": rule.HOME,
        "rules": [
            {
                "id": rule.ID,
                "name": rule.NAME,
                "shortDescription": {"text": rule.SHORT},
                "fullDescription": {"text": rule.FULL},
                "help": {"text": rule.help_text(), "markdown": rule.help_markdown()},
                "helpUri": rule.HOME,
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["security", "secret", f"external/cwe/{rule.CWE.lower()}"],
                    "precision": "very-high",
                    "problem.severity": "error",
                    "security-severity": rule.SECURITY_SEVERITY,
                },
            }
        ],
    }


def _order(finding: Finding) -> tuple[str, int, int, str, str]:
    return (
        finding.path or "",
        finding.line,
        finding.column,
        finding.commit or "",
        finding.fingerprint,
    )


def _results(findings: list[Finding], report: Report, show_secrets: bool) -> list[dict[str, Any]]:
    results = []
    seen: dict[tuple[str, str], int] = {}
    for finding in findings:
        assert finding.path is not None
        # The same key twice in one file gets a running number, so both stay alerts.
        occurrence = seen.get((finding.fingerprint, finding.path), 0)
        seen[(finding.fingerprint, finding.path)] = occurrence + 1
        results.append(
            {
                "ruleId": rule.ID,
                "ruleIndex": 0,
                "level": "error" if policy.fails(finding, report) else "warning",
                "message": {"text": rule.message(finding, show_secrets)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": uri(rule.file_path(finding), show_secrets),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": _region(finding),
                        }
                    }
                ],
                "partialFingerprints": {
                    FINGERPRINT_KEY: partial_fingerprint(
                        finding.fingerprint, finding.path, occurrence
                    )
                },
                "properties": _finding_properties(finding, show_secrets),
            }
        )
    return results


def _region(finding: Finding) -> dict[str, Any]:
    """Where the key is in the file the result points at. In an archive that is the
    archive, in which the member's line and column mean nothing: the region is its first
    line, and the message and `memberPath` say where in the member. A key found encoded
    has no known end: its region runs to the end of the line where its encoded text starts.
    A key in a binary file has its byte offset too. A key in the name of the file or folder
    is not in its content: the region is its first line, and `inName` says so."""
    if not rule.in_content(finding):
        return {"startLine": 1}
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.line,
    }
    span = rule.span(finding)
    if span is not None:
        region["endColumn"] = finding.column + span
    if finding.byte_offset is not None:
        region["byteOffset"] = finding.byte_offset
    return region


def partial_fingerprint(fingerprint: str, path: str, occurrence: int = 0) -> str:
    """Stable across runs: the key's fingerprint (never the key) and where it is."""
    text = f"{fingerprint}\0{path}\0{occurrence}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def uri(path: str, show_secrets: bool) -> str:
    """A relative path as a URI reference (RFC 3986), percent-encoding what must be. A name
    holding a key is redacted first unless `show_secrets`, so that its `…` is encoded too
    (output.py would redact it anyway, but after encoding, leaving a raw `…` in the URI)."""
    if not show_secrets:
        path = keyformat.redact_all(path)
    return quote(path.encode("utf-8", "surrogateescape"), safe=_URI_SAFE)


def _finding_properties(finding: Finding, show_secrets: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "fingerprint": finding.fingerprint,
        "secret": finding.secret(show_secrets),
        "commit": finding.commit,
        "author": finding.author,
        "date": finding.date,
        "presentAtHead": finding.present_at_head,
        "status": finding.status.value,
    }
    if finding.status_detail:
        properties["statusDetail"] = finding.status_detail
    if finding.encoding:
        properties["encoding"] = list(finding.encoding)
    if finding.byte_offset is not None:  # in the member's bytes, for a member of an archive
        properties["byteOffset"] = finding.byte_offset
    if rule.in_archive(finding):
        properties["memberPath"] = finding.path
    if finding.in_name:
        properties["inName"] = True
    return {k: v for k, v in properties.items() if v is not None}


def _invocation(
    report: Report, omitted: int, in_messages: list[Finding], show_secrets: bool
) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    for error in report.errors:
        notes.append(_note("error", f"could not scan {error.path or '-'}: {error.message}"))
    if omitted:
        notes.append(
            _note(
                "error",
                f"{omitted} more findings are not listed here: code scanning "
                f"shows at most {MAX_RESULTS}; see the job log",
            )
        )
    for finding in in_messages:
        notes.append(_note("error", rule.message(finding, show_secrets)))
    for site in report.pragmas_added:
        where = f"{site.path}:{site.line}" if site.path is not None else "a commit message"
        notes.append(_note("warning", f"{where} adds a tokscan:allow pragma; review it"))
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _note(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}


def _run_properties(report: Report, omitted: int, show_secrets: bool) -> dict[str, Any]:
    summary = {
        "findings": len(report.findings),
        "failing": policy.failing(report),
        "suppressed": report.suppressed_total,
        **{status.value: report.count_status(status) for status in Status},
    }
    properties: dict[str, Any] = {
        "mode": report.mode,
        "revisions": report.revisions,
        "summary": summary,
        "resultsOmitted": omitted,
        "incomplete": bool(report.errors),
    }
    if report.range is not None:
        properties["range"] = {
            "provider": report.range.provider,
            "event": report.range.event,
            "head": report.range.head,
            "base": report.range.base,
            "commits": report.range.commits,
            "reason": report.range.reason,
        }
    if report.mode == "ci":
        properties["pragmasAdded"] = [
            json_report.pragma(site, show_secrets) for site in report.pragmas_added
        ]
    return {"tokscan": properties}
