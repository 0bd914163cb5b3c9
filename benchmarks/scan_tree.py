"""Directory scan: `tokscan scan` of a large tree (>= 200 MB of source-like text with a few
planted keys) against ripgrep searching the same pattern (the floor) and the peers
(benchmarks/peers.py: gitleaks, Betterleaks, Kingfisher, when installed), in the same run.

Issue 16's targets: at most 3x ripgrep, and at least 2x faster than the fastest peer; the
ratios to both are printed.
Run: python benchmarks/scan_tree.py [--editable] [TREE] (a real checkout such as /tmp/gitgit
works too: in a git work tree, tokscan and ripgrep run in it with no path, as a user would,
and see the files git knows). Without TREE, a tree is generated (seeded) in the temporary
folder and reused. It must lie outside any git work tree whose .gitignore would hide it.

tokscan runs as `pip install .` of this checkout installs it (benchmarks/.tokscan/, made on
first use); `--editable` times the console script beside this interpreter instead (an
editable install, ~15 ms slower to start).
"""

from __future__ import annotations

import json
import random
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

import peers
from _common import compare, source_text, tokscan_command, user_install

TARGET_BYTES = 210_000_000
PLANTED = 5
PATTERN = r"(^|[^A-Za-z0-9])tm-[A-Za-z0-9]{32}([^A-Za-z0-9]|$)"
RUNS = 11


def build(tree: Path) -> None:
    rng = random.Random(2026)
    pool = source_text(rng, 400_000).splitlines(keepends=True)
    tree.mkdir(parents=True)
    total = 0
    index = 0
    planted = 0
    while total < TARGET_BYTES:
        folder = tree / f"pkg{index // 200:03d}" / f"mod{index // 20 % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        size = int(rng.lognormvariate(9.5, 1.0)) + 200  # median ~13 KB, a long tail
        lines, length = [], 0
        while length < size:
            line = rng.choice(pool)
            lines.append(line)
            length += len(line)
        if index % 2000 == 1000 and planted < PLANTED:
            body = "".join(rng.choices(string.ascii_letters + string.digits, k=32))
            lines.insert(len(lines) // 2, f'API_KEY = "tm-{body}"\n')
            planted += 1
        suffix = rng.choice((".py", ".js", ".go", ".java", ".rb", ".ts", ".md", ".yaml"))
        (folder / f"file_{index}{suffix}").write_text("".join(lines))
        total += length
        index += 1
    print(f"generated {index} files, {total / 1e6:.0f} MB, {planted} planted keys in {tree}")


def main() -> int:
    arguments = sys.argv[1:]
    editable = "--editable" in arguments
    arguments = [a for a in arguments if a != "--editable"]
    default = Path(tempfile.gettempdir()) / "tokscan-bench-tree"
    tree = Path(arguments[0]).resolve() if arguments else default
    if not tree.exists():
        build(tree)
    in_git = subprocess.run(["git", "-C", str(tree), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True).stdout.strip() == str(tree)
    if in_git:  # what git knows, as `tokscan scan` and `rg` see it run in the tree
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=tree, capture_output=True)
        files = [tree / p for p in listed.stdout.decode().split("\0") if p]
        files = [p for p in files if p.is_file() and not p.is_symlink()]
    else:
        files = [p for p in tree.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    program = tokscan_command() if editable else user_install()
    where = [] if in_git else [str(tree)]
    scan = [*program, "scan", *where]
    listing = subprocess.run([*scan, "--format", "json"], cwd=tree, capture_output=True)
    found = json.loads(listing.stdout)["findings"]
    commands = {"tokscan scan": scan}
    rg = shutil.which("rg")
    if rg:
        commands["ripgrep"] = [rg, "--count-matches", "-e", PATTERN, *where]
    scratch = Path(tempfile.mkdtemp(prefix="tokscan-peers-"))
    found_peers = peers.available(scratch)
    for peer in found_peers:
        commands[peer.name] = peer.tree(tree)
    # Exit 2 (an incomplete scan) is timed too: git/git's tree holds a truncated test tar.
    medians = compare(commands, RUNS, cwd=tree, ok=(0, 2, *peers.FOUND))
    shutil.rmtree(scratch)
    how = "editable install" if editable else "installed as pip install . does"
    print(f"{len(files)} files, {size / 1e6:.0f} MB; tokscan ({how}) found {len(found)} keys")
    for name, seconds in medians.items():
        print(f"  {name:14s} {seconds:6.3f} s   {size / seconds / 1e6:7.0f} MB/s")
    if rg:
        ratio = medians["tokscan scan"] / medians["ripgrep"]
        print(f"tokscan scan / ripgrep = {ratio:.2f} (target <= 3)")
    else:
        print("ripgrep is not installed: no reference (apt-get install ripgrep)")
    best = peers.fastest(medians, found_peers)
    if best is None:
        print("no peer installed (python benchmarks/peers.py install): no peer ratio")
    else:
        name, seconds = best
        ratio = medians["tokscan scan"] / seconds
        print(f"tokscan scan / fastest peer ({name}) = {ratio:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
