"""The options every scanning command shares, parsed by click (cli.py) or by the hook's
fast path (entry.py) into the same record.

A plain class rather than a dataclass: `dataclasses` costs several milliseconds to import,
and this record is on the pre-commit hook's hot path.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

FORMATS = ("text", "json", "sarif", "github", "gitlab")


class Options:
    __slots__ = (
        "api_base",
        "baseline",
        "config",
        "fail_on_revoked",
        "format",
        "jobs",
        "output",
        "progress",
        "quiet",
        "show_secrets",
        "verify",
        "write_baseline",
    )

    def __init__(
        self,
        *,
        config: Path | None = None,
        format: str = "text",
        output: Path | None = None,
        verify: bool | None = None,
        api_base: str | None = None,
        show_secrets: bool = False,
        baseline: Path | None = None,
        write_baseline: Path | None = None,
        quiet: bool = False,
        progress: bool | None = None,
        jobs: int | None = None,
        fail_on_revoked: bool = False,
    ) -> None:
        self.config = config  # --config: else .tokscan.yaml at the root
        self.format = format
        self.output = output
        self.verify = verify  # None: the config file's `verify`, else off
        self.api_base = api_base
        self.show_secrets = show_secrets
        self.baseline = baseline
        self.write_baseline = write_baseline
        self.quiet = quiet
        self.progress = progress  # None: on when stderr is a terminal
        self.jobs = jobs  # None: all cores
        self.fail_on_revoked = fail_on_revoked

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Options) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Options({fields})"
