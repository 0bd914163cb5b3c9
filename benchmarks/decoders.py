"""Decoders: what finding encoded and packed keys costs, and that it finds nothing false.

Two measurements, in the same run:

1. Precision: `tokscan scan` of 100 MB of random base64 (lines of 76 characters, lines of
   every length up to 4 KB, and one line of 1 MB) and random binary data reports 0 findings.
2. Cost where nothing is encoded: `tokscan history` of a repository (a public clone given
   as REPO, e.g. flask or sqlalchemy, else the generated one of benchmarks/history.py)
   against the same tokscan with the decoders switched off in the process (the search for
   their needles, archive and UTF-16 sniffing), as a ratio. Issue target: within 1.05x.
   With --findings, every finding on REPO is listed, to check that decoding adds no
   finding that is not a planted key.

Run: python benchmarks/decoders.py [REPO] [--findings]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import compare, tokscan_command

SIZE = 100_000_000
RUNS = 3

# Runs tokscan with the decoders off: only the plain prefix is searched, and no stream is
# taken for an archive or UTF-16 text. For measuring only; not a product switch.
DECODERS_OFF = """
import sys
from tokscan import keyformat
from tokscan.decode import archive, text
from tokscan.detect import finder, matcher
matcher.NEEDLES = (keyformat.PREFIX,)
matcher.SPLIT_NEEDLES = ()
finder._has_needle = lambda chunk: False
archive.kind = lambda head: None
text.sniff = lambda head: None
from tokscan.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def random_tree(folder: Path) -> None:
    rng = random.Random(12)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    index = 0
    while written < SIZE // 2:
        raw = rng.randbytes(rng.randint(1 << 10, 1 << 20))
        text = base64.b64encode(raw)
        if index % 3 == 0:  # MIME-wrapped
            text = base64.encodebytes(raw)
        elif index % 3 == 1:  # lines of every length
            cuts = []
            at = 0
            while at < len(text):
                step = rng.randint(1, 4096)
                cuts.append(text[at : at + step])
                at += step
            text = b"\n".join(cuts)
        if index == 0:
            text = base64.b64encode(rng.randbytes(3 << 18))  # one line of 1 MB
        (folder / f"b{index:04d}.txt").write_bytes(b"data: " + text + b"\n")
        written += len(text)
        index += 1
    while written < SIZE:
        raw = rng.randbytes(rng.randint(1 << 10, 1 << 20))
        (folder / f"r{index:04d}.bin").write_bytes(raw)
        written += len(raw)
        index += 1


def precision(folder: Path) -> int:
    started = time.perf_counter()
    done = subprocess.run([*tokscan_command(), "scan", "-f", "json", str(folder)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    report = json.loads(done.stdout)
    found = len(report["findings"])
    scanned = report["scan"]["bytes_scanned"]
    print(f"random base64 and binary  {scanned / 1e6:6.0f} MB  {elapsed:6.2f} s  "
          f"findings: {found} (target 0)")
    return found


def cost(repo: Path, list_findings: bool) -> None:
    on = [*tokscan_command(), "history", "-q", "--no-progress", "-f", "json"]
    off = [sys.executable, "-c", DECODERS_OFF, "history", "-q", "--no-progress", "-f", "json"]
    times = compare({"decoders on": on, "decoders off": off}, RUNS, cwd=repo, ok=(0, 1))
    ratio = times["decoders on"] / times["decoders off"]
    print(f"history {repo.name}: decoders on {times['decoders on']:.2f} s, off "
          f"{times['decoders off']:.2f} s, ratio {ratio:.3f}x (target <= 1.05x)")
    if list_findings:
        with_decoders = subprocess.run(on, cwd=repo, capture_output=True, text=True)
        without = subprocess.run(off, cwd=repo, capture_output=True, text=True)
        keys = {(f["fingerprint"], f["path"]) for f in json.loads(with_decoders.stdout)["findings"]}
        plain = {(f["fingerprint"], f["path"]) for f in json.loads(without.stdout)["findings"]}
        print(f"findings with decoders {len(keys)}, without {len(plain)}; "
              f"found only by decoding: {sorted(path for _, path in keys - plain)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", type=Path)
    parser.add_argument("--findings", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tokscan-decoders-") as temporary:
        folder = Path(temporary) / "random"
        random_tree(folder)
        found = precision(folder)
    repo = args.repo
    if repo is None:
        repo = Path(tempfile.gettempdir()) / "tokscan-bench-history"
        if not repo.is_dir():
            print("no repository: run benchmarks/history.py first, or give REPO")
            return 1 if found else 0
    cost(repo, args.findings)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
