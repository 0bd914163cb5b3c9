"""All of tokscan's output goes through here: the report to stdout or `--output`, and the
one-line summary and errors to stderr where a person will see them."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TextIO

from tokscan import terminal
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
    if machine:
        renderer = importlib.import_module(_RENDERERS[options.format])
        body = renderer.render(report, options.show_secrets)
    else:
        from tokscan.report import text

        color = not to_file and terminal.wants_color(sys.stdout)
        body = text.render(report, options.show_secrets, color=color, quiet=options.quiet)
    if to_file:
        assert options.output is not None
        write_file(options.output, body, private=options.show_secrets)
    elif body:
        write(sys.stdout, body)
    if options.format == "github":
        _write_job_summary(report, options)
    if machine or to_file:
        _tell_stderr(report, options)


def _write_job_summary(report: Report, options: Options) -> None:
    """GitHub Actions shows the Markdown appended to this file on the run's page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from tokscan.report import github

    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(github.summary(report, options.show_secrets) + "\n")
    except OSError as error:
        raise TokscanError(f"cannot write the job summary {target}: {error.strerror}") from None


def _tell_stderr(report: Report, options: Options) -> None:
    from tokscan.report import text

    paint = terminal.Painter(terminal.wants_color(sys.stderr))
    for error in report.errors:
        warn(f"cannot scan {terminal.printable(error.path or '-')}: {error.message}")
    if not options.quiet:  # the text report shows them; a machine format has no place for them
        for note in report.notes:
            warn(note)
    if options.output is not None and not options.quiet:
        write(sys.stderr, text.summary(report, paint) + "\n")


def write_file(path: Path, body: str, private: bool = False) -> None:
    """Write a report; `private` (it holds raw keys: --show-secrets) makes it 0600. Only a
    regular file is written (tokscan/outfile.py): replaced atomically, or created; a
    symbolic link is written through; a folder, device or FIFO is an error."""
    from tokscan import outfile

    outfile.write_text(path, body, private=private)


def write(stream: TextIO, body: str) -> None:
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
