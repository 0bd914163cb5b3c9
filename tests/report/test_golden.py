"""Golden files: one simulated GitHub pull request, rendered in every format and compared
with fixtures/golden/ (redacted keys only). Run with TOKSCAN_UPDATE_GOLDEN=1 to rewrite
them after an intended change, and read the diff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.forge import Forge, pull_request_event
from support.formats import check_summary
from support.keys import fingerprint
from support.reports import check_golden

FORMATS = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "github": "github.txt",
    "gitlab": "gitlab.json",
}


def normalize(text: str, root: Path) -> str:
    """What changes from run to run: the checkout's folder, times and durations, and the
    needle search that the machine has (TOKSCAN_MATCHER)."""
    text = text.replace(str(root), "<root>")
    text = re.sub(r'"matcher": "[a-z]+"', '"matcher": "<matcher>"', text)
    text = re.sub(r'"started_at": "[^"]+"', '"started_at": "<time>"', text)
    text = re.sub(r'"duration_s": [0-9.e-]+', '"duration_s": 0', text)
    text = re.sub(r'"(start|end)_time": "[^"]+"', r'"\1_time": "<time>"', text)
    return re.sub(r"\b\d+\.\d\ds\b", "<seconds>", text)


@pytest.fixture
def pull_request(tmp_path, monkeypatch, keys):
    """A pull request bringing keys in a file, in an odd path, in a commit message and
    behind a pragma, on a base whose configuration allowlists one more."""
    forge = Forge(tmp_path / "forge", monkeypatch)
    dev = forge.dev
    documented = keys()
    dev.write(
        ".tokscan.yaml",
        f'allow:\n  - fingerprint: "{fingerprint(documented)}"\n'
        "    reason: the example key in our docs\n",
    )
    dev.write("README.md", "# service\n")
    base = dev.commit("start")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "feature")
    dev.write("src/app.py", f"import os\n\nAPI_KEY = '{keys()}'\n")
    dev.write("docs/example.md", f"Use `{documented}` in the examples.\n")
    dev.commit("call the API")
    dev.write("config/a,b:c%d.env", f"MODE=dev\nTOKMODEL_API_KEY={keys()}\n")
    dev.write("tests/fixture.py", f"FAKE = '{keys()}'  # tokscan:allow test fixture\n")
    dev.commit(f"env file\n\nmy key for staging is {keys()}")
    head = dev.head()
    forge.push("feature")
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(12, base, head), sha=head)
    return repo


def test_every_format_matches_its_golden_file(pull_request, run_tokscan, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for fmt, suffix in FORMATS.items():
        result = run_tokscan(["ci", "-f", fmt], cwd=pull_request.path)
        assert result.code == 1, result.stderr
        check_golden(f"ci-pull-request.{suffix}", normalize(result.stdout, pull_request.path))
    check_summary(summary.read_text())
    check_golden("ci-pull-request.summary.md", summary.read_text())
