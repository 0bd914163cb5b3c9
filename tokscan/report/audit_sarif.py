"""`tokscan audit`'s SARIF 2.1.0: one run per repository, rendered from the audit document
(docs/spec.md §4a). Each run names its repository (`automationDetails.id`, and
`versionControlProvenance` for a remote one) and says whether it is complete; results are
shaped as `tokscan history`'s (report/sarif.py): a location relative to the repository's
root, and partial fingerprints from the key's fingerprint and path, never the key.
(GitHub code scanning takes at most 20 runs a file: upload per repository there.)"""

from __future__ import annotations

import json
from typing import Any

from tokscan.report import rule, sarif


def render(document: dict[str, Any]) -> str:
    return json.dumps(build(document), indent=2, ensure_ascii=False) + "\n"


def build(document: dict[str, Any]) -> dict[str, Any]:
    by_repository: dict[str, list[dict[str, Any]]] = {}
    for finding in document["findings"]:
        by_repository.setdefault(finding["repository"], []).append(finding)
    runs = [
        _run(repository, by_repository.get(repository["name"], []))
        for repository in document["audit"]["repositories"]
    ]
    return {"$schema": sarif.SCHEMA, "version": "2.1.0", "runs": runs}


def _run(repository: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    located = [f for f in findings if f["path"] is not None][: sarif.MAX_RESULTS]
    notes = []
    if repository["status"] == "failed":
        notes.append(_note("error", f"could not audit {repository['name']}: "
                                    f"{repository['reason']}"))
    for finding in findings:
        if finding["path"] is None:
            notes.append(_note("error", _message(finding)))
    invocation: dict[str, Any] = {"executionSuccessful": repository["status"] != "failed"}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run: dict[str, Any] = {
        "tool": {"driver": sarif._driver()},
        "automationDetails": {"id": f"tokscan-audit/{repository['name']}/"},
        "columnKind": "unicodeCodePoints",
        "results": _results(located),
        "invocations": [invocation],
        "properties": {"tokscan": {
            "repository": repository["name"], "status": repository["status"],
            "findings": len(findings), "resultsOmitted": sum(
                1 for f in findings if f["path"] is not None) - len(located),
        }},
    }  # fmt: skip
    if not repository["url"].startswith("/"):  # a remote one: its URL is a URI
        run["versionControlProvenance"] = [{"repositoryUri": repository["url"]}]
    return run


def _results(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    seen: dict[tuple[str, str], int] = {}
    for finding in findings:
        path = finding["path"]
        occurrence = seen.get((finding["fingerprint"], path), 0)
        seen[(finding["fingerprint"], path)] = occurrence + 1
        in_content = not finding.get("in_name") and "!" not in path
        region: dict[str, Any] = {"startLine": finding["line"] if in_content else 1}
        if in_content:
            region.update(startColumn=finding["column"], endLine=finding["line"])
            if not finding.get("encoding"):
                region["endColumn"] = finding["column"] + rule.SPAN
        results.append({
            "ruleId": rule.ID,
            "ruleIndex": 0,
            "level": "warning" if finding["status"] == "revoked" else "error",
            "message": {"text": _message(finding)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": sarif.uri(path.split("!", 1)[0], False),
                                     "uriBaseId": "%SRCROOT%"},
                "region": region,
            }}],
            "partialFingerprints": {sarif.FINGERPRINT_KEY: sarif.partial_fingerprint(
                finding["fingerprint"], path, occurrence)},
            "properties": {k: v for k, v in {
                "fingerprint": finding["fingerprint"], "secret": finding["secret"],
                "commit": finding["commit"], "author": finding["author"],
                "date": finding["date"], "status": finding["status"],
            }.items() if v is not None},
        })  # fmt: skip
    return results


def _message(finding: dict[str, Any]) -> str:
    place = "in a commit message" if finding["path"] is None else f"in {finding['path']}"
    commit = f" (commit {finding['commit'][:12]})" if finding.get("commit") else ""
    return f"TokModel API key {finding['secret']} {place}{commit}. {finding['advice']}".strip()


def _note(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}
