"""`tokscan audit`'s text report: the summary a person reads first (keys by status and by
how many repositories hold them, the repositories with the most leaks, the ones that could
not be audited, what to do), then each key once with every place it leaked, then the
rotation steps. Rendered from the audit document (docs/spec.md §4a)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tokscan.model import Status
from tokscan.pipeline import advice
from tokscan.report.text import rotation, wrap
from tokscan.terminal import Painter, plural, printable

_TOP = 10  # repositories listed in the summary
_PLACES = 20  # places listed under one key; the JSON and HTML reports have them all


def repositories(count: int) -> str:
    return f"{count} repositor{'y' if count == 1 else 'ies'}"


def summary(document: dict[str, Any], paint: Painter | None = None) -> str:
    """One line: keys, places, repositories audited, reused and failed."""
    paint = paint or Painter(False)
    audit, summary = document["audit"], document["summary"]
    if summary["keys"]:
        holding = len({r for key in document["keys"] for r in key["repositories"]})
        head = paint(
            f"{plural(summary['keys'], 'key')} in {plural(summary['findings'], 'place')} "
            f"across {repositories(holding)}", "red", "bold",
        )  # fmt: skip
    else:
        head = paint("No TokModel API keys found", "green")
    parts = [f"{repositories(summary['repositories'])} audited"]
    if audit["reused"]:
        parts.append(f"{audit['reused']} unchanged since the last run (reused)")
    if audit["failed"]:
        parts.append(paint(f"{audit['failed']} could not be audited", "red"))
    return f"{head} · " + " · ".join(parts)


def render(document: dict[str, Any], color: bool = False) -> str:
    paint = Painter(color)
    lines = [summary(document, paint), ""]
    keys = document["keys"]
    if keys:
        statuses = Counter(key["status"] for key in keys)
        order = ("live", "unknown", "unverified", "revoked")
        shown = {"unverified": "not verified"}
        lines.append("Keys by status: " + ", ".join(
            f"{statuses[s]} {shown.get(s, s)}" for s in order if statuses[s]))
        reach = Counter(len(key["repositories"]) for key in keys)
        lines.append("Keys by reach: " + ", ".join(
            f"{plural(reach[n], 'key')} in {repositories(n)}" for n in sorted(reach, reverse=True)))
        lines += ["", paint("Repositories with the most leaks:", "bold")]
        leaky = [r for r in document["audit"]["repositories"] if r["findings"]]
        leaky.sort(key=lambda r: (-r["findings"], r["name"]))
        per_repo = Counter(name for key in keys for name in key["repositories"])
        for repository in leaky[:_TOP]:
            lines.append(f"  {printable(repository['name'])}  "
                         f"{plural(repository['findings'], 'place')}, "
                         f"{plural(per_repo[repository['name']], 'key')}")
        if len(leaky) > _TOP:
            lines.append(f"  … and {repositories(len(leaky) - _TOP)} more")
    failed = [r for r in document["audit"]["repositories"] if r["status"] == "failed"]
    if failed:
        lines += ["", paint("Could not be audited (the audit is incomplete):", "red", "bold")]
        for repository in failed:
            lines += wrap(f"{printable(repository['name'])}: {repository['reason']}", "  ", "    ")
    if keys:
        statuses_list = [Status(key["status"]) for key in keys]
        lines += ["", paint("What to do: ", "bold") + advice.verdict_line(statuses_list)]
        lines += ["", paint("Keys", "bold")]
        for key in keys:
            lines += _key(key, paint)
        if advice.needs_rotation(statuses_list):
            lines += ["", *rotation(paint, document["audit"]["verified"])]
    return "\n".join(lines).rstrip("\n") + "\n"


def _key(key: dict[str, Any], paint: Painter) -> list[str]:
    first = key["first_leaked"]
    when = (first.get("date") or "")[:10] or "an unknown date"
    by = f" by {printable(first['author'])}" if first.get("author") else ""
    status = {"unverified": "not verified"}.get(key["status"], key["status"])
    style = ("red", "bold") if key["status"] in ("live", "unknown") else ("yellow",)
    lines = [
        "",
        f"  {paint(key['key'], *style)}  {status} · "
        f"{repositories(len(key['repositories']))} · first leaked {when}{by} "
        f"in {printable(first['repository'])}",
    ]
    for place in key["places"][:_PLACES]:
        where = printable(place["path"]) if place["path"] is not None else "commit message"
        commit = (place.get("commit") or "")[:12]
        date = (place.get("date") or "")[:10]
        lines.append(paint(f"      {printable(place['repository'])}  {where}:{place['line']}"
                           f"  {commit}  {date}".rstrip(), "dim"))
    if len(key["places"]) > _PLACES:
        lines.append(f"      … and {plural(len(key['places']) - _PLACES, 'more place')}")
    lines += wrap(key["advice"], "    ", "    ")
    return lines
