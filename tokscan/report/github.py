"""GitHub Actions (`--format github`): workflow-command annotations for the job log, and a
Markdown job summary (written by output.py to the file `GITHUB_STEP_SUMMARY` names).

A key in a member of an archive is annotated on the archive (`file=dist/app.whl`), the
file the repository holds; the message names the member (`dist/app.whl!app/settings.py`)
and, for a key found encoded or in a binary file, how it was found.

Everything here comes from the repository under review (paths, author names), so every
value is escaped as GitHub's toolkit does: in a command's message `%`, CR and LF become
`%25`, `%0D`, `%0A`; in a property value `:` and `,` become `%3A`, `%2C` as well. No line
this module prints can therefore start a workflow command of the repository's choosing.
Other control characters (ESC, BEL, C1 controls, DEL, bidirectional overrides) are shown
as the text report shows them (`\\x1b`: terminal.printable), in annotations and in the job
summary, so that neither a terminal nor the job log obeys them.
GitHub shows at most 10 error annotations a step; the log keeps every line, and a notice
says so when there are more.
"""

from __future__ import annotations

from collections.abc import Iterator

from tokscan.model import Finding, PragmaSite, Report
from tokscan.pipeline import advice, policy
from tokscan.report import rule
from tokscan.terminal import plural, printable

ANNOTATIONS_SHOWN = 10  # GitHub's limit on error (and on warning) annotations per step
SUMMARY_ROWS = 500  # the job summary holds at most 1 MiB; this keeps it far below


