"""Directory scan: `tokscan scan` of a large tree (>= 200 MB of source-like text with a few
planted keys) against ripgrep searching the same pattern (the floor) and the peers
(benchmarks/peers.py: gitleaks, Betterleaks, Kingfisher, when installed), in the same run.

SPEC §9 target: within 2x of ripgrep; issue 16: at least 2x faster than the fastest peer.
Run: python benchmarks/scan_tree.py [TREE] (a real checkout such as /tmp/flask works too).
Without TREE, a tree is generated (seeded) in the temporary folder and reused. It must lie
outside any git work tree whose .gitignore would hide it from both tools.
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
from _common import compare, source_text, tokscan_command

TARGET_BYTES = 210_000_000
PLANTED = 5
PATTERN = r"(^|[^A-Za-z0-9])tm-[A-Za-z0-9]{32}([^A-Za-z0-9]|$)"
RUNS = 5


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
    default = Path(tempfile.gettempdir()) / "tokscan-bench-tree"
    tree = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not tree.exists():
        build(tree)
    files = [p for p in tree.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    scan = [*tokscan_command(), "scan", "--format", "json", str(tree)]
    found = json.loads(subprocess.run(scan, capture_output=True).stdout)["findings"]
    commands = {"tokscan scan": scan}
    rg = shutil.which("rg")
    if rg:
        commands["ripgrep"] = [rg, "--count-matches", "-e", PATTERN, str(tree)]
    scratch = Path(tempfile.mkdtemp(prefix="tokscan-peers-"))
    found_peers = peers.available(scratch)
    for peer in found_peers:
        commands[peer.name] = peer.tree(tree)
    # Exit 2 (an incomplete scan) is timed too: git/git's tree holds a truncated test tar.
    medians = compare(commands, RUNS, ok=(0, 2, *peers.FOUND))
    shutil.rmtree(scratch)
    print(f"{len(files)} files, {size / 1e6:.0f} MB; tokscan found {len(found)} keys")
    for name, seconds in medians.items():
        print(f"  {name:14s} {seconds:6.2f} s   {size / seconds / 1e6:7.0f} MB/s")
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
