"""Verification throughput (SPEC §9): 500 unique keys against a server answering in 100 ms.

Starts the stand-in TokModel server (tests/support/tokmodel_server.py) in its own process, so it
does not compete with tokscan for the GIL, then times `tokscan verify` end to end (a fresh
process: start-up, reading stdin, every probe) with the cache off. The reference is the
ideal: keys / concurrency x delay, what perfect use of the concurrency limit would take.

    python benchmarks/verify.py [--keys 500] [--delay 0.1]

Target: under 8 s for 500 keys at the default concurrency of 8 (ideal 6.25 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

from support.keys import KeyFactory  # noqa: E402

from tokscan.verify.client import Settings  # noqa: E402

TARGET_S = 8.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.1, help="server latency, seconds")
    args = parser.parse_args()
    concurrency = Settings().concurrency
    server = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "support" / "tokmodel_server.py"),
            "--delay",
            str(args.delay),
            "--status",
            "400",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        factory = KeyFactory(seed=9)
        stdin = "".join(f"key {n}: {factory()}\n" for n in range(args.keys))
        env = dict(os.environ, TOKSCAN_API_BASE=url, TOKSCAN_VERIFY_CACHE="off")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "tokscan", "verify", "-f", "json"],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
        )
        elapsed = time.perf_counter() - started
        with urllib.request.urlopen(url + "/_stats") as answer:
            stats = json.loads(answer.read())
    finally:
        server.terminate()
        server.wait()
    summary = json.loads(done.stdout)["summary"] if done.stdout else {}
    if done.returncode != 1 or summary.get("live") != args.keys:
        print(f"unexpected result: exit {done.returncode}, {summary}\n{done.stderr}")
        return 2
    ideal = args.keys / concurrency * args.delay
    print(
        f"keys verified        {args.keys} (all live), {stats['requests']} requests, "
        f"at most {stats['max_in_flight']} in flight (limit {concurrency})"
    )
    print(f"tokscan verify       {elapsed:6.2f} s   (whole process, cache off)")
    print(f"ideal                {ideal:6.2f} s   ({args.keys} / {concurrency} x {args.delay} s)")
    print(
        f"ratio                {elapsed / ideal:6.2f}x  target: under {TARGET_S:.0f} s "
        f"-> {'met' if elapsed < TARGET_S else 'MISSED'}"
    )
    return 0 if elapsed < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
