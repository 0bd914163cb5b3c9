"""The report for people: findings grouped by key, what to do, and a one-line summary."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from tokscan.model import Finding, Report, Status, Where
from tokscan.pipeline import advice, policy
from tokscan.report import rule
from tokscan.terminal import Painter, plural, printable, size

_STATUS_STYLE = {
    Status.LIVE: ("red", "bold"),
    Status.UNKNOWN: ("yellow",),
    Status.REVOKED: ("green",),
    Status.UNVERIFIED: ("dim",),
}


def render(
    report: Report, show_secrets: bool = False, color: bool = False, quiet: bool = False
) -> str:
    """The whole report. With `quiet`, only the findings (with their advice) and errors:
    nothing for a clean scan, and no rotation steps, hints, notes or summary."""
    return "".join(render_chunks(report, show_secrets, color, quiet))


def render_chunks(
    report: Report, show_secrets: bool = False, color: bool = False, quiet: bool = False
) -> Iterator[str]:
    """`render`, in pieces: a report of a hundred thousand findings is written as it is
    rendered, not held whole in memory (a hostile repository must not exhaust a CI job)."""
    lines = _Lines(strip_leading=quiet)
    groups: dict[str, list[Finding]] = {}
    paint = Painter(color)
    for finding in report.findings:
        groups.setdefault(finding.fingerprint, []).append(finding)
    if groups:
        places = len(report.findings)
        keys = len(groups)
        lines.append(paint(_headline(report.mode, keys, places), "bold"))
        for findings in groups.values():
            lines.append("")
            lines.extend(_group(findings, show_secrets, report, paint))
            yield from lines.flush()
        if advice.rotation_advised(report.findings) and not quiet:
            lines.append("")
            lines.extend(rotation(paint, report.verified))
        if not quiet:
            lines.append("")
            lines.extend(_bypass(report.findings, report.mode))
    if report.errors:
        lines.append("")
        items = plural(len(report.errors), "item")
        lines.append(paint(f"Could not scan {items}; the scan is incomplete:", "red", "bold"))
        lines.extend(
            f"  {printable(e.path or '-')}: {printable(e.message)}" for e in report.errors
        )
    if report.pragmas_added:
        lines.append("")
        lines.extend(_pragmas(report, show_secrets, paint))
    if quiet:
        yield from lines.flush()
        return
    for note in report.notes:
        lines.append(paint(f"note: {printable(note)}", "dim"))
    verdict = advice.verdict(report)
    if verdict is not None:
        lines.append("")
        lines.append(paint(verdict, *_verdict_style(report)))
    if lines.started:
        lines.append("")
    lines.append(summary(report, paint))
    yield from lines.flush()


class _Lines:
    """Lines to print, handed out in pieces, each line ending in a newline. With
    `strip_leading`, the report's leading blank lines are dropped (a quiet report of
    errors only would start with them)."""

    def __init__(self, strip_leading: bool) -> None:
        self._pending: list[str] = []
        self._strip = strip_leading
        self.started = False  # whether any line has been added

    def append(self, line: str) -> None:
        self._pending.append(line)
        self.started = True

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.append(line)

    def flush(self) -> Iterator[str]:
        if not self._pending:
            return
        text = "\n".join(self._pending) + "\n"
        self._pending = []
        if self._strip:
            text = text.lstrip("\n")
        if text:
            self._strip = False
            yield text


def _headline(mode: str, keys: int, places: int) -> str:
    found = f"{plural(keys, 'TokModel API key')} in {plural(places, 'place')}"
    if mode == "staged":
        return f"tokscan blocked this commit: it adds {found}."
    if mode == "pre-push":
        return f"tokscan blocked this push: it sends {found}."
    if mode == "pre-receive":
        return f"tokscan rejected this push: it brings {found}."
    if mode == "commit-msg":
        return f"tokscan blocked this commit: its message holds {found}."
    return f"tokscan found {found}."


# Skip reasons that are things, counted as nouns ("14 submodules"); the others are
# adjectives and read as they are ("500 excluded", "1 missing").
_SKIPPED_NOUNS = {
    "binary": ("binary file", "binary files"),
    "symlink": ("symlink", "symlinks"),
    "special file": ("special file", "special files"),
    "submodule": ("submodule", "submodules"),
    "git directory": ("git directory", "git directories"),
}


def _skipped(number: int, why: str) -> str:
    one, many = _SKIPPED_NOUNS.get(why, (why, why))
    return f"{number:,} {one if number == 1 else many}"


def summary(report: Report, paint: Painter | None = None) -> str:
    """One line: what was found, what was scanned, what was skipped."""
    paint = paint or Painter(False)
    keys = len({f.fingerprint for f in report.findings})
    if report.findings:
        head = f"{plural(keys, 'key')} in {plural(len(report.findings), 'place')}"
        failing = policy.failing(report)
        if failing != len(report.findings):
            head += f" ({failing} failing the run)"
        head = paint(head, "red", "bold")
    else:
        head = paint("No TokModel API keys found", "green")
    parts = [head]
    if report.suppressed_total:
        reasons = ", ".join(f"{n} by {why}" for why, n in sorted(report.suppressed_by().items()))
        parts.append(f"{report.suppressed_total} suppressed ({reasons})")
    if report.verified:
        counts = [
            f"{report.count_status(s)} {s.value}"
            for s in (Status.LIVE, Status.UNKNOWN, Status.REVOKED)
            if report.count_status(s)
        ]
        if counts:
            parts.append(", ".join(counts))
    unit = "file" if report.mode == "files" else "object"
    parts.append(f"{plural(report.objects_scanned, unit)}, {size(report.bytes_scanned)} scanned")
    if report.skipped:
        parts.append(
            "skipped " + ", ".join(_skipped(n, why) for why, n in sorted(report.skipped.items()))
        )
    if report.errors:
        parts.append(paint(f"{plural(len(report.errors), 'error')}: incomplete", "red"))
    parts.append(f"{report.duration_s:.2f}s")
    return " · ".join(parts)


def _group(
    findings: list[Finding], show_secrets: bool, report: Report, paint: Painter
) -> list[str]:
    first = findings[0]
    header = paint(first.secret(show_secrets), "red", "bold")
    if report.verified:
        header += "  " + paint(first.status.value, *_STATUS_STYLE[first.status])
        if first.status_detail:
            header += paint(f" ({first.status_detail})", "dim")
    header += paint(f"  fingerprint {first.fingerprint[:12]}", "dim")
    lines = [header]
    for finding in findings:
        path = printable(finding.path) if finding.path is not None else "(commit message)"
        where = f"{path}:{finding.line}:{finding.column}"
        extra = rule.how(finding)  # `(base64 → base64)`, `(utf-16le, byte 1234)`
        if finding.commit:
            extra += f"  commit {finding.commit[:12]}"
            if finding.author:  # from the repository: it could hold terminal escapes
                extra += f" by {printable(finding.author)}"
            if finding.date:
                extra += f" on {finding.date[:10]}"
        lines.append("  " + paint(where, "bold") + paint(extra, "dim"))
        if finding.refs_at_tip:
            lines.append("    " + paint(f"still in: {_refs(finding.refs_at_tip)}", "yellow"))
    for text in dict.fromkeys(f.advice for f in findings):
        lines.extend(paint(line, "yellow") for line in wrap(text, "  → ", "    "))
    return lines


_REFS_SHOWN = 8  # a key at the tip of hundreds of branches: the JSON report lists them all


def _refs(names: tuple[str, ...]) -> str:
    shown = ", ".join(printable(name) for name in names[:_REFS_SHOWN])
    more = len(names) - _REFS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _pragmas(report: Report, show_secrets: bool, paint: Painter) -> list[str]:
    """`tokscan ci`: the `tokscan:allow` lines the change adds, for a reviewer to check."""
    count = plural(len(report.pragmas_added), "`tokscan:allow` pragma")
    lines = [paint(f"Review: this change adds {count} (each suppresses the findings on its "
                   "line; check that they are false positives):", "yellow", "bold")]
    for site in report.pragmas_added:
        where = "(commit message)"
        if site.path is not None:
            where = f"{printable(site.path)}:{site.line}"
        extra = f"  commit {site.commit[:12]}" if site.commit else ""
        if site.finding is not None:
            extra += f"  hides {site.finding.secret(show_secrets)}"
        lines.append("  " + paint(where, "bold") + paint(extra, "dim"))
    return lines


def rotation(paint: Painter, verified: bool = True) -> list[str]:
    """TokModel's rotation steps, in order (also used by `tokscan verify`)."""
    lines = [paint("How to rotate a leaked key (in this order, so nothing breaks):", "bold")]
    for number, step in enumerate(advice.ROTATION_STEPS, 1):
        lines.extend(wrap(step, f"  {number}. ", "     "))
    if not verified:
        lines.append("Not sure a key still works? Run again with --verify to ask TokModel.")
    return lines


