"""Reports built in memory for renderer tests: real Finding records, finished by the
pipeline (so they carry advice), for shapes that a real scan makes slowly (thousands of
findings) or not at all here (verified statuses)."""

from __future__ import annotations

from tokscan import pipeline
from tokscan.model import Finding, Report, ScanError, Status, Where


def finding(
    key: str,
    path: str | None = "app.py",
    line: int = 1,
    column: int = 1,
    commit: str | None = None,
    status: Status = Status.UNVERIFIED,
) -> Finding:
    return Finding(
        key=key,
        path=path,
        line=line,
        column=column,
        where=Where.HISTORY if commit else Where.WORKTREE,
        commit=commit,
        author="Dev <dev@example.com>" if commit else None,
        date="2023-11-14T22:13:20+00:00" if commit else None,
        present_at_head=True if commit else None,
        status=status,
    )


def report(
    *findings: Finding,
    errors: tuple[ScanError, ...] = (),
    mode: str = "files",
    fail_on_revoked: bool = False,
) -> Report:
    made = pipeline.new_report(mode, "/repo")
    made.findings.extend(findings)
    made.errors.extend(errors)
    made.fail_on_revoked = fail_on_revoked
    made.verified = any(f.status is not Status.UNVERIFIED for f in findings)
    return pipeline.finish(made)
