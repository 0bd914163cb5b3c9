"""Many findings: peak memory of `tokscan scan` on a file holding 250,000 keys, in each
report format, beside a bare `python -c pass` measured the same way.

A hostile repository can plant hundreds of thousands of keys to get a CI job killed; what
tokscan keeps per finding must stay small, and reports are written as they are rendered.
Issue target: under 300 MB for 250,000 findings. Run: python benchmarks/many_findings.py
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import tokscan_command

TARGET_MB = 300
ALPHABET = string.ascii_letters + string.digits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=250_000)
    args = parser.parse_args()
    rng = random.Random(250)
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="tokscan-many-") as folder:
        root = Path(folder)
        with (root / "keys.txt").open("w") as handle:
            for _ in range(args.keys):
                handle.write(f"k=tm-{''.join(rng.choices(ALPHABET, k=32))}\n")
        size = (root / "keys.txt").stat().st_size
        print(f"{args.keys:,} keys in one file of {size / 1e6:.1f} MB")
        bare, _, _ = measure([sys.executable, "-c", "pass"], root)
        print(f"  {'python -c pass':28s} {bare:7.1f} MB")
        for fmt in ("text", "json", "sarif", "github", "gitlab"):
            argv = [*tokscan_command(), "scan", "-f", fmt, "keys.txt"]
            peak, elapsed, code = measure(argv, root)
            worst = max(worst, peak)
            print(f"  tokscan scan -f {fmt:12s} {peak:7.1f} MB  {elapsed:6.1f} s  exit {code}")
    verdict = "met" if worst < TARGET_MB else "MISSED"
    print(f"peak {worst:.1f} MB (target < {TARGET_MB} MB) -> {verdict}")
    return 0 if worst < TARGET_MB else 1


def measure(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """Each measurement in a fresh process, whose children's peak is only this run's."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL).returncode;"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " time.perf_counter() - t, code)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], cwd=cwd, capture_output=True,
                          text=True, check=True)
    peak_kb, elapsed, code = done.stdout.split()
    return int(peak_kb) / 1024, float(elapsed), int(code)


if __name__ == "__main__":
    sys.exit(main())
