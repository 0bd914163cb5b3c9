"""The exit code, decided from the report in one place (SPEC §3)."""

from __future__ import annotations

from collections.abc import Iterable

from tokscan.errors import ExitCode
from tokscan.model import Finding, Report, Status


def fails(finding: Finding, report: Report) -> bool:
    """Whether this (unsuppressed) finding fails the run: all do, except keys TokModel
    says are revoked, unless --fail-on-revoked."""
    return finding.status is not Status.REVOKED or report.fail_on_revoked


def failing(report: Report) -> int:
    return sum(1 for f in report.findings if fails(f, report))


def exit_code(
    report: Report, baseline_written: bool = False, exit_zero: bool = False
) -> ExitCode:
    """2 when the scan is incomplete (it never passes), else 1 when a finding fails the run.

    `baseline_written`: --write-baseline just accepted every finding, so none fails.
    `exit_zero` (--exit-zero, for dashboards): findings are reported but fail nothing; an
    incomplete scan still exits 2, since a report that misses things must not look clean."""
    if report.errors:
        return ExitCode.ERROR
    if failing(report) and not baseline_written and not exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


def verify_exit_code(statuses: Iterable[Status]) -> ExitCode:
    """`tokscan verify`: 1 when any key still works or could not be checked."""
    exposed = any(status is not Status.REVOKED for status in statuses)
    return ExitCode.FINDINGS if exposed else ExitCode.CLEAN
