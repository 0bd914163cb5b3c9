"""GitLab secret detection report (`--format gitlab`), for `artifacts: reports:
secret_detection` (the `gl-secret-detection-report.json` shape).

It follows GitLab's security report schema version 15.0.7 for secret detection: `version`,
`schema`, `scan` (analyzer and scanner, `type: secret_detection`, `status`, start and end
times as `yyyy-mm-ddThh:mm:ss` in UTC, and `messages` for what could not be scanned or
should be reviewed) and `vulnerabilities`, each with `id`, `identifiers` (the primary one is
the rule), `location` (`file`, `start_line`, `end_line`, `commit.sha`), `name`,
`description`, `severity` and `solution`. It also keeps `category`, `message` and
`scanner`, which older GitLab versions read and newer ones ignore.

A key in a member of an archive is located in the archive (`file` is `dist/app.whl` for
`dist/app.whl!app/settings.py`, the line its first); the message, the description and
`details` name the member, and say how a key found encoded or in a binary file was found.

A key in the name of a file or folder is located at its first line; the description and
`details.in_name` say where the key is.

`raw_source_code_extract` holds the redacted key, never the key. `id` is derived from the
key's fingerprint, the path, the line, the commit and whether the key is in the name, so it
is the same in every run.
A finding with no commit (a scan of files) has the commit `0000000`, as GitLab's own
analyzer writes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from tokscan import __version__
from tokscan.model import Finding, Report, Status
from tokscan.pipeline import advice, policy
from tokscan.report import jsontext, rule

VERSION = "15.0.7"
SCHEMA = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{VERSION}/dist/secret-detection-report-format.json"
)
NO_COMMIT = "0000000"
_TOOL = {
    "id": "tokscan",
    "name": "tokscan",
    "url": rule.HOME,
    "version": __version__,
    "vendor": {"name": "tokscan"},
}
_IDENTIFIER = {
    "type": "tokscan_rule_id",
    "name": f"tokscan rule {rule.ID}",
    "value": rule.ID,
    "url": rule.HOME,
}
_CWE = {"type": "cwe", "name": rule.CWE, "value": rule.CWE.split("-")[1], "url": rule.CWE_URL}


def render(report: Report, show_secrets: bool = False) -> str:
    return "".join(render_chunks(report, show_secrets))


def render_chunks(report: Report, show_secrets: bool = False) -> Iterator[str]:
    """`render`, in pieces, formatted exactly as `json.dumps(document, indent=2)`: the
    document around its vulnerabilities, then each one, never the whole report at once."""
    whole = document(report, show_secrets, with_vulnerabilities=False)
    findings = sorted(report.findings, key=_order)
    vulnerabilities = (_vulnerability(f, report, show_secrets) for f in findings)
    yield from jsontext.streamed(whole, "vulnerabilities", vulnerabilities)


def document(
    report: Report, show_secrets: bool = False, with_vulnerabilities: bool = True
) -> dict[str, Any]:
    start = _utc(report.started_at)
    end = start + timedelta(seconds=max(report.duration_s, 0.0))
    scan: dict[str, Any] = {
        "analyzer": _TOOL,
        "scanner": _TOOL,
        "type": "secret_detection",
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%S"),
        "end_time": end.strftime("%Y-%m-%dT%H:%M:%S"),
        "status": "failure" if report.errors else "success",
        "primary_identifiers": [_IDENTIFIER],
    }
    messages = _messages(report, show_secrets)
    if messages:
        scan["messages"] = messages
    findings = sorted(report.findings, key=_order) if with_vulnerabilities else []
    return {
        "version": VERSION,
        "schema": SCHEMA,
        "scan": scan,
        "vulnerabilities": [_vulnerability(f, report, show_secrets) for f in findings],
    }


def _utc(stamp: str) -> datetime:
    """The report's start, as naive UTC (the schema wants no zone designator)."""
    moment = datetime.fromisoformat(stamp)
    offset = moment.utcoffset()
    if offset is not None:
        moment = (moment - offset).replace(tzinfo=None)
    return moment


def _order(finding: Finding) -> tuple[bool, str, int, int, str]:
    return (
        finding.path is None,
        finding.path or "",
        finding.line,
        finding.column,
        finding.commit or "",
    )


