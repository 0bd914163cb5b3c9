"""The report of `tokscan verify`: each key read from standard input and its status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokscan import __version__, keyformat
from tokscan.model import Status
from tokscan.pipeline import advice
from tokscan.report import jsontext, text
from tokscan.terminal import Painter

if TYPE_CHECKING:
    from tokscan.model import Verdict

SCHEMA_VERSION = 1
_STYLE = {Status.LIVE: ("red", "bold"), Status.UNKNOWN: ("yellow",), Status.REVOKED: ("green",)}


def render_text(
    rows: list[tuple[str, Verdict]],
    show_secrets: bool = False,
    color: bool = False,
    quiet: bool = False,
) -> str:
    """A table of key, status and why, then the verdict (and how to rotate, if needed and
    not `quiet`)."""
    paint = Painter(color)
    shown = [(_secret(key, show_secrets), verdict) for key, verdict in rows]
    width = max(len("KEY"), *(len(secret) for secret, _ in shown))
    status_width = max(len(s.value) for s in _STYLE)
    lines = [paint(f"{'KEY':<{width}}  {'STATUS':<{status_width}}  DETAIL", "bold")]
    for secret, verdict in shown:
        status = paint(f"{verdict.status.value:<{status_width}}", *_STYLE[verdict.status])
        lines.append(f"{secret:<{width}}  {status}  {verdict.detail}".rstrip())
    statuses = [verdict.status for _, verdict in rows]
    lines.append("")
    line = advice.verdict_line(statuses)
    if advice.needs_rotation(statuses):
        lines.append(paint(line, "red", "bold"))
        if not quiet:
            lines.append("")
            lines.extend(text.rotation(paint))
    else:
        lines.append(paint(line, "green"))
    return "\n".join(lines) + "\n"


def render_json(rows: list[tuple[str, Verdict]], api_base: str, show_secrets: bool = False) -> str:
    return jsontext.dumps(document(rows, api_base, show_secrets)) + "\n"


def document(
    rows: list[tuple[str, Verdict]], api_base: str, show_secrets: bool = False
) -> dict[str, Any]:
    statuses = [verdict.status for _, verdict in rows]
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tokscan", "version": __version__},
        "api_base": api_base,
        "keys": [
            {
                "fingerprint": keyformat.fingerprint(key),
                "secret": _secret(key, show_secrets),
                "status": verdict.status.value,
                "status_detail": verdict.detail,
            }
            for key, verdict in rows
        ],
        "summary": {
            "keys": len(rows),
            **{status.value: statuses.count(status) for status in _STYLE},
        },
    }


def _secret(key: str, show_secrets: bool) -> str:
    return key if show_secrets else keyformat.redact(key)
