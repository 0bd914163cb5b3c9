"""From outcomes to a report: suppression, de-duplication, ordering and advice.

Sources produce `Outcome`s (what scanning one object gave). The collector turns their
candidates into findings, drops the suppressed ones (counting them), records what was
skipped or could not be read, and `finish` puts the report in its final order.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from time import gmtime, strftime

from tokscan.model import (
    Finding,
    Outcome,
    Report,
    ScanError,
    Where,
    printable_path,
)
from tokscan.pipeline import advice
from tokscan.pipeline.suppress import Suppressor


def new_report(mode: str, root: str, revisions: Iterable[str] = ()) -> Report:
    """An empty report. The root is shown like every other path: bytes in its name that
    are not UTF-8 as `\\xNN`, so that every format can be written."""
    # What datetime.now(timezone.utc).isoformat(timespec="seconds") gives, without
    # importing datetime at every start.
    started = strftime("%Y-%m-%dT%H:%M:%S+00:00", gmtime())
    report = Report(
        mode=mode, root=printable_path(root), started_at=started, revisions=list(revisions)
    )
    report.duration_s = -time.monotonic()  # finish() turns this into the elapsed time
    return report


class Collector:
    """Accumulates outcomes into a report."""

    def __init__(self, report: Report, suppressor: Suppressor) -> None:
        self.report = report
        self.suppressor = suppressor
        self._seen: set[tuple[object, ...]] = set()

    def add(
        self,
        outcome: Outcome,
        where: Where,
        *,
        tally: bool = True,
        excluded: bool = False,
        **context: object,
    ) -> list[Finding]:
        """Record one outcome; `context` fills finding fields such as commit and author.
        Returns the findings that were kept. With `tally=False` the outcome's object is
        not counted (a source that counts in bulk calls `count`). With `excluded`, the
        path matched the config's `exclude`: its findings are counted as suppressed, so a
        configuration cannot hide keys without a trace."""
        report = self.report
        if outcome.error is not None:  # what could be read still counts (an archive's members)
            report.errors.append(ScanError(outcome.origin.path, outcome.error))
            if not outcome.candidates:
                return []
        if outcome.skipped is not None:
            report.skipped[outcome.skipped] = report.skipped.get(outcome.skipped, 0) + 1
            return []
        if tally:
            report.objects_scanned += 1
            report.bytes_scanned += outcome.size
        kept = []
        for candidate in outcome.candidates:
            path = archive = outcome.origin.path
            if candidate.inner_path and path is not None:  # `dist/app.whl!app/settings.py`
                path = member_path(path, candidate.inner_path)
            else:
                archive = None
            finding = Finding(
                key=candidate.key,
                path=path,
                line=candidate.line,
                column=candidate.column,
                where=where,
                commit=outcome.origin.commit,
                encoding=candidate.encoding,
                byte_offset=candidate.byte_offset,
                archive=archive,
                in_name=candidate.in_name,
                **context,  # type: ignore[arg-type]
            )
            identity = (
                finding.key, finding.path, finding.commit, finding.line, finding.column,
                finding.in_name,
            )  # fmt: skip
            if identity in self._seen:
                continue
            self._seen.add(identity)
            reason = "exclude" if excluded else self.suppressor.reason(finding, candidate.pragma)
            if reason is not None:
                report.suppressed.append((reason, finding))
                continue
            report.findings.append(finding)
            kept.append(finding)
        return kept

    def count(self, objects: int, size: int, skipped: dict[str, int] | None = None) -> None:
        """Count objects scanned (and skipped, by reason) in bulk."""
        self.report.objects_scanned += objects
        self.report.bytes_scanned += size
        for reason, number in (skipped or {}).items():
            self.report.skipped[reason] = self.report.skipped.get(reason, 0) + number

    def error(self, path: str | None, message: str) -> None:
        self.report.errors.append(ScanError(path, message))


def finish(report: Report) -> Report:
    """Order findings and errors, give each finding its advice, and stop the clock."""
    report.findings.sort(  # a key in a path's name before the keys in its content
        key=lambda f: (
            f.path is None, f.path or "", f.commit or "", f.line, f.column, not f.in_name
        )
    )
    report.errors.sort(key=lambda e: (e.path or "", e.message))
    for finding in report.findings:
        finding.advice = advice.advise(finding)
    if report.duration_s < 0:
        report.duration_s = round(time.monotonic() + report.duration_s, 3)
    return report


def member_path(path: str, inner: tuple[str, ...]) -> str:
    """A path inside an archive: the archive's, `!`, then the member's, for each level
    (`a.zip!b.tar.gz!c/.env`). A compressed file that does not record its member's name
    (gzip without FNAME, bzip2, xz) holds its own name less the suffix (`config.json.gz`
    holds `config.json`)."""
    parts = [path]
    for name in inner:
        parts.append(name or _uncompressed_name(parts[-1]))
    return "!".join(parts)


def _uncompressed_name(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    for suffix, instead in ((".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".bz2", ""),
                            (".xz", "")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + instead
    return name
