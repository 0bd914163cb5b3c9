"""Findings joined by key across repositories."""

from __future__ import annotations

from tokscan.audit.group import apply, group
from tokscan.model import Status, Verdict


def record(fp, repository, date, path="a.py", status="unverified", head=False):
    return {"fingerprint": fp, "secret": f"tm-{fp[:4]}…{fp[-4:]}", "repository": repository,
            "path": path, "line": 3, "column": 5, "commit": "c" * 40, "author": "A <a@x>",
            "date": date, "present_at_head": head, "status": status, "status_detail": None}


def test_one_entry_per_key_with_every_place_and_the_first_leak():
    a, b = "a" * 64, "b" * 64
    keys = group([
        record(a, "org/web", "2024-03-01T00:00:00+00:00"),
        record(a, "org/api", "2023-02-01T10:00:00+02:00", path="settings.py"),
        record(b, "org/api", "2022-01-01T00:00:00+00:00"),
        record(a, "org/api", "2024-01-01T00:00:00+00:00", path="other.py"),
    ])
    assert [k["fingerprint"] for k in keys] == [a, b]  # two repositories before one
    first = keys[0]
    assert first["repositories"] == ["org/api", "org/web"]
    assert first["first_leaked"] == {"date": "2023-02-01T10:00:00+02:00", "author": "A <a@x>",
                                     "repository": "org/api", "commit": "c" * 40}
    assert [p["path"] for p in first["places"]] == ["settings.py", "other.py", "a.py"]
    assert first["key"] == "tm-aaaa…aaaa"


def test_keys_to_act_on_come_first_and_advice_follows_the_verdict():
    live, revoked = "1" * 64, "2" * 64
    records = [record(revoked, "r1", "2020-01-01T00:00:00+00:00"),
               record(revoked, "r2", "2020-01-01T00:00:00+00:00"),
               record(live, "r1", "2024-01-01T00:00:00+00:00", head=True)]
    verdicts = {live: Verdict(Status.LIVE, "HTTP 400"),
                revoked: Verdict(Status.REVOKED, "HTTP 401")}
    keys = group(apply(r, verdicts[r["fingerprint"]]) for r in records)
    assert [k["status"] for k in keys] == ["live", "revoked"]
    assert "now" in keys[0]["advice"].lower()
    assert "harmless" in keys[1]["advice"].lower() or "revoked" in keys[1]["advice"].lower()
