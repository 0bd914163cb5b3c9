"""Exit codes and the one error type that carries a message to the user.

Decision tree (SPEC §3): 0 when nothing fails the run; 1 when at least one finding fails
it; 2 when tokscan was used wrongly or could not finish the scan (a file or object could
not be read, git failed, the repository is shallow where that matters). An incomplete scan
never exits 0. Expected failures raise `TokscanError`; the command layer prints its
message (never a traceback) and exits with its code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class TokscanError(Exception):
    """An expected failure, with a message written for the user.

    Messages must never contain a full key: callers pass redacted forms or fingerprints.
    """

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
