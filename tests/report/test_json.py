"""tokscan/report/json.py: the JSON report is exactly SPEC §4 (tests/support/report.schema.json)."""

from __future__ import annotations

import copy
import importlib.util
import json
import os

import jsonschema
import pytest
from support import jsonreport
from support.keys import KeyFactory
from support.reports import check_golden, files_report, history_report

from tokscan import keyformat
from tokscan.report import json as renderer


def matcher_in_use() -> str:
    """The needle search tokscan runs here: Hyperscan where it loads, unless forced off."""
    forced = os.environ.get("TOKSCAN_MATCHER") == "python"
    if forced or importlib.util.find_spec("hyperscan") is None:
        return "python"
    return "hyperscan"


TOP = ["version", "tool", "scan", "findings", "summary"]
SCAN = ["mode", "root", "revisions", "started_at", "duration_s", "bytes_scanned",
        "objects_scanned", "errors"]
FINDING = ["rule", "fingerprint", "secret", "path", "line", "column", "commit", "author", "date",
           "present_at_head", "refs_at_tip", "status", "status_detail", "advice"]
SUMMARY = ["findings", "failing", "suppressed", "live", "revoked", "unknown", "unverified"]


def test_cli_report_has_exactly_the_spec_fields(repo, keys, run_tokscan):
    key = keys()
    repo.write("src/settings.py", f"# settings\n\nAPI_KEY = '{key}'\n")
    repo.write("tests/t.py", f"K = '{keys()}'  # tokscan:allow\n")
    result = run_tokscan(["scan", "-f", "json", ".", "missing.py"], cwd=repo.path)
    assert result.code == 2  # missing.py: the scan is incomplete
    report = jsonreport.load(result.stdout)
    assert list(report) == TOP
    assert report["version"] == 1
    assert report["tool"] == {"name": "tokscan", "version": "0.1.0", "matcher": matcher_in_use()}
    assert list(report["scan"]) == SCAN
    scan = report["scan"]
    assert (scan["mode"], scan["root"], scan["revisions"]) == ("files", str(repo.path), [])
    assert isinstance(scan["duration_s"], float)
    assert scan["objects_scanned"] == 2
    assert scan["bytes_scanned"] == sum(
        len(p.read_bytes()) for p in (repo.path / "src/settings.py", repo.path / "tests/t.py"))
    assert scan["errors"] == [{"path": "missing.py", "message": "no such file or directory"}]
    [finding] = report["findings"]
    assert list(finding) == FINDING
    assert finding == {
        "rule": "tokmodel-api-key",
        "fingerprint": keyformat.fingerprint(key),
        "secret": keyformat.redact(key),
        "path": "src/settings.py",
        "line": 3,
        "column": 12,
        "commit": None,
        "author": None,
        "date": None,
        "present_at_head": None,
        "refs_at_tip": None,
        "status": "unverified",
        "status_detail": None,
        "advice": finding["advice"],
    }
    assert "TOKMODEL_API_KEY" in finding["advice"]
    assert list(report["summary"]) == SUMMARY
    assert report["summary"] == {"findings": 1, "failing": 1, "suppressed": 1, "live": 0,
                                 "revoked": 0, "unknown": 0, "unverified": 1}
    assert key not in result.stdout + result.stderr


def test_every_field_of_a_history_report(keys):
    report = history_report(keys)
    document = jsonreport.check(json.loads(renderer.render(report)))
    assert [f["status"] for f in document["findings"]] == [
        "unverified", "live", "revoked", "live", "unknown"]
    assert [f["path"] for f in document["findings"]] == [
        "a\nb.py", "deploy/.env", "docs/näive guide.md", "src/settings.py", None]
    assert document["summary"] == {"findings": 5, "failing": 4, "suppressed": 3, "live": 2,
                                   "revoked": 1, "unknown": 1, "unverified": 1}
    assert document["scan"]["errors"][0] == {"path": None, "message": "git failed"}
    report.fail_on_revoked = True
    assert renderer.document(report)["summary"]["failing"] == 5


def test_show_secrets_puts_the_key_in_secret(keys):
    report = files_report(keys)
    plain = renderer.document(report)
    shown = renderer.document(report, show_secrets=True)
    assert [f["secret"] for f in shown["findings"]] == [f.key for f in report.findings]
    assert [f["secret"] for f in plain["findings"]] == [f.redacted for f in report.findings]
    jsonreport.check(shown)


def test_json_golden_files(keys):
    check_golden("report-history.json", renderer.render(history_report(keys)))
    check_golden("report-files.json", renderer.render(files_report(KeyFactory(seed=7))))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("summary"),
        lambda d: d.__setitem__("extra", 1),
        lambda d: d["scan"].pop("errors"),
        lambda d: d["scan"].__setitem__("mode", "directory"),
        lambda d: d["scan"].__setitem__("bytes_scanned", 1.5),
        lambda d: d["findings"][0].pop("advice"),
        lambda d: d["findings"][0].__setitem__("line", 0),
        lambda d: d["findings"][0].__setitem__("fingerprint", "A" * 64),
        lambda d: d["findings"][0].__setitem__("secret", "tm-abc"),
        lambda d: d["findings"][0].__setitem__("commit", "abc"),
        lambda d: d["findings"][0].__setitem__("status", "valid"),
        lambda d: d["findings"][0].__setitem__("present_at_head", "yes"),
        lambda d: d["summary"].__setitem__("failing", -1),
        lambda d: d["tool"].__setitem__("name", "gitleaks"),
    ],
)
def test_the_schema_is_strict(damage, keys):
    document = renderer.document(history_report(keys))
    jsonreport.check(document)
    broken = copy.deepcopy(document)
    damage(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonreport.validator().validate(broken)


def test_report_is_utf8_text_not_ascii_escapes(keys):
    text = renderer.render(history_report(keys))
    assert "näive" in text
    assert "…" in text
    assert text.endswith("}\n")


def test_readme_json_example_has_every_field_in_order():
    """A user writes a parser from the README's example: it lacked `refs_at_tip`, which
    every report has (null for files on disk)."""
    from support.paths import ROOT

    readme = (ROOT / "README.md").read_text()
    example = readme.split("## JSON report", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    document = json.loads(example)
    assert list(document) == TOP
    assert list(document["scan"]) == SCAN
    [finding] = document["findings"]
    assert list(finding) == FINDING
    assert finding["refs_at_tip"] is None
    assert list(document["summary"]) == SUMMARY
