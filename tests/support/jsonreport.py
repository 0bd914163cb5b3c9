"""Reading tokscan's JSON reports in tests: every report is checked against the schema of
SPEC §4 (tests/support/report.schema.json) and for the consistency the schema cannot express."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).parent / "report.schema.json"


@cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check(report: Any) -> dict[str, Any]:
    """Validate a parsed report; returns it."""
    validator().validate(report)
    findings, summary = report["findings"], report["summary"]
    assert summary["findings"] == len(findings)
    statuses = ("live", "revoked", "unknown", "unverified")
    assert sum(summary[s] for s in statuses) == len(findings)
    for status in statuses:
        assert summary[status] == sum(1 for f in findings if f["status"] == status)
    assert summary["failing"] <= summary["findings"]
    return report


def load(text: str | bytes) -> dict[str, Any]:
    """Parse and validate the text of a JSON report."""
    return check(json.loads(text))


REPORT_COMMANDS = ("scan", "staged", "history", "pre-push", "ci")


def command_of(args: Sequence[str]) -> str | None:
    """The subcommand of a tokscan command line (after -C DIR and --config FILE)."""
    args = list(args)
    i = 0
    while i < len(args):
        if args[i] in ("-C", "--config"):
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return args[i]
    return None


def wants_json(args: Sequence[str]) -> bool:
    """Whether a tokscan command line asks for a JSON report (SPEC §4; `verify` prints a
    document of its own)."""
    args = list(args)
    if command_of(args) not in REPORT_COMMANDS:
        return False
    for i, arg in enumerate(args):
        if arg in ("-f", "--format") and i + 1 < len(args) and args[i + 1] == "json":
            return True
        if arg in ("--format=json", "-fjson"):
            return True
    return False


def writes_to_file(args: Sequence[str]) -> bool:
    return any(a in ("-o", "--output") or a.startswith("--output=") for a in args)


def places(
    report: dict[str, Any], fields: Sequence[str] = ("path", "line", "column")
) -> set[tuple[Any, ...]]:
    """Where a parsed report's findings are: the set of their `fields`, (path, line, column)
    unless asked for others."""
    return {tuple(f[name] for name in fields) for f in report["findings"]}
