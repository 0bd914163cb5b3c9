"""Talking to git: `process` runs it (the one place that does), `objects` reads its object
database, `repository` describes the repository a scan runs in, `hooks` installs tokscan
as a plain git hook.

What most callers need from `process` is named here, so a call reads `git.run(root, ...)`.
"""

from tokscan.git.process import (
    DIFF_SAFETY,
    LEAN,
    Stream,
    fetch,
    is_null,
    literal,
    ls_remote,
    popen,
    revision_input,
    run,
    split_z,
    toplevel,
    try_run,
)

__all__ = [
    "DIFF_SAFETY",
    "LEAN",
    "Stream",
    "fetch",
    "is_null",
    "literal",
    "ls_remote",
    "popen",
    "revision_input",
    "run",
    "split_z",
    "toplevel",
    "try_run",
]
