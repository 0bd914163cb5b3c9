"""`--format gitlab`: the secret detection report shape (schema 15.0.7), stable ids,
commits, and no raw key in `raw_source_code_extract` or anywhere else."""

from __future__ import annotations

import json

from support.formats import check_gitlab
from support.reports import finding, report

from tokscan.model import ScanError, Status
from tokscan.report import gitlab


def test_scan_report_has_the_gitlab_shape(repo, keys, run_tokscan):
    key = keys()
    repo.write("config/a,b:c%d.env", f"first\nTOKEN={key}\n")
    result = run_tokscan(["scan", "-f", "gitlab"], cwd=repo.path)
    assert result.code == 1
    document = check_gitlab(result.stdout)
    assert document["version"] == "15.0.7"
    assert document["scan"]["type"] == "secret_detection"
    assert document["scan"]["status"] == "success"
    [vulnerability] = document["vulnerabilities"]
    assert vulnerability["location"] == {
        "file": "config/a,b:c%d.env",
        "start_line": 2,
        "end_line": 2,
        "commit": {"sha": "0000000"},
    }
    assert vulnerability["raw_source_code_extract"] == f"tm-{key[3:7]}…{key[-4:]}"
    assert vulnerability["identifiers"][0]["value"] == "tokmodel-api-key"
    assert vulnerability["severity"] == "Critical"
    assert "Revoke the leaked key" in vulnerability["solution"]
    assert key not in result.stdout + result.stderr


def test_ids_are_stable_and_unique(keys):
    key = keys()
    found = [
        finding(key, path="a.py", line=1),
        finding(key, path="a.py", line=2),
        finding(key, path="b.py", line=1, commit="f" * 40),
    ]
    first = check_gitlab(gitlab.render(report(*found)))
    second = check_gitlab(gitlab.render(report(*found)))
    ids = [v["id"] for v in first["vulnerabilities"]]
    assert ids == [v["id"] for v in second["vulnerabilities"]]
    assert len(set(ids)) == 3
    committed = first["vulnerabilities"][2]["location"]["commit"]
    assert committed == {
        "sha": "f" * 40,
        "author": "Dev <dev@example.com>",
        "date": "2023-11-14T22:13:20+00:00",
    }


def test_errors_make_a_failed_scan_and_revoked_keys_are_low(keys):
    revoked = finding(keys(), status=Status.REVOKED)
    message = finding(keys(), path=None, commit="a" * 40)
    made = report(revoked, message, errors=(ScanError("x.bin", "unreadable"),))
    document = check_gitlab(gitlab.render(made))
    assert document["scan"]["status"] == "failure"
    assert document["scan"]["messages"] == [
        {"level": "fatal", "value": "could not scan x.bin: unreadable"}
    ]
    severities = [v["severity"] for v in document["vulnerabilities"]]
    assert severities == ["Low", "Critical"]
    assert "file" not in document["vulnerabilities"][1]["location"]


def test_times_are_utc_without_a_zone(keys):
    made = report(finding(keys()))
    made.started_at = "2024-05-01T10:00:00+02:00"
    made.duration_s = 61.5
    scan = json.loads(gitlab.render(made))["scan"]
    assert (scan["start_time"], scan["end_time"]) == ("2024-05-01T08:00:00", "2024-05-01T08:01:01")


def test_a_key_in_a_name_is_located_on_the_file_and_says_so(keys):
    named = finding(keys(), path="conf/secret.env", line=1, column=6)
    named.in_name = True
    [vulnerability] = check_gitlab(gitlab.render(report(named)))["vulnerabilities"]
    assert vulnerability["location"]["file"] == "conf/secret.env"
    assert vulnerability["location"]["start_line"] == 1
    assert "in the name of conf/secret.env, not in its content" in vulnerability["description"]
    assert vulnerability["details"]["in_name"]["value"] == "the name of the file or folder"
