"""Hook latency: the clean pre-commit path on a commit staging 20 files (~200 KB), beside
the peers' staged scans (benchmarks/peers.py: gitleaks, Betterleaks, Kingfisher, when
installed) and the floors, in the same run.

    python benchmarks/hook_latency.py [--runs N]

`tokscan hook` is the command the installed pre-commit hook runs (git/hooks.py: Python
started with -I -S from the folder tokscan is installed in); `tokscan staged` is the
console script (what the pre-commit framework runs). The floors are a bare `python -c pass`
of the same interpreter, the same with -I -S, and `git diff --cached` alone.

Targets (issue 16): faster than the fastest peer, at most 2x `python -c pass`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import peers
from _common import compare, git, source_text, tokscan_command

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tokscan.git import hooks  # noqa: E402


def make_repository(repo: Path) -> int:
    """A repository with one commit and 20 staged files (new and edited): their size."""
    git(repo, "init", "-q")
    rng = random.Random(7)
    (repo / "README.md").write_text("project\n")
    for i in range(10):
        (repo / f"module_{i}.py").write_text(source_text(rng, 10_000))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start")
    for i in range(10):
        with (repo / f"module_{i}.py").open("a") as handle:
            handle.write(source_text(rng, 500))
        (repo / f"new_{i}.py").write_text(source_text(rng, 10_000))
    git(repo, "add", ".")
    return sum(p.stat().st_size for p in repo.glob("*.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        size = make_repository(repo)
        python = sys.executable
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "python -I -S -c pass": [python, "-I", "-S", "-c", "pass"],
            "git diff --cached": ["git", "diff", "--cached", "-U0", "--no-color"],
            "tokscan hook": [python, "-I", "-S", "-c", hooks.BOOTSTRAP, hooks.package_folder(),
                             "staged"],
            "tokscan staged": [*tokscan_command(), "staged"],
        }
        found = peers.available(Path(folder) / "peers")
        for peer in found:
            commands[f"{peer.name} staged"] = peer.staged()
        medians = compare(commands, args.runs, cwd=repo)
    base = medians["python -c pass"]
    print(f"20 staged files, {size / 1000:.0f} KB, median of {args.runs} runs each "
          "(interleaved):")
    for name, seconds in medians.items():
        print(f"  {name:28s} {seconds * 1000:7.1f} ms   {seconds / base:5.2f}x python -c pass")
    ours = medians["tokscan hook"]
    print(f"tokscan hook / python -c pass = {ours / base:.2f} (target <= 2)")
    print(f"tokscan hook / python -I -S -c pass = {ours / medians['python -I -S -c pass']:.2f}")
    best = peers.fastest({n.removesuffix(" staged"): s for n, s in medians.items()}, found)
    if best is None:
        print("no peer installed (python benchmarks/peers.py install): no peer ratio")
    else:
        name, seconds = best
        print(f"tokscan hook / fastest peer ({name}) = {ours / seconds:.2f} (target < 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
