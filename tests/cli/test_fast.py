"""cli/fast.py: the hook's fast route and the click route read the same arguments the same
way, and anything unusual goes to click."""

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
    ["--exit-zero"],
    ["--annotate", "-f", "sarif"],
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


@pytest.mark.parametrize(
    "args",
    [
        ["staged", "--config", "conf.yaml", "-C", "sub"],
        ["staged", "--config=conf.yaml", "-q"],
        ["-C", "elsewhere", "staged", "-C", "sub"],  # the later wins, as on the click route
        ["--config", "other.yaml", "staged", "--config", "conf.yaml"],
    ],
)
def test_global_options_after_the_command_on_both_routes(monkeypatch, tmp_path, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    parsed = fast.parse(args)
    assert parsed is not None, "the fast route should take these arguments"
    assert parsed.options.config in (None, tmp_path / "conf.yaml")
    assert parsed.options == through_click(monkeypatch, args)
    if "sub" in args:
        assert parsed.directory == "sub"
        assert Path.cwd() == tmp_path / "sub"  # where click went
