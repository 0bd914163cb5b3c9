"""`tokscan commit-msg FILE`: a key in the message of the commit being made (git's commit-msg
hook, which passes the file that holds the message).

It runs on every commit, like `tokscan staged`, and has the same fast route: the message
is read and searched for the key prefix (and its encoded forms), and a clean message exits
at once, without reading the configuration or loading the data model. Below git's scissors
line (`git commit -v`) is the staged diff, not the message: the pre-commit hook judges that
(only the diff is left out: see `_without_verbose_diff`).
"""

from __future__ import annotations

from tokscan import keyformat
from tokscan.errors import ExitCode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokscan.options import Options

# `git commit -v` appends the diff below this line; git drops it from the message.
SCISSORS = b"# ------------------------ >8 ------------------------\n"


def run(options: Options, message_file: str) -> ExitCode:
    message = _without_verbose_diff(_read(message_file))
    plain = options.format == "text" and options.write_baseline is None and options.output is None
    if plain and not keyformat.may_hold_key(message):
        return ExitCode.CLEAN
    return _report(options, message)


def _without_verbose_diff(message: bytes) -> bytes:
    """The message without the staged diff that `git commit -v` appends below its scissors
    line. Only the diff is left out: git drops what follows the line only with `-v` (or
    `--cleanup=scissors`), which the hook cannot see, so text typed below a scissors line
    (`git commit -m`, which keeps it, `#` lines included) is scanned."""
    if message.startswith(SCISSORS):
        below = len(SCISSORS)
    else:
        found = message.find(b"\n" + SCISSORS)
        if found < 0:
            return message
        below = found + 1 + len(SCISSORS)
    diff = message.find(b"\ndiff --git ", below - 1)
    return message if diff < 0 else message[: diff + 1]


def _read(message_file: str) -> bytes:
    try:
        with open(message_file, "rb") as handle:
            return handle.read()
    except OSError as error:
        from tokscan.errors import TokscanError

        raise TokscanError(
            f"cannot read the commit message {message_file}: {error.strerror}"
        ) from None


def _report(options: Options, message: bytes) -> ExitCode:
    import os

    from tokscan import detect
    from tokscan.commands.session import Session
    from tokscan.git.repository import work_tree_top
    from tokscan.model import Chunk, Origin, Outcome, Where

    root = work_tree_top() or os.getcwd()  # the work tree's .tokscan.yaml: its allowlist
    session = Session.open(options, "commit-msg", root)
    origin = Origin(None)
    candidates = list(detect.find(Chunk(message, origin)))
    outcome = Outcome(origin, candidates=candidates, size=len(message))
    session.collector.add(outcome, Where.MESSAGE, present_at_head=False)
    return session.conclude(quiet_when_clean=True)
