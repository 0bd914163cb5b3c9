"""The HTML report of an audit (`tokscan audit -f html`): one page for a security lead.

One self-contained file: its CSS and script are inline (tokscan/report/assets/), it loads
nothing (no CDN, no fonts, no images), and a Content-Security-Policy allows exactly its own
style and script, by hash, and nothing else: were an escaping mistake ever to let a
repository's name become markup, no script it brought would run. The page shows the
summary counts, a chart of leaks by month introduced (SVG drawn here), then a sortable,
filterable table of keys (each with every place it leaked) and one of repositories. The
tables are drawn in the browser from the document's data, embedded as JSON with every `<`
escaped, and become text nodes only.

Rendered from the audit's JSON document (docs/spec.md, §4a). Every string in it is
HTML-escaped here, and the page has everything key-shaped redacted twice: in the document
before rendering and in the page after, even under --show-secrets (a page like this is
made to be passed around).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import Counter
from functools import cache
from importlib import resources

from tokscan import keyformat
from tokscan.pipeline import advice

KEY_STATUSES = ("live", "unknown", "unverified", "revoked")
REPOSITORY_STATUSES = ("failed", "reused", "scanned")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MAX_MONTHS = 96  # past eight years of months, the chart counts years


def render(document: dict[str, object]) -> str:
    safe = _redacted(document)
    assert isinstance(safe, dict)
    audit = _dict(safe.get("audit"))
    keys = [_key(k) for k in _list(safe.get("keys")) if isinstance(k, dict)]
    repositories = [_repository(r) for r in _list(audit.get("repositories")) if isinstance(r, dict)]
    data = {"keys": keys, "repositories": repositories}
    style, script = _asset("audit.css"), _asset("audit.js")
    policy = (
        f"default-src 'none'; script-src '{_digest(script)}'; style-src '{_digest(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    tool = _dict(safe.get("tool"))
    held = f"{_count(len(keys), 'key')} in {_count(len(repositories), 'repository')}"
    title = f"tokscan audit: {held}"
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(_meta(tool, audit))}</p>',
        *_banners(audit, repositories),
        _cards(keys, repositories),
        '<section id="chart"><h2>Leaks over time</h2>',
        _chart(keys),
        "</section>",
        _keys_section(),
        _repositories_section(),
        *_rotation(keys),
        "<noscript><p>The keys and repositories tables need JavaScript; the JSON report "
        "(<code>-f json</code>) holds the same data.</p></noscript>",
        f'<script type="application/json" id="audit-data">{_embedded(data)}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return keyformat.redact_all("\n".join(page) + "\n")


def _key(key: dict[str, object]) -> dict[str, object]:
    first = _dict(key.get("first_leaked"))
    return {
        "key": _text(key.get("key")),
        "fingerprint": _text(key.get("fingerprint")),
        "status": _text(key.get("status")),
        "detail": _text(key.get("status_detail")),
        "repositories": [_text(name) for name in _list(key.get("repositories"))],
        "first": {field: _text(first.get(field))
                  for field in ("date", "author", "repository", "commit")},
        "places": [_place(p) for p in _list(key.get("places")) if isinstance(p, dict)],
        "advice": _text(key.get("advice")),
    }


def _place(place: dict[str, object]) -> dict[str, object]:
    path, line = place.get("path"), place.get("line")
    return {
        "repository": _text(place.get("repository")),
        "commit": _text(place.get("commit")),
        "path": None if path is None else _text(path),
        "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
        "date": _text(place.get("date")),
        "author": _text(place.get("author")),
    }


def _repository(repository: dict[str, object]) -> dict[str, object]:
    return {
        "name": _text(repository.get("name")),
        "url": _text(repository.get("url")),
        "status": _text(repository.get("status")),
        "reason": _text(repository.get("reason")),
        "findings": _number(repository.get("findings")),
        "bytes": _number(repository.get("bytes")),
    }


def _meta(tool: dict[str, object], audit: dict[str, object]) -> str:
    parts = [f"{_text(tool.get('name')) or 'tokscan'} {_text(tool.get('version'))}".strip()]
    if audit.get("started_at"):
        parts.append(f"started {_text(audit.get('started_at'))}")
    duration = audit.get("duration_s")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        parts.append(f"took {duration:.1f} s")
    parts.append("keys verified" if audit.get("verified") is True else "keys not verified")
    return " · ".join(parts)


def _banners(audit: dict[str, object], repositories: list[dict[str, object]]) -> list[str]:
    banners = []
    failed = sum(1 for r in repositories if r["status"] == "failed")
    if failed:
        banners.append(
            f'<p class="banner" id="incomplete"><strong>This audit is incomplete:</strong> '
            f"{_count(failed, 'repository')} could not be audited (see "
            '<a href="#repositories">Repositories</a>).</p>'
        )
    if audit.get("verified") is not True:
        banners.append(
            '<p class="hint">Keys were not verified: run with <code>--verify</code> to tell '
            "live keys from revoked ones. Until then, treat every key as live.</p>"
        )
    return banners


def _cards(keys: list[dict[str, object]], repositories: list[dict[str, object]]) -> str:
    key_statuses = Counter(k["status"] for k in keys)
    repository_statuses = Counter(r["status"] for r in repositories)
    leaks = sum(len(_list(k["places"])) for k in keys)
    cards = [("keys", len(keys), "keys")]
    cards += [(f"keys-{s}", key_statuses[s], s) for s in KEY_STATUSES]
    cards.append(("leaks", leaks, "leaks (places)"))
    cards.append(("repositories", len(repositories), "repositories"))
    cards += [(f"repositories-{s}", repository_statuses[s], s) for s in REPOSITORY_STATUSES]
    items = "".join(
        f'<div class="card" id="count-{name}"><span class="number">{number}</span>'
        f'<span class="label">{_e(label)}</span></div>'
        for name, number, label in cards
    )
    return f'<div class="cards">{items}</div>'


def _chart(keys: list[dict[str, object]]) -> str:
    """Bars of leaks (places) by month introduced, each with the new keys of that month
    (keys first leaked then) drawn inside it; years instead past eight years of months."""
    leaks: Counter[str] = Counter()
    new_keys: Counter[str] = Counter()
    undated = 0
    for key in keys:
        for place in _list(key["places"]):
            month = _month(_dict(place).get("date"))
            if month is None:
                undated += 1
            else:
                leaks[month] += 1
        first = _month(_dict(key["first"]).get("date"))
        if first is not None:
            new_keys[first] += 1
    note = f'<p class="small">{_count(undated, "leak")} without a date not shown.</p>'
    if not leaks:
        return "<p>No leaks to chart.</p>" + (note if undated else "")
    slots = _months(min(leaks), max(leaks))
    if len(slots) > _MAX_MONTHS:
        leaks, new_keys = _by_year(leaks), _by_year(new_keys)
        slots = [str(year) for year in range(int(slots[0][:4]), int(slots[-1][:4]) + 1)]
    top = max(leaks.values())
    width = max(8.0, min(40.0, 900.0 / len(slots)))
    left, plot, base = 36.0, 180.0, 200.0
    every = max(-(-len(slots) // 12), -(-60 // int(width)))  # labels 60 units apart at least
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {left + width * len(slots) + 10:.0f} 230" '
        f'aria-label="Leaks by month introduced" xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axis" x1="{left}" y1="{base}" x2="{left + width * len(slots)}" '
        f'y2="{base}"/>',
        f'<text x="{left - 4}" y="{base - plot + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{base + 4}" text-anchor="end">0</text>',
    ]
    for index, slot in enumerate(slots):
        x = left + index * width
        tall, inner = plot * leaks[slot] / top, plot * new_keys[slot] / top
        words = f"{slot}: {_count(leaks[slot], 'leak')}, {_count(new_keys[slot], 'new key')}"
        parts.append(
            f'<g class="slot"><title>{_e(words)}</title>'
            f'<rect class="leaks" x="{x + width * 0.1:.1f}" y="{base - tall:.1f}" '
            f'width="{width * 0.8:.1f}" height="{tall:.1f}"/>'
            f'<rect class="new-keys" x="{x + width * 0.3:.1f}" y="{base - inner:.1f}" '
            f'width="{width * 0.4:.1f}" height="{inner:.1f}"/></g>'
        )
        if index % every == 0:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{base + 16}" '
                         f'text-anchor="middle">{_e(slot)}</text>')
    parts.append("</svg>")
    legend = ('<p class="small"><span class="legend-leaks"></span>leaks introduced '
              '<span class="legend-new"></span>keys leaked for the first time</p>')
    rows = "".join(f"<tr><td>{_e(s)}</td><td>{leaks[s]}</td><td>{new_keys[s]}</td></tr>"
                   for s in slots if leaks[s])
    numbers = ('<details><summary>The numbers</summary><table id="chart-numbers"><thead><tr>'
               f"<th>When</th><th>Leaks</th><th>New keys</th></tr></thead><tbody>{rows}</tbody>"
               "</table></details>")
    return "".join(parts) + legend + (note if undated else "") + numbers


def _keys_section() -> str:
    return _table_section(
        "keys", "Keys", "Filter keys, repositories, paths, authors…", KEY_STATUSES,
        [("key", "Key"), ("status", "Status"), ("repositories", "Repositories"),
         ("first", "First leaked"), ("places", "Places"), (None, "What to do")],
    )


def _repositories_section() -> str:
    return _table_section(
        "repositories", "Repositories", "Filter repositories, reasons…", REPOSITORY_STATUSES,
        [("name", "Repository"), ("status", "Status"), ("reason", "Reason"),
         ("findings", "Findings"), ("bytes", "Bytes read")],
    )


def _table_section(
    name: str, title: str, hint: str, statuses: tuple[str, ...],
    columns: list[tuple[str | None, str]],
) -> str:
    options = "".join(f'<option value="{s}">{s}</option>' for s in statuses)
    heads = "".join(
        f'<th scope="col" data-sort="{sort}"><button type="button">{_e(label)}</button></th>'
        if sort else f'<th scope="col">{_e(label)}</th>'
        for sort, label in columns
    )
    return (
        f'<section id="{name}"><h2>{_e(title)}</h2><div class="controls">'
        f'<input type="search" id="{name}-filter" placeholder="{_e(hint)}" '
        f'aria-label="Filter {name}"><select id="{name}-status" aria-label="Status">'
        f'<option value="">every status</option>{options}</select>'
        f'<span class="count" id="{name}-count"></span></div>'
        f"<table><thead><tr>{heads}</tr></thead><tbody></tbody></table></section>"
    )


def _rotation(keys: list[dict[str, object]]) -> list[str]:
    if all(k["status"] == "revoked" for k in keys):  # no key, or none that works
        return []
    steps = "".join(f"<li>{_e(step)}</li>" for step in advice.ROTATION_STEPS)
    return [
        '<section id="rotate"><h2>How to rotate a leaked key</h2>',
        "<p>Removing a key from the code, or rewriting history, does not un-leak it: anyone "
        "with a clone has it. Rotate it, in this order, so that nothing breaks:</p>",
        f'<ol class="steps">{steps}</ol></section>',
    ]


def _embedded(data: object) -> str:
    """JSON that cannot end its <script> element or open a comment in it: every `<`, `>`
    and `&` is a JSON escape."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _redacted(value: object) -> object:
    if isinstance(value, str):
        return keyformat.redact_all(value)
    if isinstance(value, dict):
        return {keyformat.redact_all(str(k)): _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    return value


@cache
def _asset(name: str) -> str:
    return resources.files("tokscan.report").joinpath("assets").joinpath(name).read_text("utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _month(date: object) -> str | None:
    match = _MONTH.match(date) if isinstance(date, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return match.group(0)


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_year(counts: Counter[str]) -> Counter[str]:
    years: Counter[str] = Counter()
    for month, count in counts.items():
        years[month[:4]] += count
    return years


def _count(number: int, word: str) -> str:
    plural = "repositories" if word == "repository" else word + "s"
    return f"{number} {word if number == 1 else plural}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text(value: object) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value)


def _number(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
