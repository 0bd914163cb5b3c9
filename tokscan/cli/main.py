"""The console script and `python -m tokscan`.

`tokscan staged` runs on every commit, so it has a route that does not import click: a
small parser for exactly the options it takes. Anything it does not recognise (help, a
typo, an odd spelling) goes to the click command line, which gives the proper message.
tests/test_entry.py checks that both routes turn the same arguments into the same options.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokscan.options import Options

_FLAGS = {
    "--verify": ("verify", True),
    "--no-verify": ("verify", False),
    "--show-secrets": ("show_secrets", True),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "--progress": ("progress", True),
    "--no-progress": ("progress", False),
    "--fail-on-revoked": ("fail_on_revoked", True),
}
_VALUES = {
    "-f": "format",
    "--format": "format",
    "-o": "output",
    "--output": "output",
    "--api-base": "api_base",
    "--baseline": "baseline",
    "--write-baseline": "write_baseline",
    "--jobs": "jobs",
}
_PATHS = ("output", "baseline", "write_baseline")
# The commands with a fast route, and the switches of their own that it understands.
# `scan` takes paths too; it is here because a scan of a big tree should not pay for click.
FAST_COMMANDS = {"staged": (), "scan": ("--all-files", "--binary")}


class FastCall:
    """A command line the fast route understood."""

    __slots__ = ("command", "directory", "options", "paths", "switches")

    def __init__(self, command: str, options: Options, directory: str | None,
                 paths: list[str], switches: set[str]) -> None:
        self.command = command
        self.options = options
        self.directory = directory  # -C
        self.paths = paths  # positional arguments (scan)
        self.switches = switches  # the command's own flags that were given


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    _tolerate_any_encoding()
    from tokscan.errors import TokscanError

    try:
        parsed = parse_fast(args)
        if parsed is not None:
            return _run_fast(parsed)
        from tokscan.cli.app import main as cli_main

        return cli_main(args)
    except TokscanError as error:  # an expected failure: its message, never a traceback
        sys.stderr.write(f"tokscan: {error.message}\n")
        return int(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("tokscan: interrupted\n")
        return 130
    except Exception as error:  # a bug: still exit 2 (not 1, which means "keys found")
        if os.environ.get("TOKSCAN_DEBUG"):
            raise
        from tokscan import key

        sys.stderr.write(
            f"tokscan: internal error: {type(error).__name__}: {key.redact_all(str(error))}\n"
            "This is a bug in tokscan; TOKSCAN_DEBUG=1 shows the traceback. The scan did not "
            "complete.\n"
        )
        return 2


def _tolerate_any_encoding() -> None:
    """A terminal or pipe that is not UTF-8 (a cp1252 console, PYTHONIOENCODING=ascii) gets
    `\\u2026` for what it cannot show instead of a crash; JSON stays valid either way."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def parse_fast(args: list[str]) -> FastCall | None:
    """The parsed command line of a fast command, or None to use click."""
    from tokscan.options import FORMATS, Options

    directory = None
    config = None
    i = 0
    while i < len(args) and args[i] in ("-C", "--config"):
        if i + 1 >= len(args):
            return None
        if args[i] == "-C":
            directory = args[i + 1]
        else:
            config = args[i + 1]
        i += 2
    if i >= len(args) or args[i] not in FAST_COMMANDS:
        return None
    command = args[i]
    values: dict[str, object] = {}
    paths: list[str] = []
    switches: set[str] = set()
    takes_paths = bool(FAST_COMMANDS[command])
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        arg = rest[j]
        name, _, inline = arg.partition("=")
        if takes_paths and arg == "--":
            paths.extend(rest[j + 1 :])
            break
        if takes_paths and (arg == "-" or not arg.startswith("-")):
            paths.append(arg)
        elif arg in FAST_COMMANDS[command]:
            switches.add(arg)
        elif arg in _FLAGS:
            field, value = _FLAGS[arg]
            values[field] = value
        elif name in _VALUES and (inline or "=" in arg or j + 1 < len(rest)):
            if "=" in arg and name.startswith("--"):
                value_text = inline
            elif "=" in arg:
                return None
            else:
                j += 1
                value_text = rest[j]
            values[_VALUES[name]] = value_text
        else:
            return None
        j += 1
    if values.get("format", "text") not in FORMATS:
        return None
    if "jobs" in values:
        text = str(values["jobs"])
        if not text.isdigit() or int(text) < 1:
            return None
        values["jobs"] = int(text)
    for field in _PATHS:  # pathlib is imported only when a path was given: it is not cheap
        if field in values:
            if not values[field]:
                return None
            from pathlib import Path

            values[field] = Path(str(values[field]))
    if "api_base" not in values and os.environ.get("TOKSCAN_API_BASE"):
        values["api_base"] = os.environ["TOKSCAN_API_BASE"]
    if config is not None:
        from pathlib import Path

        values["config"] = Path(config).absolute()
    options = Options(**values)  # type: ignore[arg-type]
    return FastCall(command, options, directory, paths, switches)


def _run_fast(call: FastCall) -> int:
    if call.directory is not None:
        change_directory(call.directory)
    if call.options.api_base is not None:  # as early as on the click route
        from tokscan.verify import api_base

        api_base.check(call.options.api_base)
    if call.command == "scan":
        from tokscan.commands import scan

        return scan.run(
            call.options, call.paths, "--all-files" in call.switches, "--binary" in call.switches
        )
    from tokscan.commands import staged

    return staged.run(call.options)


def change_directory(directory: str | os.PathLike[str]) -> None:
    """-C, as git has it, on both routes."""
    from tokscan.errors import TokscanError

    try:
        os.chdir(directory)
    except OSError as error:
        raise TokscanError(f"cannot change to {directory}: {error.strerror}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
