"""tokscan/pipeline/suppress.py: the pragma, the allowlist and baselines (SPEC §7). Suppressed
findings are counted, never shown, and never fail the run; baselines hold no raw key."""

from __future__ import annotations

import json

import pytest
from support import jsonreport

from tokscan import keyformat
from tokscan.errors import TokscanError
from tokscan.model import Finding, Where
from tokscan.pipeline import suppress


def key_line(key: str, comment: str = "") -> str:
    return f'KEY = "{key}"{comment}\n'


def scan_json(run_tokscan, cwd, *args):
    result = run_tokscan(["scan", "-f", "json", *args], cwd=cwd)
    return result, jsonreport.load(result.stdout) if result.stdout else None


# --- the pragma -----------------------------------------------------------------------


def test_pragma_suppresses_its_line_and_is_counted(repo, keys, run_tokscan):
    allowed, other = keys(), keys()
    repo.write("a.py", key_line(allowed, "  # tokscan:allow (documented test key)"))
    repo.write("b.js", f"const k = '{allowed}'; // tokscan:allow\n")
    result, report = scan_json(run_tokscan, repo.path)
    assert result.code == 0
    assert report["findings"] == []
    assert report["summary"]["suppressed"] == 2
    text = run_tokscan(["scan"], cwd=repo.path)
    assert text.code == 0
    assert "2 suppressed (2 by pragma)" in text.stdout
    assert allowed not in text.stdout

    repo.write("c.py", key_line(other) + "# tokscan:allow on the next line does nothing\n")
    result, report = scan_json(run_tokscan, repo.path)
    assert result.code == 1
    assert [f["path"] for f in report["findings"]] == ["c.py"]


# --- baselines ------------------------------------------------------------------------


def test_baseline_round_trip(repo, keys, run_tokscan, tmp_path):
    old_a, old_b, new = keys(), keys(), keys()
    repo.write("a.py", key_line(old_a))
    repo.write("b.py", key_line(old_b) + key_line(old_a))
    repo.commit("old keys")
    baseline = tmp_path / "baseline.json"

    result = run_tokscan(["scan", "--write-baseline", str(baseline)], cwd=repo.path)
    assert result.code == 0  # the baseline accepts what it lists
    assert f"wrote baseline {baseline}: 2 keys in 3 places (3 entries)" in result.stderr
    assert result.stdout == ""  # what was written, not the alarm report
    assert "How to rotate" not in result.stderr
    written = baseline.read_text(encoding="utf-8")
    for key in (old_a, old_b):
        assert key not in written and key[3:] not in written
    document = json.loads(written)
    assert document["version"] == 1
    assert document["tool"]["name"] == "tokscan"
    entries = sorted((e["fingerprint"], e["path"], e["commit"]) for e in document["findings"])
    assert entries == sorted([
        (keyformat.fingerprint(old_a), "a.py", None),
        (keyformat.fingerprint(old_a), "b.py", None),
        (keyformat.fingerprint(old_b), "b.py", None),
    ])

    # With the baseline, the old keys pass and are counted as suppressed.
    result, report = scan_json(run_tokscan, repo.path, "--baseline", str(baseline))
    assert (result.code, report["findings"], report["summary"]["suppressed"]) == (0, [], 3)
    assert "3 suppressed (3 by baseline)" in run_tokscan(
        ["scan", "--baseline", str(baseline)], cwd=repo.path).stdout

    # A key that is not in the baseline still fails the run, and is the only one shown.
    repo.write("c.py", key_line(new))
    result, report = scan_json(run_tokscan, repo.path, "--baseline", str(baseline))
    assert result.code == 1
    assert [f["fingerprint"] for f in report["findings"]] == [keyformat.fingerprint(new)]
    assert report["summary"]["suppressed"] == 3

    # Re-writing the baseline through the old one keeps the old entries and adds the new.
    result = run_tokscan(["scan", "--baseline", str(baseline), "--write-baseline",
                          str(baseline)], cwd=repo.path)
    assert result.code == 0
    fingerprints = {e["fingerprint"] for e in json.loads(baseline.read_text())["findings"]}
    assert fingerprints == {keyformat.fingerprint(k) for k in (old_a, old_b, new)}
    result, report = scan_json(run_tokscan, repo.path, "--baseline", str(baseline))
    assert (result.code, report["summary"]["suppressed"]) == (0, 4)


