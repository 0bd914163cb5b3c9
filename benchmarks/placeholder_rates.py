"""How often the placeholder filter throws away a real key (SPEC §2).

Draws 1,000,000 random 32-character bodies from base62 `[A-Za-z0-9]` and 1,000,000 from hex
`[0-9a-f]` (seeded, so the run is reproducible), counts how many the filter calls
placeholders, and prints each rate beside the limit the SPEC sets (fewer than 1 in
100,000), as a ratio. Also checks that every entry of fixtures/placeholders.txt is rejected.

    python benchmarks/placeholder_rates.py [--count N] [--seed S]

Exits 1 when a rate reaches the limit or a fixture placeholder is kept.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

from tokscan.detect import placeholder

ALPHABETS = {"base62": string.ascii_letters + string.digits, "hex": "0123456789abcdef"}
LIMIT = 1 / 100_000
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "placeholders.txt"


def rejection_count(alphabet: str, count: int, seed: int) -> tuple[int, list[str]]:
    rng = random.Random(seed)
    rejected = []
    for _ in range(count):
        body = "".join(rng.choices(alphabet, k=32))
        if placeholder.is_placeholder(body):
            rejected.append(body)
    return len(rejected), rejected[:5]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()

    ok = True
    entries = [
        line.strip()
        for line in FIXTURE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = [entry for entry in entries if not placeholder.is_placeholder(entry[3:])]
    print(f"fixture placeholders: {len(entries) - len(kept)}/{len(entries)} rejected")
    ok &= not kept

    for offset, (name, alphabet) in enumerate(ALPHABETS.items()):
        started = time.perf_counter()
        rejected, examples = rejection_count(alphabet, args.count, args.seed + offset)
        elapsed = time.perf_counter() - started
        rate = rejected / args.count
        print(
            f"{name:>6}: {rejected} of {args.count:,} random keys rejected "
            f"(rate {rate:.2e}; limit {LIMIT:.0e}; rate/limit {rate / LIMIT:.3f}; "
            f"{elapsed / args.count * 1e6:.1f} µs per key)"
        )
        for body in examples:
            print(f"        e.g. …{body[-6:]}: {placeholder.reason(body)}")
        ok &= rate < LIMIT
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
