"""Hook latency: `tokscan staged` on a commit staging 20 files (~200 KB), against a bare
`python -c pass` (and gitleaks' staged scan when it is installed), in the same run.

SPEC §9 target: at most 2.5x the bare Python start. Run: python benchmarks/hook_latency.py
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from pathlib import Path

from _common import compare, git, source_text, tokscan_command

RUNS = 40


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, "init", "-q")
        rng = random.Random(7)
        for i in range(20):
            (repo / f"module_{i}.py").write_text(source_text(rng, 10_000))
        git(repo, "add", ".")
        size = sum(p.stat().st_size for p in repo.glob("*.py"))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "tokscan staged": [*tokscan_command(), "staged"],
        }
        if shutil.which("gitleaks"):
            commands["gitleaks git --pre-commit --staged"] = [
                "gitleaks",
                "git",
                "--pre-commit",
                "--staged",
                "--no-banner",
                ".",
            ]
        medians = compare(commands, RUNS, cwd=repo)
    base = medians["python -c pass"]
    print(f"20 staged files, {size / 1000:.0f} KB, median of {RUNS} runs each:")
    for name, seconds in medians.items():
        print(f"  {name:40s} {seconds * 1000:7.1f} ms   {seconds / base:5.2f}x python")
    ratio = medians["tokscan staged"] / base
    print(f"tokscan staged / python -c pass = {ratio:.2f} (target <= 2.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
