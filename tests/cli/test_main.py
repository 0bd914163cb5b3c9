"""cli/main.py: the one error boundary, for both routes: expected failures are messages
with their exit code, a bug exits 2 (never 1) with a redacted message, and any terminal
gets the report."""

from __future__ import annotations

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
