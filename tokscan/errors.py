"""Exit codes and the one error type that carries a message to the user.

Decision tree (SPEC §3): 0 when nothing fails the run; 1 when at least one finding fails
it; 2 when tokscan was used wrongly or could not finish the scan (a file or object could
not be read, git failed, the repository is shallow where that matters). An incomplete scan
never exits 0. Expected failures raise `TokscanError`; the command layer prints its
message (never a traceback) and exits with its code.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class ExitCode(int):
    """The exit codes. A plain int subclass rather than an IntEnum: `enum` costs the
    pre-commit hook's clean path more than its whole search (it is also what `re` costs)."""

    __slots__ = ()

    CLEAN: ClassVar[ExitCode]
    FINDINGS: ClassVar[ExitCode]
    ERROR: ClassVar[ExitCode]
    INTERRUPTED: ClassVar[ExitCode]  # Ctrl-C: 128 + SIGINT, as shells report it

    def __repr__(self) -> str:
        return f"ExitCode({int(self)})"

    def __str__(self) -> str:  # the number, as IntEnum's str() gives it
        return int.__repr__(self)


ExitCode.CLEAN = ExitCode(0)
ExitCode.FINDINGS = ExitCode(1)
ExitCode.ERROR = ExitCode(2)
ExitCode.INTERRUPTED = ExitCode(130)


class TokscanError(Exception):
    """An expected failure, with a message written for the user.

    Messages must never contain a full key: callers pass redacted forms or fingerprints.
    """

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
