"""Verification as a step of a run: cache first, then one probe per remaining key."""

from __future__ import annotations

from support.tokmodel_server import Reply

from tokscan.model import Finding, Report, Status, Verdict, Where
from tokscan.verify import checker
from tokscan.verify.client import Settings


def test_a_second_run_asks_nothing(tokmodel, keys):
    live, revoked = keys(), keys()
    tokmodel.reply(live, 400)
    first = checker.check([live, revoked], tokmodel.url)
    second = checker.check([live, revoked], tokmodel.url)
    assert len(tokmodel.requests) == 2
    assert first[live].status is second[live].status is Status.LIVE
    assert first[revoked].status is second[revoked].status is Status.REVOKED
    assert second[live].detail.startswith("HTTP 400, checked ")


def test_unknown_is_asked_again(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(hang=True))
    settings = Settings(timeout=0.2)
    checker.check([key], tokmodel.url, settings=settings)
    checker.check([key], tokmodel.url, settings=settings)
    assert len(tokmodel.requests_for(key)) == 2


def test_fresh_ignores_the_cache_but_updates_it(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, 400, 401)
    checker.check([key], tokmodel.url)
    assert checker.check([key], tokmodel.url, fresh=True)[key] == Verdict(
        Status.REVOKED, "HTTP 401"
    )
    assert checker.check([key], tokmodel.url)[key].status is Status.REVOKED  # from the cache
    assert len(tokmodel.requests_for(key)) == 2


def test_without_the_cache_every_run_asks(tokmodel, keys, monkeypatch):
    monkeypatch.setenv("TOKSCAN_VERIFY_CACHE", "0")
    key = keys()
    checker.check([key], tokmodel.url)
    checker.check([key], tokmodel.url)
    assert len(tokmodel.requests_for(key)) == 2


def _finding(key: str, path: str, where: Where = Where.HISTORY) -> Finding:
    return Finding(key=key, path=path, line=1, column=1, where=where)


def test_annotate_fills_every_finding_and_sends_each_key_once(tokmodel, keys):
    live, revoked = keys(), keys()
    tokmodel.reply(live, 403)
    report = Report(mode="history", root="/repo", started_at="now")
    report.findings = [_finding(live, f"f{n}.py") for n in range(50)]
    report.findings.append(_finding(revoked, "other.py"))
    checker.annotate(report, tokmodel.url)
    assert report.verified
    assert {(f.status, f.status_detail) for f in report.findings[:50]} == {
        (Status.LIVE, "HTTP 403")
    }
    assert report.findings[50].status is Status.REVOKED
    assert len(tokmodel.requests) == 2


def test_suppressed_findings_are_not_sent(tokmodel, keys):
    allowed = keys()
    report = Report(mode="files", root="/repo", started_at="now")
    report.suppressed = [("allowlist", _finding(allowed, "a.py", Where.WORKTREE))]
    checker.annotate(report, tokmodel.url)
    assert tokmodel.requests == []
    assert report.verified
