"""`tokscan verify`: is this key still live? Keys come from standard input, one a line.

Never from arguments: a command line lands in shell history and in process lists (`ps`),
where other users and tools can read it. Surrounding text is fine, so the output of
`grep` or `tokscan scan --show-secrets` can be piped in; each distinct key is probed once,
and always afresh (not from the cache), since this is how a user confirms a revocation.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, BinaryIO

from tokscan import keyformat, terminal
from tokscan.errors import ExitCode, TokscanError
from tokscan.options import Options
from tokscan.pipeline import policy
from tokscan.report import output
from tokscan.sources import files

if TYPE_CHECKING:
    from tokscan.model import Verdict

NO_ARGUMENTS = (
    "tokscan verify reads keys from standard input, never from arguments: a command line "
    "is saved in your shell history and shown to other users in process lists. Use e.g. "
    "`tokscan verify < keys.txt`, or run `tokscan verify`, paste the keys and press Ctrl-D."
)


def run(
    options: Options, arguments: list[str], stdin: BinaryIO | None = None, prompt: bool = True
) -> ExitCode:
    """`prompt`: ask for keys when standard input is a terminal (off with --no-prompt or
    -q). With -q the report is the table and the verdict, without the rotation steps."""
    if arguments:
        raise TokscanError(_refusal(arguments))
    from tokscan.verify import api_base, checker

    base = api_base.resolve(options.api_base)
    stream = stdin if stdin is not None else sys.stdin.buffer
    if _isatty(stream):
        if prompt:
            output.warn("paste keys, one a line, then press Ctrl-D")
        # Read to the first end of file: a terminal gives one per Ctrl-D, and the chunked
        # reader below would wait for a second one.
        stream = io.BytesIO(stream.read())
    outcome = files.scan_stdin(stream)
    if outcome.error is not None:
        raise TokscanError(f"cannot read standard input: {outcome.error}")
    keys = list(dict.fromkeys(candidate.key for candidate in outcome.candidates))
    if not keys:
        raise TokscanError(
            "no TokModel API key found on standard input "
            "(a key is tm- followed by 32 letters and digits)"
        )
    verdicts = checker.check(keys, base, fresh=True)
    rows = [(key, verdicts[key]) for key in keys]
    _emit(rows, base, options)
    return policy.verify_exit_code(verdict.status for _, verdict in rows)


def _emit(rows: list[tuple[str, Verdict]], base: str, options: Options) -> None:
    from tokscan.report import verify as renderer

    if options.format == "json":
        body = renderer.render_json(rows, base, options.show_secrets)
    else:
        color = options.output is None and terminal.wants_color(sys.stdout)
        body = renderer.render_text(rows, options.show_secrets, color, options.quiet)
    if options.output is not None:
        output.write_file(options.output, body, secrets=options.show_secrets)
    else:
        output.write(sys.stdout, body, secrets=options.show_secrets)


def _refusal(arguments: list[str]) -> str:
    if any(keyformat.find_in_text(argument) for argument in arguments):
        return (
            f"{NO_ARGUMENTS} The key you typed is now in your shell history: delete it from "
            "there (and rotate the key if others use this machine)."
        )
    if any(keyformat.PREFIX.decode() in argument for argument in arguments):
        return NO_ARGUMENTS  # something key-like: do not echo it
    return f"unexpected argument {arguments[0]!r}. {NO_ARGUMENTS}"


def _isatty(stream: BinaryIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
