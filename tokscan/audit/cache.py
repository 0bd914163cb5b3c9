"""Each repository's last result, kept in the work folder by its ref tips.

`results/<slug>.json` holds the findings of the last complete audit of a repository
(redacted, as the task returned them) and the hash of the ref tips it audited. A re-run
hands that hash to the task, which compares it with the repository's tips after fetching:
equal, and the stored result is used instead of a scan. Files are replaced atomically as
each repository completes (tokscan/outfile.py), so an interrupted run resumes where it
stopped and never reads half a result. A repository that failed keeps no result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokscan.audit.sources import Source
from tokscan.audit.task import RESULT_FORMAT, Result


def _path(workdir: Path, source: Source) -> Path:
    return workdir / "results" / f"{source.slug}.json"


def known_tips(workdir: Path, source: Source) -> str | None:
    """The tips of the stored result for `source`, if there is a usable one."""
    stored = _read(_path(workdir, source), source)
    return None if stored is None else str(stored["tips"])


def load(workdir: Path, source: Source) -> Result | None:
    """The stored result for `source` as a `reused` result, or None."""
    stored = _read(_path(workdir, source), source)
    if stored is None:
        return None
    return Result(
        source.name, "reused", tips=stored["tips"], root=stored.get("root"),
        bytes=int(stored.get("bytes", 0)), findings=list(stored["findings"]),
        notes=list(stored.get("notes", [])),
    )  # fmt: skip


def save(workdir: Path, source: Source, result: Result) -> None:
    """Keep a complete result (findings already redacted by the task)."""
    from tokscan import outfile

    path = _path(workdir, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": RESULT_FORMAT,
        "name": source.name,
        "url": source.url,  # credentials were removed when the source was read
        "tips": result.tips,
        "root": result.root,
        "bytes": result.bytes,
        "findings": result.findings,
        "notes": result.notes,
    }
    outfile.write_text(path, json.dumps(document, ensure_ascii=False) + "\n")


def _read(path: Path, source: Source) -> dict[str, Any] | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # none yet, or unreadable: the repository is audited again
    fits = (
        isinstance(stored, dict)
        and stored.get("format") == RESULT_FORMAT
        and stored.get("name") == source.name
        and isinstance(stored.get("tips"), str)
        and isinstance(stored.get("findings"), list)
    )
    return stored if fits else None
