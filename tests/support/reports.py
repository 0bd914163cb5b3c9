"""Fixed reports and a fake clock for the renderer tests, and the golden-file check.

Golden files live in fixtures/golden/ and hold redacted keys only. After an intended change
to a renderer, regenerate them with `TOKSCAN_UPDATE_GOLDEN=1 pytest tests/report` and review
the diff.
"""

from __future__ import annotations

import os

from support.keys import KeyFactory
from support.paths import FIXTURES
from tokscan import keyformat
from tokscan.model import Finding, Report, ScanError, Status, Where
from tokscan.pipeline import collect

GOLDEN = FIXTURES / "golden"


class FakeClock:
    """Stands in for the `time` module in tokscan.pipeline: a scan that takes 1.25 s."""

    def __init__(self) -> None:
        self._times = [100.0, 101.25]

    def monotonic(self) -> float:
        return self._times.pop(0) if len(self._times) > 1 else self._times[0]


def check_golden(name: str, actual: str) -> None:
    """`actual` must hold no full key and equal fixtures/golden/NAME byte for byte; with
    TOKSCAN_UPDATE_GOLDEN set, it is written there first."""
    assert not keyformat.find_in_text(actual), f"{name} holds a full key"
    path = GOLDEN / name
    if os.environ.get("TOKSCAN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from its golden file (see tests/support/reports.py)"


def history_report(keys: KeyFactory) -> Report:
    """A report with every kind of field filled: commits, statuses, errors, suppression."""
    live, revoked, unknown, unverified = keys(), keys(), keys(), keys()
    commit_a, commit_b = "a" * 40, "0123456789abcdef" * 2 + "01234567"
    report = Report(
        mode="history",
        root="/home/dev/project",
        started_at="2026-11-27T12:00:00+00:00",
        revisions=["main..feature"],
        duration_s=3.5,
        bytes_scanned=12_345_678,
        objects_scanned=4321,
        skipped={"binary": 3, "symlink": 1},
        errors=[ScanError("vendor/big.bin", "cannot read object"), ScanError(None, "git failed")],
        verified=True,
        notes=["1 tokscan:allow pragma added in this range: review it"],
    )
    report.findings = [
        Finding(key=live, path="src/settings.py", line=12, column=15, where=Where.HISTORY,
                commit=commit_a, author="Ada Lovelace <ada@example.com>",
                date="2026-11-20T09:30:00+00:00", present_at_head=True, status=Status.LIVE,
                status_detail="HTTP 400", refs_at_tip=("main",)),
        Finding(key=live, path="deploy/.env", line=1, column=18, where=Where.HISTORY,
                commit=commit_b, author="Ada Lovelace <ada@example.com>",
                date="2026-11-21T10:00:00+00:00", present_at_head=False, status=Status.LIVE,
                status_detail="HTTP 400", refs_at_tip=("old-leak", "v1.2")),
        Finding(key=revoked, path="docs/näive guide.md", line=40, column=3, where=Where.HISTORY,
                commit=commit_a, author="Bob <bob@example.com>",
                date="2026-11-20T09:30:00+00:00", present_at_head=True, status=Status.REVOKED,
                status_detail="HTTP 401"),
        Finding(key=unknown, path=None, line=3, column=7, where=Where.HISTORY, commit=commit_b,
                author="Bob <bob@example.com>", date="2026-11-21T10:00:00+00:00",
                present_at_head=None, status=Status.UNKNOWN, status_detail="timed out"),
        Finding(key=unverified, path="a\nb.py", line=2, column=1, where=Where.HISTORY,
                commit=commit_b, present_at_head=True),
    ]
    report.suppressed = [
        ("pragma", Finding(key=keys(), path="t.py", line=1, column=1, where=Where.HISTORY)),
        ("baseline", Finding(key=keys(), path="u.py", line=1, column=1, where=Where.HISTORY)),
        ("pragma", Finding(key=keys(), path="v.py", line=1, column=1, where=Where.HISTORY)),
    ]
    return collect.finish(report)


def files_report(keys: KeyFactory) -> Report:
    """What `tokscan scan` makes of a small tree: two keys in three places."""
    first, second = keys(), keys()
    report = Report(mode="files", root="/home/dev/project", started_at="2026-11-27T12:00:00+00:00",
                    duration_s=0.04, bytes_scanned=2048, objects_scanned=12,
                    skipped={"binary": 1})
    report.findings = [
        Finding(key=first, path="src/settings.py", line=12, column=15, where=Where.WORKTREE),
        Finding(key=second, path="config/prod.yaml", line=4, column=11, where=Where.WORKTREE),
        Finding(key=first, path=".env", line=1, column=18, where=Where.WORKTREE),
    ]
    return collect.finish(report)


def encoded_report(keys: KeyFactory) -> Report:
    """What `tokscan scan` makes of keys in every form the decoders read (SPEC §10): plain,
    base64, base64 of base64, UTF-16, in an archive's member (nested too) and in a binary
    file. The first key is found twice, plainly and in the archive."""
    plain, once, twice, utf16, binary, nested = (keys() for _ in range(6))
    report = Report(mode="files", root="/home/dev/project", started_at="2026-11-27T12:00:00+00:00",
                    duration_s=0.5, bytes_scanned=1_048_576, objects_scanned=42)
    report.findings = [
        Finding(key=plain, path="src/settings.py", line=12, column=15, where=Where.WORKTREE),
        Finding(key=once, path="k8s/secret.yaml", line=7, column=9, where=Where.WORKTREE,
                encoding=("base64",)),
        Finding(key=twice, path="deploy/values.yaml", line=3, column=11, where=Where.WORKTREE,
                encoding=("base64", "base64")),
        Finding(key=utf16, path="tools/run.ps1", line=2, column=14, where=Where.WORKTREE,
                encoding=("utf-16le",)),
        Finding(key=plain, path="dist/app.whl!app/settings.py", line=3, column=9,
                where=Where.WORKTREE, archive="dist/app.whl"),
        Finding(key=binary, path="assets/model.bin", line=5, column=40, where=Where.WORKTREE,
                byte_offset=1234),
        Finding(key=nested, path="build/bundle.zip!conf.tar.gz!conf/.env", line=2, column=5,
                where=Where.WORKTREE, encoding=("base64",), byte_offset=96,
                archive="build/bundle.zip"),
    ]
    return collect.finish(report)


# Reports built in memory for the CI-format tests (test_sarif, test_github, test_gitlab):
# real Finding records finished by the pipeline (so they carry advice), for shapes that a
# real scan makes slowly (thousands of findings) or not at all here (verified statuses).


def finding(key: str, path: str | None = "app.py", line: int = 1, column: int = 1,
            commit: str | None = None, status: Status = Status.UNVERIFIED,
            archive: str | None = None) -> Finding:
    """A finding; `archive` for one in an archive member (then `path` is `archive!member`)."""
    return Finding(key=key, path=path, line=line, column=column, archive=archive,
                   where=Where.HISTORY if commit else Where.WORKTREE, commit=commit,
                   author="Dev <dev@example.com>" if commit else None,
                   date="2023-11-14T22:13:20+00:00" if commit else None,
                   present_at_head=True if commit else None, status=status)


def report(*findings: Finding, errors: tuple[ScanError, ...] = (), mode: str = "files",
           fail_on_revoked: bool = False) -> Report:
    made = collect.new_report(mode, "/repo")
    made.findings.extend(findings)
    made.errors.extend(errors)
    made.fail_on_revoked = fail_on_revoked
    made.verified = any(f.status is not Status.UNVERIFIED for f in findings)
    return collect.finish(made)
