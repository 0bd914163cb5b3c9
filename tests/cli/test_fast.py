"""The hook's fast route and the click route must read the same arguments the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokscan.cli import fast
from tokscan.commands import scan, staged
from tokscan.options import Options

SAME_MEANING = [
    [],
    ["--format", "json"],
    ["-f", "json"],
    ["--format=json"],
    ["-o", "out.json", "--format", "json"],
    ["--output=out.txt"],
    ["--verify"],
    ["--no-verify"],
    ["--api-base", "http://127.0.0.1:9"],
    ["--api-base=https://example.test"],
    ["--show-secrets", "-q"],
    ["--quiet", "--no-progress"],
    ["--progress"],
    ["--baseline", "b.json", "--write-baseline", "w.json"],
    ["--jobs", "3"],
    ["--jobs=1", "--fail-on-revoked"],
]


def through_click(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Options:
    seen: list[Options] = []
    monkeypatch.setattr(staged, "run", lambda options: seen.append(options) or 0)
    from tokscan.cli import app

    assert app.main(args) == 0
    [options] = seen
    return options


@pytest.mark.parametrize("args", SAME_MEANING)
def test_fast_route_parses_like_click(monkeypatch, tmp_path, args):
    monkeypatch.chdir(tmp_path)
    parsed = fast.parse(["staged", *args])
    assert parsed is not None, "the fast route should take these arguments"
    assert (parsed.command, parsed.directory, parsed.paths) == ("staged", None, [])
    assert parsed.options == through_click(monkeypatch, ["staged", *args])


def scan_through_click(monkeypatch, args):
    seen = []

    def fake(options, paths, all_files=False, binary=False):
        seen.append((options, paths, all_files, binary))
        return 0

    monkeypatch.setattr(scan, "run", fake)
    from tokscan.cli import app

    assert app.main(args) == 0
    [call] = seen
    return call


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["."],
        ["-"],
        ["src", "lib/x.py", "--all-files"],
        ["--binary", "-f", "json", "a b", "-o", "r.json"],
        ["--jobs", "2", "--", "-odd-name", "--all-files"],
        ["--show-secrets", "-q", "dir", "--no-verify"],
    ],
)
def test_fast_scan_route_parses_like_click(monkeypatch, tmp_path, args):
    monkeypatch.chdir(tmp_path)
    parsed = fast.parse(["scan", *args])
    assert parsed is not None
    options, paths, all_files, binary = scan_through_click(monkeypatch, ["scan", *args])
    assert parsed.options == options
    assert parsed.paths == paths
    assert ("all_files" in parsed.switches, "binary" in parsed.switches) == (all_files, binary)


def test_global_options_before_the_command(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    parsed = fast.parse(["-C", "sub", "--config", "conf.yaml", "staged"])
    assert parsed is not None
    assert parsed.directory == "sub"
    assert parsed.options.config == Path("conf.yaml").absolute()
    assert parsed.options == through_click(monkeypatch, ["--config", "conf.yaml", "staged"])


def test_environment_api_base_on_both_routes(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKSCAN_API_BASE", "http://localhost:1234")
    parsed = fast.parse(["staged"])
    assert parsed is not None
    assert parsed.options.api_base == "http://localhost:1234"
    assert parsed.options == through_click(monkeypatch, ["staged"])


@pytest.mark.parametrize(
    "args",
    [
        ["staged", "--help"],
        ["staged", "--format", "xml"],
        ["staged", "--jobs", "0"],
        ["staged", "--jobs", "many"],
        ["staged", "--unknown"],
        ["staged", "extra-argument"],
        ["staged", "--format"],
        ["scan", "--help"],
        ["scan", "--all-files=yes"],
        ["history"],
        ["--version"],
        [],
        ["-C"],
    ],
)
def test_anything_unusual_goes_to_click(args):
    assert fast.parse(args) is None


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
