"""`tokscan scan`'s git questions, asked before its imports: where the work tree's top is
and which files git knows under the current folder. The two git processes run while
Python imports the scanner (10-15 ms of the whole run on a tree of thousands of files),
and the scan takes their answers when it gets to listing files (sources/files.py).

Only for the default scan (`tokscan scan` with no path: the current folder). Imports
nothing but `subprocess`, which the scan needs anyway.
"""

from __future__ import annotations

import os

from tokscan.git import process

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess


class Listing:
    """`git rev-parse --show-toplevel` and `git ls-files` of the current folder, running."""

    def __init__(self, all_files: bool) -> None:
        import subprocess

        self.folder = os.getcwd()
        self.all_files = all_files
        args = ["ls-files", "-z", "--cached", "--others", "--full-name"]
        if not all_files:
            args.append("--exclude-standard")
        env = process.environment()
        pipe = subprocess.PIPE
        try:
            self._top: subprocess.Popen[bytes] | None = subprocess.Popen(
                process.command(".", "rev-parse", "--show-toplevel"),
                stdout=pipe, stderr=subprocess.DEVNULL, env=env,
            )  # fmt: skip
            self._files: subprocess.Popen[bytes] | None = subprocess.Popen(
                process.command(".", *args), stdout=pipe, stderr=pipe, env=env
            )
        except OSError:  # no git: the scan asks again, and says so
            self._top = self._files = None

    def toplevel(self) -> str | None:
        """The work tree's top, as `git rev-parse --show-toplevel` says; None outside one."""
        if self._top is None:
            return None
        output, _ = self._top.communicate()
        return os.fsdecode(output.rstrip(b"\n")) if self._top.returncode == 0 else None

    def files(self) -> tuple[bytes, list[str]] | None:
        """What `git ls-files -z` wrote (paths from the top) and its warnings, one a line;
        None when it failed."""
        if self._files is None:
            return None
        output, errors = self._files.communicate()
        if self._files.returncode != 0:
            return None
        return output, errors.decode("utf-8", "replace").splitlines()

    def close(self) -> None:
        """Wait for what was not asked for (the scan took another way)."""
        for started in (self._top, self._files):
            if started is not None and started.returncode is None:
                started.communicate()
