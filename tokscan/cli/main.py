"""The console script and `python -m tokscan`: the one error boundary.

A command line goes to the fast route (cli/fast.py: `staged`, `commit-msg` and `scan`,
without click)
when that parser understands it, else to the click application (cli/app.py). Whichever
runs, what it raises ends here: a TokscanError becomes its message and exit code, Ctrl-C
exits 130, and a bug exits 2 (never 1, which means "keys found") with a redacted message.
Messages go out through report/output.py, which redacts anything key-shaped in them (an
argument they quote could be a key pasted in the wrong place).
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from tokscan import git
    from tokscan.cli import fast
    from tokscan.errors import ExitCode

# What the hooks run (git/hooks.py, .pre-commit-hooks.yaml): its git diff starts first.
HOOK_COMMAND = ["staged"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None:
        # The fast route's imports and scans make many small objects and no reference
        # cycles (tests/cli/test_main.py): CPython's cycle collector, which runs every 700
        # allocations, costs them a tenth (`tokscan scan` of git/git: 112 ms with it, 100
        # without). It is on again for the report (commands/session.conclude) and on the
        # click route (history, audit's Dask, verify's asyncio).
        gc.disable()
    _open_closed_streams()
    _tolerate_any_encoding()
    from tokscan.errors import ExitCode, TokscanError

    started: tuple[str, git.Stream] | None = None
    try:
        if args == HOOK_COMMAND:
            # The pre-commit hook: git diffs the index while Python imports the rest.
            from tokscan.commands import staged

            started = staged.start()
        from tokscan.cli import fast

        call = fast.parse(args)
        if call is not None:
            code = _run_fast(call, started)
            if argv is None and call.command == "scan":
                _leave(code)
            return code
        if started is not None:  # click's route after all (an environment variable's value)
            started[1].close()
        gc.enable()
        from tokscan.cli import app

        return app.main(args)
    except TokscanError as error:  # an expected failure: its message, never a traceback
        from tokscan.report import output  # redacts: a message may quote an argument

        output.warn(_printable(error.message))
        return int(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("tokscan: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except Exception as error:
        if os.environ.get("TOKSCAN_DEBUG"):
            raise
        from tokscan import keyformat

        sys.stderr.write(
            f"tokscan: internal error: {type(error).__name__}: {keyformat.redact_all(str(error))}\n"
            "This is a bug in tokscan; TOKSCAN_DEBUG=1 shows the traceback. The scan did not "
            "complete.\n"
        )
        return int(ExitCode.ERROR)


def _leave(code: int) -> None:
    """Exit now, as the console script: what was written is flushed, and Python's own
    teardown (every module and object of a scan of thousands of files freed one by one,
    10-15 ms) is skipped. Only after a scan, which leaves no thread, child or temporary
    file behind; in-process callers (tests) pass `argv` and get the code back."""
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (`| head`), or closed
            stream.flush()
    os._exit(code)


def _printable(message: str) -> str:
    """Bytes of a path that are not UTF-8 (kept as surrogates) shown as `\\xNN`, as reports
    show them (model.printable_path, without importing the data model)."""
    return message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _open_closed_streams() -> None:
    """Started with standard output or error closed (`>&-`), Python has no stream there:
    what would go there goes nowhere, as with `>/dev/null`, and the exit code still says
    what the scan found."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115


def _tolerate_any_encoding() -> None:
    """A terminal or pipe that is not UTF-8 (a cp1252 console, PYTHONIOENCODING=ascii) gets
    `\\u2026` for what it cannot show instead of a crash; JSON stays valid either way."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _run_fast(call: fast.FastCall, started: tuple[str, git.Stream] | None) -> ExitCode:
    if call.directory is not None:
        from tokscan.cli.fast import change_directory

        change_directory(call.directory)
    if call.options.api_base is not None:  # as early as on the click route
        from tokscan.verify import api_base

        api_base.check(call.options.api_base)
    if call.command == "scan":
        all_files = "all_files" in call.switches
        listing = None
        if not call.paths and hasattr(os, "posix_spawnp"):
            # The current folder: git lists it while the scanner imports.
            from tokscan.sources import early

            listing = early.Listing(all_files)
        from tokscan.commands import scan

        return scan.run(call.options, call.paths, all_files, listing)
    if call.command == "commit-msg":
        from tokscan.commands import commitmsg

        return commitmsg.run(call.options, call.paths[0])
    from tokscan.commands import staged

    return staged.run(call.options, started)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
