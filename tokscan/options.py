"""The options every scanning command shares, parsed by click (cli.py) or by the hook's
fast path (entry.py) into the same record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FORMATS = ("text", "json")


@dataclass
class Options:
    config: Path | None = None
    format: str = "text"
    output: Path | None = None
    verify: bool | None = None  # None: the config file's `verify`, else off
    api_base: str | None = None
    show_secrets: bool = False
    baseline: Path | None = None
    write_baseline: Path | None = None
    quiet: bool = False
    progress: bool | None = None  # None: on when stderr is a terminal
    jobs: int | None = None
    fail_on_revoked: bool = False