def escape_data(text: str) -> str:
    text = printable(text, keep="\r\n")  # line breaks are GitHub's to escape, and decode back
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line, e.g. `::error file=a.py,line=3::message`."""
    values = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + values if values else ''}::{escape_data(message)}"


def render(report: Report, show_secrets: bool = False) -> str:
    return "".join(render_chunks(report, show_secrets))


def render_chunks(report: Report, show_secrets: bool = False) -> Iterator[str]:
    """`render`, a line at a time: a report of many findings is never held whole."""
    for finding in report.findings:
        yield _annotation(finding, report, show_secrets) + "\n"
    lines = []
    for error in report.errors:
        message = f"{error.path or '-'}: {error.message}"
        lines.append(command("error", message, title="tokscan could not finish the scan"))
    for site in report.pragmas_added:
        lines.append(_pragma_annotation(site, show_secrets))
    failing = sum(1 for f in report.findings if policy.fails(f, report))
    if failing + len(report.errors) > ANNOTATIONS_SHOWN:
        message = (
            f"GitHub shows {ANNOTATIONS_SHOWN} error annotations a step; all "
            f"{len(report.findings)} findings are in this log and in the job summary."
        )
        lines.append(command("notice", message))
    lines.append(escape_data(_summary_line(report)))
    yield "\n".join(lines) + "\n"


def _annotation(finding: Finding, report: Report, show_secrets: bool) -> str:
    level = "error" if policy.fails(finding, report) else "warning"
    title = rule.title(finding, show_secrets)
    found = f"{title}{rule.how(finding)}"  # `… (base64 → base64)` for a key found encoded
    rest = f"{rule.where(finding)}. {finding.advice}"
    if finding.path is None:
        return command(level, f"In a commit message: {found}{rest}", title=title)
    if rule.in_archive(finding):
        # The annotation goes on the archive, a file of the repository; the message says
        # where in it (`dist/app.whl!app/settings.py:3:9`).
        place = f" in {finding.path}:{finding.line}:{finding.column}"
        return command(
            level, f"{found}{place}{rest}", file=rule.file_path(finding), title=title
        )
    if finding.in_name:  # on the file (or folder) as a whole: no line of it holds the key
        return command(level, f"{found} in {finding.path}{rest}", file=finding.path, title=title)
    span = rule.span(finding)
    return command(
        level,
        f"{found}{rest}",
        file=finding.path,
        line=finding.line,
        col=finding.column,
        endColumn=None if span is None else finding.column + span,
        title=title,
    )


def _pragma_annotation(site: PragmaSite, show_secrets: bool) -> str:
    hides = f" It hides {site.finding.secret(show_secrets)}." if site.finding else ""
    text = (
        "This change adds a tokscan:allow pragma, which suppresses findings on its line."
        f"{hides} Check that it is a false positive."
    )
    title = "tokscan:allow added"
    if site.path is None:
        return command("warning", text, title=title)
    return command("warning", text, file=site.path, line=site.line, title=title)


def _summary_line(report: Report) -> str:
    from tokscan.report import text

    return "tokscan: " + text.summary(report)


# --- The job summary (Markdown) --------------------------------------------------------


def summary(report: Report, show_secrets: bool = False) -> str:
    """The job summary: what was scanned, each finding, what to do."""
    lines = ["## tokscan", ""]
    if report.range is not None:
        scanned = report.range
        lines.append(f"Scanned {plural(scanned.commits, 'commit')}: {md(scanned.reason)}.")
        if scanned.base:
            lines.append(f"Configuration, allowlist and baseline from `{scanned.base[:12]}`.")
        lines.append("")
    lines.extend(_findings_section(report, show_secrets))
    if report.suppressed_total:
        reasons = ", ".join(f"{n} by {why}" for why, n in sorted(report.suppressed_by().items()))
        lines += [f"{report.suppressed_total} suppressed ({reasons}).", ""]
    lines.extend(_pragmas_section(report, show_secrets))
    if report.errors:
        lines += [f"**The scan is incomplete:** {plural(len(report.errors), 'error')}.", ""]
        lines += [f"- {md(e.path or '-')}: {md(e.message)}" for e in report.errors[:SUMMARY_ROWS]]
        lines.append("")
    return "\n".join(lines)


def _findings_section(report: Report, show_secrets: bool) -> list[str]:
    if not report.findings:
        return ["No TokModel API keys found.", ""]
    keys = len({f.fingerprint for f in report.findings})
    failing = policy.failing(report)
    head = f"**{plural(keys, 'TokModel API key')} in {plural(len(report.findings), 'place')}**"
    head += f" ({failing} failing the build)." if failing != len(report.findings) else "."
    lines = [head, "", "| Key | Where | Commit | Status |", "|---|---|---|---|"]
    for finding in report.findings[:SUMMARY_ROWS]:
        place = "(commit message)"
        if finding.path is not None:
            place = f"{finding.path}:{finding.line}:{finding.column}"
        place += rule.how(finding)  # ` (base64 → base64)`, ` (byte 1234)`
        commit = f"`{finding.commit[:12]}`" if finding.commit else ""
        if finding.commit and finding.author:
            commit += f" {md(finding.author)}"
        key = f"`{finding.secret(show_secrets)}`"
        lines.append(f"| {key} | {md(place)} | {commit} | {finding.status.value} |")
    if len(report.findings) > SUMMARY_ROWS:
        lines.append(f"| … | {len(report.findings) - SUMMARY_ROWS} more in the job log | | |")
    lines += [
        "",
        "**Rotate every leaked key** (removing it from the code does not un-leak it):",
        "",
    ]
    lines += [f"{n}. {step}" for n, step in enumerate(advice.ROTATION_STEPS, 1)]  # our own text
    lines.append("")
    return lines


def _pragmas_section(report: Report, show_secrets: bool) -> list[str]:
    if not report.pragmas_added:
        return []
    count = plural(len(report.pragmas_added), "`tokscan:allow` pragma")
    lines = [f"**Review:** this change adds {count}:", ""]
    for site in report.pragmas_added[:SUMMARY_ROWS]:
        place = f"{site.path}:{site.line}" if site.path is not None else "(commit message)"
        hides = f" hides `{site.finding.secret(show_secrets)}`" if site.finding else ""
        commit = f" in `{site.commit[:12]}`" if site.commit else ""
        lines.append(f"- {md(place)}{commit}{hides}")
    lines.append("")
    return lines


_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-!|~&"


def md(text: str) -> str:
    """Text from the repository, inert in Markdown: special characters escaped, line breaks
    shown as `↵` (a table row must stay on one line), other control characters as the text
    report shows them.

    A `-` right after a letter or digit is left alone: it can start nothing there (lists,
    rules and table delimiters start a line), and escaping it would split a key-shaped
    name (`tm\\-…`) so that the redaction of everything written (report/output.py) could
    not see it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "↵")
    text = printable(text)  # `\x1b` for ESC, its backslash then escaped for Markdown
    return "".join(
        "\\" + c
        if c in _MARKDOWN_SPECIAL and not (c == "-" and i and text[i - 1].isalnum())
        else c
        for i, c in enumerate(text)
    )

