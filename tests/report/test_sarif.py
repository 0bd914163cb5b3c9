"""SARIF 2.1.0 for GitHub code scanning: the schema, the upload rules, stable
fingerprints, URIs for odd paths, the result cap, and no key anywhere."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.formats import check_sarif, sarif_path
from support.reports import finding, report

from tokscan import keyformat
from tokscan.model import ScanError, Status
from tokscan.report import sarif

ODD_PATHS = ["a,b.py", "c:d.py", "50%.py", "sp ace/#hash?.py", "ünï/cödé.py", "line\nbreak.py"]


def results(document):
    return document["runs"][0]["results"]


def test_scan_of_odd_paths_is_valid_and_points_at_each_key(repo, keys, run_tokscan):
    made = {}
    for path in ODD_PATHS:
        made[path] = keys()
        repo.write(path, f"x = 1\n  k = '{made[path]}'\n")
    result = run_tokscan(["scan", "-f", "sarif"], cwd=repo.path)
    assert result.code == 1
    document = check_sarif(result.stdout)
    located = {
        sarif_path(r): r["locations"][0]["physicalLocation"]["region"] for r in results(document)
    }
    assert set(located) == set(ODD_PATHS)
    for region in located.values():
        assert region == {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 43}
    for key in made.values():
        assert key not in result.stdout + result.stderr
    assert results(document)[0]["message"]["text"].startswith("TokModel API key tm-")


def test_partial_fingerprints_survive_reruns_and_moved_lines(repo, keys, run_tokscan):
    key, other = keys(), keys()
    repo.write("app.py", f"K = '{key}'\n")
    repo.write("two.py", f"K = '{key}'\nO = '{other}'\n")

    def fingerprints():
        document = check_sarif(run_tokscan(["scan", "-f", "sarif"], cwd=repo.path).stdout)
        return {
            (sarif_path(r), r["properties"]["secret"]): r["partialFingerprints"]
            for r in results(document)
        }

    first = fingerprints()
    assert fingerprints() == first
    repo.write("app.py", f"# moved down\n\n\nK = '{key}'\n")
    assert fingerprints() == first
    values = [v[sarif.FINGERPRINT_KEY] for v in first.values()]
    assert len(set(values)) == 3  # per key and path
    document = json.dumps(list(first.values()))
    assert key not in document and other not in document


def test_same_key_twice_in_one_file_stays_two_results(keys):
    key = keys()
    document = check_sarif(sarif.render(report(finding(key, line=1), finding(key, line=9))))
    prints = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results(document)]
    assert len(set(prints)) == 2


@pytest.mark.slow
def test_results_are_capped_at_what_code_scanning_shows(keys):
    key = keys()
    many = [finding(key, path=f"f{n:05}.py") for n in range(sarif.MAX_RESULTS + 3)]
    document = check_sarif(sarif.render(report(*many)))
    run = document["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert sarif_path(run["results"][-1]) == f"f{sarif.MAX_RESULTS - 1:05}.py"
    assert run["properties"]["tokscan"]["resultsOmitted"] == 3
    assert run["properties"]["tokscan"]["summary"]["findings"] == sarif.MAX_RESULTS + 3
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [
        "3 more findings are not listed here: code scanning shows at most 5000; see the job log"
    ]


def test_order_does_not_depend_on_the_report_order(keys):
    found = [finding(keys(), path=p, line=n + 1) for n, p in enumerate(["b", "a", "c", "a"])]
    shuffled = found[:]
    random.Random(1).shuffle(shuffled)
    first, second = report(*found), report(*shuffled)
    second.started_at = first.started_at
    assert sarif.render(first) == sarif.render(second)


def test_levels_follow_the_policy_and_commit_messages_become_notifications(keys):
    revoked = finding(keys(), path="r.py", status=Status.REVOKED)
    live = finding(keys(), path="l.py", status=Status.LIVE, commit="a" * 40)
    message = finding(keys(), path=None, line=3, commit="b" * 40)
    document = check_sarif(sarif.render(report(revoked, live, message)))
    levels = {sarif_path(r): r["level"] for r in results(document)}
    assert levels == {"l.py": "error", "r.py": "warning"}
    [live_result] = [r for r in results(document) if sarif_path(r) == "l.py"]
    assert live_result["properties"]["commit"] == "a" * 40
    assert live_result["properties"]["status"] == "live"
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error"]
    assert "in a commit message in commit bbbbbbbbbbbb" in notes[0]["message"]["text"]
    again = check_sarif(sarif.render(report(revoked, fail_on_revoked=True)))
    assert results(again)[0]["level"] == "error"


def test_an_incomplete_scan_says_so(keys):
    broken = report(finding(keys()), errors=(ScanError("locked.py", "permission denied"),))
    document = check_sarif(sarif.render(broken))
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == (
        "could not scan locked.py: permission denied"
    )
    assert document["runs"][0]["properties"]["tokscan"]["incomplete"] is True


def test_show_secrets_prints_the_key(keys):
    key = keys()
    text = sarif.render(report(finding(key)), show_secrets=True)
    check_sarif(text, secrets=True)
    assert key in text


def test_rule_carries_help_and_the_rotation_steps():
    document = check_sarif(sarif.render(report()))
    [rule] = document["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "tokmodel-api-key"
    assert "Revoke the leaked key" in rule["help"]["text"]
    assert "1. Create a new key" in rule["help"]["markdown"]
    assert rule["properties"]["security-severity"] == "9.0"


@given(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
        lambda p: not p.startswith("/")  # tokscan's paths are relative
    )
)
def test_uri_round_trips_any_path(path):
    from urllib.parse import unquote, urlsplit

    uri = sarif.uri(path, show_secrets=True)
    assert unquote(uri) == path
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", "")
    assert all(33 <= ord(c) < 127 for c in uri)


def test_uri_of_a_name_holding_a_key_is_redacted_and_still_ascii(keys):
    from urllib.parse import unquote

    key = keys()
    path = f"conf/{key}/.env"
    uri = sarif.uri(path, show_secrets=False)
    assert unquote(uri) == f"conf/{keyformat.redact(key)}/.env"
    assert all(33 <= ord(c) < 127 for c in uri)
    assert sarif.uri(path, show_secrets=True) == path


def test_a_key_in_a_name_is_a_result_on_the_file_with_in_name(keys):
    named = finding(keys(), path="conf/secret-folder", line=1, column=6)
    named.in_name = True
    document = check_sarif(sarif.render(report(named)))
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert result["properties"]["inName"] is True
    assert "(in the name) in conf/secret-folder" in result["message"]["text"]