def test_pragma_and_allowlist_findings_stay_out_of_a_written_baseline(repo, keys, run_tokscan,
                                                                     tmp_path):
    pragma, allowed, plain = keys(), keys(), keys()
    repo.write("a.py", key_line(pragma, " # tokscan:allow") + key_line(allowed) + key_line(plain))
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: {keyformat.fingerprint(allowed)}\n")
    baseline = tmp_path / "b.json"
    run_tokscan(["scan", "--write-baseline", str(baseline)], cwd=repo.path)
    entries = json.loads(baseline.read_text())["findings"]
    assert [e["fingerprint"] for e in entries] == [keyformat.fingerprint(plain)]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json", "is not valid JSON"),
        ("[]", "has no 'findings' list"),
        ('{"findings": {}}', "has no 'findings' list"),
        ('{"findings": [{"fingerprint": "abc"}]}', "entry 1 has no valid 'fingerprint'"),
        ('{"findings": [{"path": "a.py"}]}', "entry 1 has no valid 'fingerprint'"),
        ('{"findings": ["' + "a" * 64 + '"]}', "entry 1 has no valid 'fingerprint'"),
        # Regression: "internal error: RecursionError … this is a bug".
        ("[" * 100_000, "is not valid JSON: it is nested too deeply"),
        ('{"findings": ' + "[" * 100_000, "is not valid JSON: it is nested too deeply"),
    ],
)
def test_bad_baselines_are_clear_errors(content, words, repo, run_tokscan, tmp_path):
    baseline = tmp_path / "b.json"
    baseline.write_text(content)
    result = run_tokscan(["scan", "--baseline", str(baseline)], cwd=repo.path)
    assert result.code == 2
    assert words in result.stderr
    assert f"baseline {baseline}" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_unreadable_and_unwritable_baselines(repo, run_tokscan, tmp_path):
    result = run_tokscan(["scan", "--baseline", str(tmp_path / "missing.json")], cwd=repo.path)
    assert result.code == 2
    assert "cannot read baseline" in result.stderr
    result = run_tokscan(["scan", "--write-baseline", str(tmp_path / "no" / "dir" / "b.json")],
                         cwd=repo.path)
    assert result.code == 2
    assert "cannot write baseline" in result.stderr


def test_read_baseline_accepts_what_write_baseline_writes(tmp_path, keys):
    findings = [
        Finding(key=keys(), path="a.py", line=1, column=1, where=Where.WORKTREE),
        Finding(key=keys(), path=None, line=3, column=9, where=Where.HISTORY, commit="a" * 40),
    ]
    findings.append(findings[0])  # the same finding twice is one entry
    path = tmp_path / "b.json"
    assert suppress.write_baseline(path, findings) == 2
    assert suppress.read_baseline(path) == {f.fingerprint for f in findings}
    assert not (tmp_path / "b.json.tmp").exists()


def test_suppressor_reason_order(keys):
    key = keys()
    finding = Finding(key=key, path="a", line=1, column=1, where=Where.WORKTREE)
    fingerprint = keyformat.fingerprint(key)
    both = suppress.Suppressor(allowed=frozenset({fingerprint}), baseline=frozenset({fingerprint}))
    assert both.reason(finding, pragma=True) == "pragma"
    assert both.reason(finding, pragma=False) == "allowlist"
    baseline_only = suppress.Suppressor(baseline=frozenset({fingerprint}))
    assert baseline_only.reason(finding, False) == "baseline"
    assert suppress.Suppressor().reason(finding, False) is None


def test_read_baseline_errors_are_tokscan_errors(tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(TokscanError, match="is not valid JSON"):
        suppress.read_baseline(path)


# --- fingerprint prefixes (the text report prints 12 characters) ----------------------


def test_allow_takes_the_fingerprint_the_text_report_prints(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", key_line(key))
    shown = run_tokscan(["scan"], cwd=repo.path)
    printed = shown.stdout.split("fingerprint ", 1)[1].split()[0]
    assert printed == keyformat.fingerprint(key)[:12]
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: {printed.upper()}\n")
    result, report = scan_json(run_tokscan, repo.path)
    assert result.code == 0, result.stderr
    assert report["summary"]["suppressed"] == 1
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: {printed[:11]}\n")
    short = run_tokscan(["scan"], cwd=repo.path)
    assert short.code == 2
    assert "all 64 characters, or the first 12 or more" in short.stderr


def test_a_baseline_takes_fingerprint_prefixes_too(repo, keys, run_tokscan, tmp_path):
    old, new = keys(), keys()
    repo.write("a.py", key_line(old) + key_line(new))
    baseline = tmp_path / "hand-written.json"
    baseline.write_text(json.dumps(
        {"findings": [{"fingerprint": keyformat.fingerprint(old)[:16]}]}
    ))
    result, report = scan_json(run_tokscan, repo.path, "--baseline", str(baseline))
    assert result.code == 1
    assert [f["fingerprint"] for f in report["findings"]] == [keyformat.fingerprint(new)]
    assert report["summary"]["suppressed"] == 1
    baseline.write_text(json.dumps({"findings": [{"fingerprint": "0123456789a"}]}))
    short = run_tokscan(["scan", "--baseline", str(baseline)], cwd=repo.path)
    assert short.code == 2
    assert "entry 1 has no valid 'fingerprint'" in short.stderr


def test_a_prefix_that_matches_two_keys_is_an_error():
    prefix = "0123456789ab"
    suppressor = suppress.Suppressor(allowed=frozenset({prefix}))
    assert suppressor.listed(prefix + "0" * 52) == "allowlist"
    assert suppressor.listed(prefix + "0" * 52) == "allowlist"  # the same key again
    assert suppressor.listed("f" * 64) is None
    with pytest.raises(TokscanError, match="prefix 0123456789ab in the 'allow' list is "
                                           "ambiguous") as raised:
        suppressor.listed(prefix + "1" * 52)
    assert raised.value.exit_code == 2
