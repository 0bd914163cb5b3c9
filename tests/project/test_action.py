"""The GitHub Action (action.yml) and the GitLab CI template: their scripts, run as the CI
would run them (bash, the CI's variables) against simulated pull and merge requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.forge import Forge, pull_request_event
from support.formats import check_github, check_gitlab, check_sarif
from support.paths import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
TEMPLATE = yaml.safe_load((ROOT / "ci" / "gitlab" / "tokscan.gitlab-ci.yml").read_text())


@pytest.fixture
def pull_request(tmp_path, monkeypatch, keys):
    forge = Forge(tmp_path / "forge", monkeypatch)
    dev = forge.dev
    dev.write("README.md", "hello\n")
    base = dev.commit("start")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "feature")
    key = keys()
    dev.write("src/app.py", f"KEY = '{key}'\n")
    head = dev.commit("a key")
    forge.push("feature")
    return forge, base, head, key


def run_step(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment["PATH"]
    environment.update(env)
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=environment, capture_output=True, text=True
    )


def action_step(name: str) -> dict:
    [step] = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return step


def test_action_never_pastes_inputs_into_scripts():
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", "")
    assert set(ACTION["inputs"]) >= {"format", "output", "baseline", "verify", "api-base"}
    [setup] = [s for s in ACTION["runs"]["steps"] if "uses" in s]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False
    assert '"$GITHUB_ACTION_PATH"' in action_step("Install tokscan")["run"]


def inputs(**given: str) -> dict[str, str]:
    values = {
        f"INPUT_{name.upper().replace('-', '_')}": str(spec.get("default", ""))
        for name, spec in ACTION["inputs"].items()
    }
    values.update({f"INPUT_{k.upper()}": v for k, v in given.items()})
    return values


@pytest.mark.slow
def test_action_step_annotates_a_pull_request(pull_request, tmp_path):
    forge, base, head, key = pull_request
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(1, base, head), sha=head)
    summary = tmp_path / "summary.md"
    done = run_step(
        action_step("tokscan ci")["run"],
        repo.path,
        TOKSCAN_PYTHON=sys.executable,
        GITHUB_STEP_SUMMARY=str(summary),
        **inputs(),
    )
    assert done.returncode == 1, done.stderr
    [(command, properties, _)] = check_github(done.stdout)
    assert (command, properties["file"], properties["line"]) == ("error", "src/app.py", "1")
    assert f"tokscan ci: pull request #1: the commits in {base[:12]}..{head[:12]}" in done.stderr
    assert "## tokscan" in summary.read_text()
    assert key not in done.stdout + done.stderr + summary.read_text()


@pytest.mark.slow
def test_action_step_writes_sarif_and_checks_verify(pull_request, tmp_path):
    forge, base, head, key = pull_request
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(1, base, head), sha=head)
    script = action_step("tokscan ci")["run"]
    done = run_step(
        script,
        repo.path,
        TOKSCAN_PYTHON=sys.executable,
        **inputs(format="sarif", output="tokscan.sarif", verify="false"),
    )
    assert done.returncode == 1, done.stderr
    document = check_sarif((repo.path / "tokscan.sarif").read_text())
    assert len(document["runs"][0]["results"]) == 1
    assert "1 key in 1 place" in done.stderr  # the summary line still reaches the log
    assert key not in (repo.path / "tokscan.sarif").read_text() + done.stderr
    wrong = run_step(script, repo.path, TOKSCAN_PYTHON=sys.executable, **inputs(verify="yes"))
    assert wrong.returncode == 2
    assert wrong.stdout == "::error title=tokscan::verify must be true, false or empty\n"


@pytest.mark.slow
def test_gitlab_template_reports_a_merge_request(pull_request):
    forge, base, head, key = pull_request
    job = TEMPLATE["tokscan"]
    assert job["artifacts"]["reports"]["secret_detection"] == job["variables"]["TOKSCAN_REPORT"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    repo = forge.checkout(head, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=20)
    forge.gitlab_pipeline(
        "merge_request_event", head, CI_MERGE_REQUEST_IID="3", CI_MERGE_REQUEST_DIFF_BASE_SHA=base
    )
    variables = {name: str(value) for name, value in job["variables"].items()}
    done = run_step("\n".join(job["script"]), repo.path, **variables)
    assert done.returncode == 1, done.stderr
    document = check_gitlab((repo.path / variables["TOKSCAN_REPORT"]).read_text())
    [vulnerability] = document["vulnerabilities"]
    assert vulnerability["location"]["commit"]["sha"] == head
    assert key not in done.stdout + done.stderr