def vulnerability_id(finding: Finding) -> str:
    text = f"{finding.fingerprint}\0{finding.path}\0{finding.line}\0{finding.commit}"
    if finding.in_name:  # the same key in the name and on the first line: two ids
        text += "\0in_name"
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _vulnerability(finding: Finding, report: Report, show_secrets: bool) -> dict[str, Any]:
    secret = finding.secret(show_secrets)
    # In an archive, the location is the archive (a file of the repository) as a whole;
    # the description says where in the member.
    line = finding.line if rule.in_content(finding) else 1
    location: dict[str, Any] = {
        "start_line": line,
        "end_line": line,
        "commit": _commit(finding),
    }
    if finding.path is not None:
        location["file"] = rule.file_path(finding)
    return {
        "id": vulnerability_id(finding),
        "category": "secret_detection",
        "name": rule.TITLE,
        "message": rule.message(finding, show_secrets),
        "description": f"{rule.FULL}{_found(finding)} {finding.advice}",
        "severity": _severity(finding, report),
        "solution": _solution(),
        "scanner": {"id": _TOOL["id"], "name": _TOOL["name"]},
        "location": location,
        "identifiers": [_IDENTIFIER, _CWE],
        "raw_source_code_extract": secret,
        "details": {
            "fingerprint": {
                "name": "Key fingerprint (SHA-256)",
                "type": "text",
                "value": finding.fingerprint,
            },
            "status": {
                "name": "Verification",
                "type": "text",
                "value": finding.status.value
                + (f" ({finding.status_detail})" if finding.status_detail else ""),
            },
            **_found_details(finding),
        },
    }


def _found(finding: Finding) -> str:
    """For the description: where in an archive, and how encoded; "" for a key found as
    plain text in a file of the repository."""
    text = ""
    if finding.in_name:
        text += f" The key is in the name of {finding.path}, not in its content."
    if rule.in_archive(finding):
        text += (
            f" This one is in the archive member {finding.path}, "
            f"line {finding.line}, column {finding.column}."
        )
    if finding.encoding:
        text += f" It was found encoded: {' → '.join(finding.encoding)}."
    if finding.byte_offset is not None:
        binary = "the member, a binary file" if rule.in_archive(finding) else "a binary file"
        text += f" It starts at byte {finding.byte_offset} of {binary}."
    return text


def _found_details(finding: Finding) -> dict[str, dict[str, str]]:
    details = {}
    if finding.in_name:
        details["in_name"] = _detail("Found in", "the name of the file or folder")
    if rule.in_archive(finding):
        assert finding.path is not None
        details["member_path"] = _detail("Archive member", finding.path)
    if finding.encoding:
        details["encoding"] = _detail("Encoding (outer first)", " → ".join(finding.encoding))
    if finding.byte_offset is not None:
        details["byte_offset"] = _detail("Byte offset", str(finding.byte_offset))
    return details


def _detail(name: str, value: str) -> dict[str, str]:
    return {"name": name, "type": "text", "value": value}


def _commit(finding: Finding) -> dict[str, Any]:
    if finding.commit is None:
        return {"sha": NO_COMMIT}
    commit: dict[str, Any] = {"sha": finding.commit}
    if finding.author:
        commit["author"] = finding.author
    if finding.date:
        commit["date"] = finding.date
    return commit


def _severity(finding: Finding, report: Report) -> str:
    if finding.status is Status.REVOKED and not policy.fails(finding, report):
        return "Low"  # harmless now, but it should still leave the code
    return "Critical"


@lru_cache(maxsize=1)
def _solution() -> str:
    steps = " ".join(f"{n}. {step}" for n, step in enumerate(advice.ROTATION_STEPS, 1))
    return f"Rotate the key (removing it from the code does not un-leak it): {steps}"


def _messages(report: Report, show_secrets: bool) -> list[dict[str, str]]:
    messages = [
        {"level": "fatal", "value": f"could not scan {e.path or '-'}: {e.message}"}
        for e in report.errors
    ]
    for site in report.pragmas_added:
        where = f"{site.path}:{site.line}" if site.path is not None else "a commit message"
        hides = f" and hides {site.finding.secret(show_secrets)}" if site.finding else ""
        commit = f" (commit {site.commit[:12]})" if site.commit else ""
        messages.append(
            {
                "level": "warn",
                "value": f"{where}{commit} adds a tokscan:allow pragma{hides}; review it",
            }
        )
    if report.range is not None:
        messages.append({"level": "info", "value": f"scanned {report.range.reason}"})
    return messages
