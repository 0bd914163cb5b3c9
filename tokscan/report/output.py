"""All of tokscan's output goes through here: the report to stdout or `--output`, the
GitHub job summary, and the one-line summary, warnings and errors to stderr where a person
will see them.

This is also where keys are kept in: whatever is written here is redacted
(`keyformat.redact_all`: everything key-shaped, wherever it came from) unless the caller
says it is a report the user asked to see whole with `--show-secrets`. A key can hide in
any string a renderer or a message quotes (a file or folder name, an author, a tag or
branch name, a command-line argument), so renderers need not know which strings might hold
one: they render, and nothing they return leaves tokscan unredacted. Messages on stderr
are always redacted.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from tokscan import keyformat, terminal
from tokscan.errors import TokscanError
from tokscan.model import Report
from tokscan.options import Options

# Machine formats and the module that renders each (imported only when chosen).
_RENDERERS = {
    "json": "tokscan.report.json",
    "sarif": "tokscan.report.sarif",
    "github": "tokscan.report.github",
    "gitlab": "tokscan.report.gitlab",
}


def emit(report: Report, options: Options) -> None:
    """Render the report in the chosen format and write it where the user asked."""
    machine = options.format != "text"
    to_file = options.output is not None
    body: Iterable[str]
    if machine:
        renderer = importlib.import_module(_RENDERERS[options.format])
        # Renderers that can hand out their report in pieces do: a report of many findings
        # is written as it is rendered, never held whole.
        chunks = getattr(renderer, "render_chunks", None)
        if chunks is not None:
            body = chunks(report, options.show_secrets)
        else:
            body = [renderer.render(report, options.show_secrets)]
    else:
        from tokscan.report import text

        color = not to_file and terminal.wants_color(sys.stdout)
        body = text.render_chunks(report, options.show_secrets, color=color,
                                  quiet=options.quiet)
    if to_file:
        assert options.output is not None
        write_file(options.output, body, secrets=options.show_secrets)
    else:
        for piece in body:
            write(sys.stdout, piece, secrets=options.show_secrets)
    annotations_shown = options.format == "github" and not to_file
    if options.annotate and not annotations_shown:  # the log shows them whatever the format
        from tokscan.report import github

        for piece in github.render_chunks(report, options.show_secrets):
            write(sys.stdout, piece, secrets=options.show_secrets)
    if options.format == "github" or options.annotate:
        _write_job_summary(report, options)
    if options.annotate:
        _write_step_outputs(report)
    if machine or to_file:
        tell_stderr(report, options)


def _write_step_outputs(report: Report) -> None:
    """The counts a workflow's later steps can test (`steps.<id>.outputs.failing`), for
    --annotate; appended to the file GitHub Actions names in GITHUB_OUTPUT."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    from tokscan.pipeline import policy

    lines = f"findings={len(report.findings)}\nfailing={policy.failing(report)}\n"
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(lines)
    except OSError as error:
        raise TokscanError(f"cannot write the step outputs {target}: {error.strerror}") from None


def _write_job_summary(report: Report, options: Options) -> None:
    """GitHub Actions shows the Markdown appended to this file on the run's page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from tokscan.report import github

    markdown = shown(github.summary(report, options.show_secrets) + "\n", options.show_secrets)
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    except OSError as error:
        raise TokscanError(f"cannot write the job summary {target}: {error.strerror}") from None


def tell_stderr(report: Report, options: Options, summary: bool = True) -> None:
    """On stderr, beside a report that has no place for them: errors, notes (unless
    --quiet), and the one-line summary when the report went to a file."""
    from tokscan.report import text

    paint = terminal.Painter(terminal.wants_color(sys.stderr))
    for error in report.errors:
        warn(f"cannot scan {terminal.printable(error.path or '-')}: {error.message}")
    if not options.quiet:  # the text report shows them; a machine format has no place for them
        for note in report.notes:
            warn(note)
    if summary and options.output is not None and not options.quiet:
        write(sys.stderr, text.summary(report, paint) + "\n")


def shown(body: str, secrets: bool = False) -> str:
    """`body` as tokscan may show it: with everything key-shaped redacted, unless `secrets`
    (a report rendered with --show-secrets, whose keys the user asked to see whole)."""
    return body if secrets else keyformat.redact_all(body)


def write_file(path: Path, body: str | Iterable[str], secrets: bool = False) -> None:
    """Write a report, given whole or in pieces (whole lines or whole records, so no key
    spans two), redacted unless `secrets` (--show-secrets: it holds raw keys, so the file
    is made 0600). Only a regular file is written (tokscan/outfile.py): replaced
    atomically, or created; a symbolic link is written through; a folder, device or FIFO
    is an error."""
    from tokscan import outfile

    pieces = [body] if isinstance(body, str) else body
    outfile.write_text(path, (shown(piece, secrets) for piece in pieces), private=secrets)


def write(stream: TextIO, body: str, secrets: bool = False) -> None:
    """Write to a terminal or pipe, redacted unless `secrets` (a --show-secrets report)."""
    body = shown(body, secrets)
    try:
        stream.write(body)
        stream.flush()
    except BrokenPipeError:  # `tokscan scan | head`: the reader has gone, which is fine
        pass
    except OSError as error:  # a full disk under `> report.json`: the report is lost
        if stream is sys.stderr:
            return  # nowhere left to say so; the exit code still tells
        raise TokscanError(f"cannot write the report: {error.strerror or error}") from None


def warn(message: str) -> None:
    write(sys.stderr, f"tokscan: {message}\n")


def write_err(text: str) -> None:
    write(sys.stderr, text)


def append_log(path: Path, line: str) -> None:
    """Append one line to a log file the administrator named (the pre-receive bypass log),
    redacted like every message. Only a regular file is written (created 0640 if absent);
    a log that cannot be written is an error, so an audited action never goes unrecorded."""
    import stat

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o640)
    except OSError as error:
        raise TokscanError(f"cannot write the log {path}: {error.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TokscanError(f"cannot write the log {path}: not a regular file")
        os.write(fd, (shown(line.rstrip("\n")) + "\n").encode("utf-8", "backslashreplace"))
    except OSError as error:
        raise TokscanError(f"cannot write the log {path}: {error.strerror}") from None
    finally:
        os.close(fd)
