"""tokscan/report/output.py: where the report and messages go, and what happens when they cannot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tokscan.keyformat import redact


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("command", [["scan", "-f", "json"], ["scan"], ["history"]])
def test_a_report_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path, command):
    """Regression: a full disk under `tokscan scan -f json > report.json` raised OSError out
    of the command, so the user saw a traceback and exit 1 even for a clean scan."""
    (tmp_path / "a.txt").write_text("nothing to see\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-qm", "x"], check=True)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "tokscan", *command],
            cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert "cannot write the report" in done.stderr


# --- Nothing key-shaped is printed or written without --show-secrets ------------------
#
# Keys hide in names as well as in content: a file or folder, a commit's author, a tag or
# a branch. Whatever holds one, every format, the job summary, stderr, `-o` files and
# baselines show it redacted (tokscan/report/output.py redacts whatever it writes).

KEY_SHAPED = re.compile(r"tm-[A-Za-z0-9]{32}")  # as keyformat scrubs: boundaries or not
FORMATS = ("text", "json", "sarif", "github", "gitlab")


def key_shaped(*texts: str) -> list[str]:
    return [found for text in texts for found in KEY_SHAPED.findall(text)]


@pytest.fixture
def step_summary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def names_holding_keys(repo, keys) -> dict[str, str]:
    """A repository whose names hold keys, each name on a file that holds a key too (so
    that the name is reported): a file, a folder, a name glued to other text, an author
    and committer, a tag and a branch. Returns the keys by what holds them."""
    used = {name: keys() for name in (
        "content", "file", "folder", "glued", "author", "email", "committer", "tag", "branch"
    )}  # fmt: skip
    held = used["content"]
    repo.write(f"{used['file']}.env", f"TOKEN={held}\n")
    repo.write(f"conf/{used['folder']}/settings.py", f"T = '{held}'\n")
    repo.write(f"x{used['glued']}9.txt", f"{held}\n")  # no key's boundaries, still key-shaped
    repo.commit("files whose names hold keys")
    repo.write("app.py", f"K = '{held}'\n")
    repo.git("add", "-A")
    subprocess.run(
        ["git", "commit", "-q", "--no-verify", "-m", "by someone",
         "--author", f"{used['author']} <{used['email']}@example.com>"],
        cwd=repo.path, env={**repo.env(), "GIT_COMMITTER_NAME": used["committer"]}, check=True,
    )  # fmt: skip
    blob = repo.git("hash-object", "-w", "--stdin", input=f"tagged: {held}\n".encode()).strip()
    repo.git("tag", used["tag"], blob)  # a tag pointing at a blob: its path is refs/tags/<name>
    repo.git("branch", used["branch"], "HEAD~1")
    return used


@pytest.mark.parametrize("fmt", FORMATS)
def test_keys_in_names_are_redacted_in_every_format(
    repo, keys, run_tokscan, step_summary, tmp_path, fmt
):
    used = names_holding_keys(repo, keys)
    runs = [
        ["scan", "-f", fmt], ["history", "-f", fmt], ["ci", "-f", fmt, "--base", used["branch"]]
    ]
    for args in runs:
        result = run_tokscan(args, cwd=repo.path)
        assert result.code == 1, (args, result.stderr)
        assert not key_shaped(result.stdout, result.stderr), args
        report = tmp_path / f"report.{fmt}"
        result = run_tokscan([*args, "-o", str(report)], cwd=repo.path)
        assert result.code == 1
        assert not key_shaped(report.read_text(encoding="utf-8"), result.stdout, result.stderr)
    if fmt == "github":
        assert not key_shaped(step_summary.read_text(encoding="utf-8"))
    if fmt == "text":  # the names are still shown, redacted
        shown = run_tokscan(["history"], cwd=repo.path).stdout
        for name in ("file", "folder", "glued", "author", "email", "tag"):
            assert redact(used[name]) in shown, name


def test_the_ci_reason_names_the_branch_redacted(repo, keys, run_tokscan):
    branch = names_holding_keys(repo, keys)["branch"]
    result = run_tokscan(["ci", "-f", "json", "--base", branch], cwd=repo.path)
    reason = json.loads(result.stdout)["scan"]["ci"]["reason"]
    assert reason.startswith(f"--base {redact(branch)}: the commits on HEAD that {redact(branch)}")
    assert f"tokscan ci: --base {redact(branch)}" in result.stderr
    assert not key_shaped(result.stdout, result.stderr)


def test_show_secrets_shows_names_and_keys_whole(repo, keys, run_tokscan):
    held, file_key = keys(), keys()
    repo.write(f"{file_key}.env", f"TOKEN={held}\n")
    result = run_tokscan(["scan", "-f", "json", "--show-secrets"], cwd=repo.path)
    report = json.loads(result.stdout)
    found = [f for f in report["findings"] if f["path"] == f"{file_key}.env"]
    assert [f["secret"] for f in found if f["line"] == 1 and f["column"] == 7] == [held]
    assert not key_shaped(result.stderr)


def test_a_written_baseline_holds_no_key_shaped_name(repo, keys, run_tokscan, tmp_path):
    held, file_key = keys(), keys()
    repo.write(f"{file_key}.env", f"TOKEN={held}\n")
    baseline = tmp_path / "baseline.json"
    for extra in ([], ["--show-secrets"]):  # a baseline never holds a key, whatever was asked
        result = run_tokscan(["scan", "--write-baseline", str(baseline), *extra], cwd=repo.path)
        assert result.code == 0
        text = baseline.read_text(encoding="utf-8")
        assert not key_shaped(text, result.stderr)
        assert f"{redact(file_key)}.env" in text
        assert run_tokscan(["scan", "--baseline", str(baseline)], cwd=repo.path).code == 0