def _verdict_style(report: Report) -> tuple[str, ...]:
    if advice.needs_rotation(f.status for f in report.findings):
        return ("red", "bold")
    return ("green",)


def _bypass(findings: list[Finding], mode: str) -> list[str]:
    """How to silence a false positive: the `tokscan:allow` pragma only where one can help,
    a line of a file on disk or in the staged change (not a commit, a name or an archive);
    on a server, its administrators' allowlist (never a pushed .tokscan.yaml)."""
    if mode == "pre-receive":
        return wrap(
            "Not a real key? Put `tokscan:allow` in a comment on that line, or ask this "
            "server's administrators to add its fingerprint to the server's allowlist (a "
            ".tokscan.yaml in the pushed commits does not count here)."
        )
    pragma = any(
        f.where in (Where.WORKTREE, Where.STAGED)
        and f.path is not None and not f.in_name and f.archive is None
        for f in findings
    )
    if pragma:
        return wrap(
            "Not a real key? Put `tokscan:allow` in a comment on that line, or add its "
            "fingerprint to `allow` in .tokscan.yaml (see README)."
        )
    return wrap(
        "Not a real key? Add its fingerprint to `allow` in .tokscan.yaml, or record it in a "
        "baseline with --write-baseline (see README)."
    )


WIDTH = 88  # wide enough for paths, narrow enough to read; fixed, so reports are stable


def wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    """`text` in lines of at most WIDTH characters, after the prefixes `first` and `rest`."""
    return list(_wrap(text, first, rest))


@lru_cache(maxsize=256)  # a report repeats a few advice texts many thousand times
def _wrap(text: str, first: str, rest: str) -> tuple[str, ...]:
    import textwrap

    return tuple(textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    ))  # fmt: skip
