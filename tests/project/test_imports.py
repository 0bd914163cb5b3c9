"""The layout holds: the import contracts in pyproject.toml (imports run one way, the
vocabulary modules depend on no stage) are checked with the suite, so a change that breaks
them fails here, not in a review."""

from __future__ import annotations

import subprocess
import sys

from support.paths import ROOT


def test_import_contracts_are_kept():
    lint = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
            "lint_imports_command()"]
    done = subprocess.run(lint, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout
