"""`tokscan ci` on a pull request of 30 commits in a 3,000-commit repository, against the
same range through `tokscan history` (the cost of the CI layer: finding the range, reading
the configuration from the base, listing the pragmas the range adds) and against git alone
printing the range's patches (`git log -p`), in the same run. Then the same pull request in
a depth-1 checkout (actions/checkout's default), where `tokscan ci` fetches the base and
deepens the clone, against the full checkout.

Run: python benchmarks/ci_range.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import compare, tokscan_command
from history_repo import generate

RUNS = 7
PR_COMMITS = 30


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        base_dir = Path(folder)
        origin = base_dir / "origin.git"
        generate(origin, commits=3_000, files=600)
        url = origin.as_uri()
        full = base_dir / "full"
        _git(base_dir, "clone", "-q", url, str(full))
        head = _out(full, "rev-parse", "HEAD")
        base = _out(full, "rev-parse", f"HEAD~{PR_COMMITS}")
        event = base_dir / "event.json"
        event.write_text(
            json.dumps(
                {"pull_request": {"number": 1, "base": {"sha": base}, "head": {"sha": head}}}
            )
        )
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": head,
        }
        os.environ.update(env)
        tokscan = tokscan_command()
        medians = compare(
            {
                "tokscan ci": [*tokscan, "-C", str(full), "ci", "-f", "json", "-q"],
                "tokscan history base..head": [
                    *tokscan,
                    "-C",
                    str(full),
                    "history",
                    f"{base}..{head}",
                    "-f",
                    "json",
                    "-q",
                ],
                "git log -p base..head": [
                    "git",
                    "-C",
                    str(full),
                    "log",
                    "-p",
                    "--no-ext-diff",
                    f"{base}..{head}",
                ],
            },
            RUNS,
            ok=(0, 1),
        )
        shallow_times = []
        for run in range(3):
            shallow = base_dir / f"shallow{run}"
            _git(base_dir, "init", "-q", str(shallow))
            _git(shallow, "remote", "add", "origin", url)
            _git(shallow, "fetch", "-q", "--depth=1", "origin", head)
            _git(shallow, "checkout", "-q", "--detach", head)
            start = time.perf_counter()
            done = subprocess.run(
                [*tokscan, "-C", str(shallow), "ci", "-f", "json"], capture_output=True
            )
            shallow_times.append(time.perf_counter() - start)
            assert done.returncode in (0, 1), done.stderr.decode()
            shutil.rmtree(shallow)
        said = [line for line in done.stderr.decode().splitlines() if "tokscan ci:" in line]
    print(
        f"a pull request of {PR_COMMITS} commits in a 3,000-commit repository, "
        f"median of {RUNS} runs each:"
    )
    for name, seconds in medians.items():
        print(f"  {name:30s} {seconds * 1000:8.1f} ms")
    reference = medians["git log -p base..head"]
    layer = medians["tokscan ci"] / medians["tokscan history base..head"]
    print(f"tokscan ci / tokscan history = {layer:.2f}")
    print(f"tokscan ci / git log -p = {medians['tokscan ci'] / reference:.2f}")
    shallow = sorted(shallow_times)[1]
    print(
        f"depth-1 checkout: tokscan ci {shallow * 1000:.1f} ms (median of 3), "
        f"{shallow / medians['tokscan ci']:.2f}x the full checkout; it said:"
    )
    for line in said:
        print(f"    {line}")
    return 0


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, check=True, capture_output=True
    )


def _out(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
