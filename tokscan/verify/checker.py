"""Verification as one step of a run: cached verdicts first, one probe per other key."""

from __future__ import annotations

from collections.abc import Iterable

from tokscan.model import Report, Verdict
from tokscan.verify import client
from tokscan.verify.cache import Cache


def check(
    keys: Iterable[str],
    api_base: str,
    *,
    fresh: bool = False,
    settings: client.Settings | None = None,
) -> dict[str, Verdict]:
    """Each distinct key's verdict. `fresh` asks TokModel even when the cache knows (what
    `tokscan verify` does, since it is how a user confirms a revocation)."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return {}
    cache = Cache.open(api_base)
    verdicts: dict[str, Verdict] = {}
    if cache is not None and not fresh:
        for key in unique:
            cached = cache.get(key)
            if cached is not None:
                verdicts[key] = cached
    todo = [key for key in unique if key not in verdicts]
    probed = client.probe_all(todo, api_base, settings or client.Settings.from_env())
    if cache is not None:
        for key, verdict in probed.items():
            cache.put(key, verdict)
        cache.save()
    verdicts.update(probed)
    return verdicts


def annotate(report: Report, api_base: str) -> None:
    """Fill each finding's status and status_detail (suppressed findings are not sent)."""
    verdicts = check((finding.key for finding in report.findings), api_base)
    for finding in report.findings:
        verdict = verdicts[finding.key]
        finding.status = verdict.status
        finding.status_detail = verdict.detail
    report.verified = True
