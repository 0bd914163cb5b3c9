from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import formats, jsonreport
from support.gitrepo import GIT_ENV, GitRepo
from support.keys import KeyFactory
from support.tokmodel_server import TokModelServer

from tokscan.cli.main import main  # the console script: fast routes and click alike


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests away from the user's home, git config and environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("TOKSCAN_API_BASE", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "GIT_DIR",
                 "GIT_WORK_TREE", "GIT_INDEX_FILE", "TOKSCAN_VERIFY_TIMEOUT",
                 "TOKSCAN_VERIFY_DEADLINE", "TOKSCAN_VERIFY_CACHE"):
        monkeypatch.delenv(name, raising=False)
    # The suite may itself run in CI: `tokscan ci` must only see the CI a test simulates.
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_")) or name == "CI":
            monkeypatch.delenv(name)


@pytest.fixture
def keys() -> KeyFactory:
    return KeyFactory()


@pytest.fixture
def tokmodel(monkeypatch: pytest.MonkeyPatch) -> Iterator[TokModelServer]:
    """A stand-in for TokModel's API on 127.0.0.1 (tests/support/tokmodel_server.py), which
    TOKSCAN_API_BASE points at. Keys it was not told about get 401, like TokModel's."""
    with TokModelServer() as api:
        monkeypatch.setenv("TOKSCAN_API_BASE", api.url)
        yield api


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_tokscan(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process: `run_tokscan(["scan", "."], cwd=path, stdin=b"...")`."""

    def run(args: list[str], cwd: Path | None = None, stdin: bytes = b"") -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        fake_stdin = io.TextIOWrapper(io.BytesIO(stdin))
        monkeypatch.setattr(sys, "stdin", fake_stdin)
        capsys.readouterr()
        code = main(args)
        captured = capsys.readouterr()
        if jsonreport.wants_json(args) and not jsonreport.writes_to_file(args) and captured.out:
            jsonreport.load(captured.out)  # every JSON report in the suite meets SPEC §4
        formats.check_output(args, captured.out, Path.cwd())  # every CI format is validated
        return Result(code, captured.out, captured.err)

    return run
