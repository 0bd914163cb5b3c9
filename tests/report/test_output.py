"""tokscan/report/output.py: where the report and messages go, and what happens when they cannot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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
