"""cli/main.py: the one error boundary, for both routes: expected failures are messages
with their exit code, a bug exits 2 (never 1) with a redacted message, and any terminal
gets the report."""

from __future__ import annotations

import re

import pytest

from tokscan import keyformat
from tokscan.commands import scan


def test_click_gives_the_usage_error(run_tokscan, repo):
    result = run_tokscan(["staged", "--format", "xml"], cwd=repo.path)
    assert result.code == 2
    assert "xml" in result.stderr


def test_fast_route_bad_directory(run_tokscan, tmp_path):
    result = run_tokscan(["-C", str(tmp_path / "missing"), "staged"])
    assert result.code == 2
    assert "cannot change to" in result.stderr


def test_a_bug_exits_2_not_1_and_redacts(monkeypatch, run_tokscan, repo, keys):
    key = keys()

    def broken(options, paths, all_files=False, binary=False):
        raise ValueError(f"something went wrong near {key}")

    monkeypatch.setattr(scan, "run", broken)
    result = run_tokscan(["scan", "."], cwd=repo.path)
    assert result.code == 2
    assert "internal error: ValueError" in result.stderr
    assert key not in result.stderr and f"tm-{key[3:7]}…" in result.stderr


def test_a_terminal_that_is_not_utf8_still_gets_the_report(repo, keys):
    import json
    import os
    import subprocess
    import sys

    repo.write("a.py", f"K = '{keys()}'\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for fmt in ("text", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "tokscan", "scan", "-f", fmt], cwd=repo.path, env=env,
            capture_output=True, text=True, encoding="ascii",
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        if fmt == "json":
            assert json.loads(done.stdout)["findings"][0]["secret"].count("…") == 1
        else:
            assert "\\u2026" in done.stdout


# --- Arguments echoed back are redacted ------------------------------------------------
#
# A key pasted into the wrong argument must not be printed back: every message goes out
# through report/output.py, click's usage errors included.

ECHOED = [
    pytest.param(["scan", "{key}"], id="missing-scan-path"),
    pytest.param(["scan", "-f", "json", "{key}"], id="missing-scan-path-json"),
    pytest.param(["--config", "{tmp}/{key}.yaml", "scan"], id="config"),
    pytest.param(["--config", "{tmp}/{key}.yaml", "history"], id="config-click-route"),
    pytest.param(["scan", "--baseline", "{tmp}/{key}.json"], id="baseline"),
    pytest.param(["scan", "-o", "{tmp}/{key}/report.txt"], id="output"),
    pytest.param(["-C", "{tmp}/{key}", "scan"], id="directory"),
    pytest.param(["-C", "{tmp}/{key}", "history"], id="directory-click-route"),
    pytest.param(["scan", "--write-baseline", "{tmp}/{key}.json"], id="wrote-baseline"),
    pytest.param(["ci", "--base", "{key}"], id="ci-base"),
    pytest.param(["history", "--{key}"], id="history-option"),
    pytest.param(["history", "{key}"], id="history-revision"),
    pytest.param(["scan", "--format", "{key}"], id="click-choice"),
    pytest.param(["history", "--jobs", "{key}"], id="click-number"),
    pytest.param(["staged", "--{key}"], id="click-unknown-option"),
    pytest.param(["{key}"], id="click-unknown-command"),
]


@pytest.mark.parametrize("template", ECHOED)
def test_arguments_echoed_back_are_redacted(template, run_tokscan, repo, keys, tmp_path):
    repo.write("a.txt", "nothing\n")
    repo.commit("one")
    key = keys()
    args = [arg.format(key=key, tmp=tmp_path) for arg in template]
    result = run_tokscan(args, cwd=repo.path)
    said = result.stdout + result.stderr
    assert not re.findall(r"tm-[A-Za-z0-9]{32}", said), said
    assert keyformat.redact(key) in said  # the message still says what it is about


@pytest.mark.parametrize("choice", ["python", "hyperscan"])
def test_version_names_the_needle_search_in_use(choice, run_tokscan, monkeypatch, tmp_path):
    if choice == "hyperscan":
        pytest.importorskip("hyperscan")
    from tokscan.detect import matcher

    monkeypatch.setattr(matcher, "_search", None)
    monkeypatch.setenv("TOKSCAN_MATCHER", choice)
    result = run_tokscan(["--version"], cwd=tmp_path)
    assert (result.code, result.stdout) == (0, f"tokscan, version 0.1.0 (matcher: {choice})\n")
