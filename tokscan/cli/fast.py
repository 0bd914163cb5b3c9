"""The hooks' parser: `tokscan staged`, `commit-msg FILE` (and `scan`) without importing click.

`tokscan staged` runs on every commit, so it has a route that costs no more than the
options it reads. This parser is built from the same table as the click application
(tokscan/options.py) and understands exactly the spellings click would accept for those
commands; anything else (help, a typo, an odd spelling) returns None and goes to click,
which gives the proper message. tests/cli/test_fast.py checks that both routes turn the
same arguments into the same options.
"""

from __future__ import annotations

import os

from tokscan.options import GLOBAL_OPTIONS, OUTPUT_OPTIONS, SWITCHES, Option

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tokscan.options import Options


class FastCall:
    """A command line the fast route understood."""

    __slots__ = ("command", "directory", "options", "paths", "switches")

    def __init__(self, command: str, options: Options, directory: str | None,
                 paths: list[str], switches: set[str]) -> None:
        self.command = command
        self.options = options
        self.directory = directory  # -C
        self.paths = paths  # positional arguments (scan)
        self.switches = switches  # the fields of the command's own flags that were given


_BY_NAME: dict[str, Option] = {name: o for o in OUTPUT_OPTIONS for name in o.names}
_NEGATIVE: dict[str, Option] = {o.negative: o for o in OUTPUT_OPTIONS if o.negative}
_GLOBAL: dict[str, Option] = {name: o for o in GLOBAL_OPTIONS for name in o.names}


def parse(args: list[str]) -> FastCall | None:
    """The parsed command line of a fast command, or None to use click."""
    globals_: dict[str, str] = {}
    i = 0
    while i < len(args):
        taken = _global(args, i, globals_)
        if taken is None:
            return None
        if not taken:
            break
        i += taken
    if i >= len(args) or args[i] not in FAST_COMMANDS:
        return None
    command = args[i]
    switches_by_name = {name: o for o in SWITCHES[command] for name in o.names}
    takes_paths = command in _TAKE_PATHS
    values: dict[str, object] = {}
    paths: list[str] = []
    switches: set[str] = set()
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        arg = rest[j]
        name, equals, inline = arg.partition("=")
        option = _BY_NAME.get(name)
        if takes_paths and arg == "--":
            paths.extend(rest[j + 1 :])
            break
        taken = _global(rest, j, globals_)  # -C and --config after the command too
        if taken is None:
            return None
        if taken:
            j += taken
            continue
        if takes_paths and (arg == "-" or not arg.startswith("-")):
            paths.append(arg)
        elif arg in switches_by_name:
            switches.add(switches_by_name[arg].field)
        elif arg in _NEGATIVE:
            values[_NEGATIVE[arg].field] = False
        elif option is not None and option.kind == "flag" and not equals:
            values[option.field] = True
        elif option is not None and option.kind != "flag":
            if equals and not name.startswith("--"):
                return None  # -f=json: click reads that differently
            if not equals:
                if j + 1 >= len(rest):
                    return None
                j += 1
                inline = rest[j]
            value = _convert(option, inline)
            if value is None:
                return None
            values[option.field] = value
        else:
            return None
        j += 1
    for option in OUTPUT_OPTIONS:
        if option.env and option.field not in values and os.environ.get(option.env):
            values[option.field] = os.environ[option.env]
    if command == "commit-msg" and len(paths) != 1:
        return None  # click says what is wrong
    if "config" in globals_:
        from pathlib import Path

        values["config"] = Path(globals_["config"]).absolute()
    from tokscan.options import Options

    options = Options(**values)  # type: ignore[arg-type]
    return FastCall(command, options, globals_.get("directory"), paths, switches)


def _global(args: list[str], at: int, found: dict[str, str]) -> int | None:
    """How many arguments a global option at `at` takes (its value into `found`; given
    twice, the later wins), 0 when there is none, None when click should judge it."""
    name, equals, inline = args[at].partition("=")
    option = _GLOBAL.get(args[at]) or (_GLOBAL.get(name) if name.startswith("--") else None)
    if option is None:
        return 0
    if equals and args[at] not in _GLOBAL:
        value, taken = inline, 1
    elif at + 1 < len(args):
        value, taken = args[at + 1], 2
    else:
        return None
    if not value:
        return None  # click says why
    found[option.field] = value
    return taken


# The commands with a fast route, and those of them that take positional arguments.
FAST_COMMANDS = ("staged", "scan", "commit-msg")
_TAKE_PATHS = ("scan", "commit-msg")


def _convert(option: Option, text: str) -> object | None:
    """The option's value from its text, or None when click should judge it."""
    if option.kind == "choice":
        return text if text in option.choices else None
    if option.kind == "count":
        return int(text) if text.isdigit() and int(text) >= 1 else None
    if option.kind == "path":
        if not text:
            return None
        from pathlib import Path  # only when a path was given: it is not cheap

        return Path(text)
    return text


def change_directory(directory: str | os.PathLike[str]) -> None:
    """-C, as git has it, on both routes."""
    from tokscan.errors import TokscanError

    try:
        os.chdir(directory)
    except OSError as error:
        raise TokscanError(f"cannot change to {directory}: {error.strerror}") from None
