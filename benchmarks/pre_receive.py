"""The server-side gate: the time a bare repository takes to receive a push of 1,000 commits
with `tokscan pre-receive` as its pre-receive hook, against the same push to the same
repository without the hook, in the same run (a real `git push` over file://).

The server already holds 500 commits; the push brings 1,000 more, each editing a few of
300 source-like files (no keys, so the push is accepted and both runs do the same work
besides the scan). Each run pushes into a fresh copy of the server, runs interleaved.

Run: python benchmarks/pre_receive.py
"""

from __future__ import annotations

import random
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import source_text, tokscan_command

RUNS = 5
BASE_COMMITS = 500
PUSHED_COMMITS = 1_000
FILES = 300
FILE_SIZE = 6_000


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        work = root / "work"
        new_bytes = _generate(work)
        base = _out(work, "rev-parse", f"main~{PUSHED_COMMITS}")
        server = root / "server.git"
        _git(root, "init", "-q", "--bare", "-b", "main", str(server))
        _git(work, "push", "-q", server.as_uri(), f"{base}:refs/heads/main")
        hooked = root / "hooked.git"
        shutil.copytree(server, hooked)
        hook = hooked / "hooks" / "pre-receive"
        command = " ".join(shlex.quote(part) for part in tokscan_command())
        hook.write_text(f"#!/bin/sh\nexec {command} pre-receive\n")
        hook.chmod(0o755)
        samples: dict[str, list[float]] = {"without a hook": [], "tokscan pre-receive": []}
        for run in range(RUNS + 1):  # the first round warms caches and is not counted
            for name, template in (("without a hook", server), ("tokscan pre-receive", hooked)):
                target = root / f"target-{run}.git"
                shutil.copytree(template, target)
                seconds = _push(work, target)
                shutil.rmtree(target)
                if run:
                    samples[name].append(seconds)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    plain, gated = medians["without a hook"], medians["tokscan pre-receive"]
    print(
        f"receiving a push of {PUSHED_COMMITS:,} commits ({new_bytes / 1e6:.1f} MB of new "
        f"file versions) onto {BASE_COMMITS} commits, median of {RUNS} runs each:"
    )
    for name, seconds in medians.items():
        print(f"  {name:22s} {seconds * 1000:8.1f} ms")
    print(f"with the hook / without = {gated / plain:.2f}")
    print(f"the hook's own time: {(gated - plain) * 1000:.1f} ms")
    return 0


def _push(work: Path, target: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        ["git", "push", "-q", target.as_uri(), "main"], cwd=work, capture_output=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"git push failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def _generate(work: Path) -> int:
    """A repository of BASE_COMMITS + PUSHED_COMMITS commits on main, written with git
    fast-import; returns the bytes of the file versions the last PUSHED_COMMITS add."""
    rng = random.Random(15)
    _git(work.parent, "init", "-q", "-b", "main", str(work))
    files = {f"src/pkg_{i % 20}/module_{i}.py": source_text(rng, FILE_SIZE) for i in range(FILES)}
    names = sorted(files)
    stream: list[bytes] = []
    pushed = 0
    for number in range(BASE_COMMITS + PUSHED_COMMITS):
        changed = names if number == 0 else rng.sample(names, 3)
        lines = [f"commit refs/heads/main\ncommitter bench <b@example.com> "
                 f"{1_700_000_000 + number * 60} +0000\n"]  # fmt: skip
        message = f"change {number}\n"
        lines.append(f"data {len(message)}\n{message}")
        for name in changed:
            if number:
                text = files[name].splitlines(keepends=True)
                at = rng.randrange(len(text))
                text[at] = source_text(rng, 80)
                files[name] = "".join(text)
            data = files[name].encode()
            if number >= BASE_COMMITS:
                pushed += len(data)
            lines.append(f"M 100644 inline {name}\ndata {len(data)}\n")
            stream.append("".join(lines).encode() + data + b"\n")
            lines = []
        if lines:
            stream.append("".join(lines).encode())
    subprocess.run(
        ["git", "-C", str(work), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    _git(work, "reset", "-q", "--hard", "main")
    return pushed


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _out(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
