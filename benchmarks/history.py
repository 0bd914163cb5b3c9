"""Benchmark: `tokscan history` against the floor (git decompressing every blob once) and
gitleaks, in the same run.

    python benchmarks/history.py [REPO] [--runs N] [--commits N]

Without REPO, a synthetic repository is generated with `git fast-import` (see
history_repo.py: >= 20,000 commits, >= 300 MB of unique blob bytes of source-like text edited
over time, repacked so the pack holds deltas, a few planted keys) and cached under
benchmarks/.data/. Prints, for each tool, the median wall time of N runs, its ratio to the
floor and bytes per second, and tokscan's peak memory: the largest sum over the whole
process tree (tokscan, its workers and its git processes) of proportional set size (memory
shared between processes, such as pages a forked worker shares with its parent, counted
once), and of its anonymous part (the rest is pack files that git maps, which the kernel can
drop at any time).

The floor is `git cat-file --batch-all-objects --unordered --batch > /dev/null`: every
object decompressed once, in pack order, by one git process (SPEC §9's reference).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
GENERATOR_VERSION = 2  # bump when history_repo.py changes what it writes

sys.path.insert(0, str(HERE))


def generated(commits: int) -> Path:
    """The cached synthetic repository, generated on first use."""
    import history_repo

    target = DATA / f"synthetic-{commits}-v{GENERATOR_VERSION}.git"
    if target.exists():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gen-", dir=DATA))
    print(f"generating {target.name} (once; takes a minute or two) ...", flush=True)
    stats = history_repo.generate(work / "repo.git", commits=commits)
    subprocess.run(
        ["git", "-C", str(work / "repo.git"), "repack", "-q", "-a", "-d", "-f", "--depth=50",
         "--window=10"],
        check=True,
    )
    (work / "repo.git" / "planted.json").write_text(json.dumps(
        [{"fingerprint": _fingerprint(p.key), "path": p.path, "commit": p.commit,
          "present_at_head": p.present_at_head} for p in stats.planted]
    ))
    os.replace(work / "repo.git", target)
    shutil.rmtree(work)
    return target


def _fingerprint(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


class PeakMemory:
    """Polls /proc for the largest memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.pss = 0  # proportional: memory shared between processes is counted once
        self.anon = 0
        self.by_name: dict[str, int] = {}  # peak resident memory of one process, by name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        tree: set[int] = {self.pid}
        others: set[int] = set()
        while not self._stop.is_set():
            # Only processes not seen before need their parent looked up.
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in tree and int(entry) not in others:
                    pid = int(entry)
                    (tree if _parent(pid) in tree else others).add(pid)
            pss = anon = 0
            for pid in tree:
                fields = _status(pid)
                pss += fields.get("Pss", 0)
                anon += fields.get("Pss_Anon", 0)
                if fields:
                    name = fields["name"]
                    self.by_name[name] = max(self.by_name.get(name, 0), fields.get("Rss", 0))
            self.pss, self.anon = max(self.pss, pss), max(self.anon, anon)
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return -1
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def _status(pid: int) -> dict[str, Any]:
    """Rss, Pss and Pss_Anon in bytes, and "name": what the process is."""
    fields: dict[str, Any] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name in ("Rss", "Pss", "Pss_Anon"):
                    fields[name] = int(value.split()[0]) * 1024
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = [w.decode(errors="replace") for w in handle.read().split(b"\0") if w]
    except (OSError, ValueError):
        return {}
    fields["name"] = _label(words)
    return fields


def _label(words: list[str]) -> str:
    """`git cat-file`, `git log`, `python` ..., from a command line."""
    if not words:
        return "?"
    program = os.path.basename(words[0])
    if program != "git":
        return "python" if "python" in program else program
    rest = iter(words[1:])
    for word in rest:
        if word in ("-C", "-c"):
            next(rest, None)
        elif not word.startswith("-"):
            return f"git {word}"
    return "git"


def timed(command: list[str], stdout: int | None = subprocess.DEVNULL, watch: bool = False):
    """(wall seconds, CPU seconds of the process tree, PeakMemory or None) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    memory = PeakMemory(process.pid) if watch else None
    _, errors = process.communicate()
    elapsed = time.perf_counter() - start
    if memory is not None:
        memory.stop()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {errors.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, memory


def blob_stats(repo: Path) -> tuple[int, int, int]:
    """(commits, blobs, unique blob bytes)."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--unordered",
         "--batch-check=%(objecttype) %(objectsize)"],
        capture_output=True, check=True,
    ).stdout.split(b"\n")
    blobs = [int(line.split()[1]) for line in listing if line.startswith(b"blob ")]
    commits = sum(1 for line in listing if line.startswith(b"commit "))
    return commits, len(blobs), sum(blobs)


def gitleaks_config(directory: Path) -> Path:
    config = directory / "gitleaks.toml"
    config.write_text(
        'title = "tokscan benchmark: one rule"\n\n[[rules]]\nid = "tokmodel-api-key"\n'
        "regex = '''(?:^|[^A-Za-z0-9])(tm-[A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)'''\n"
        'keywords = ["tm-"]\n'
    )
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, help="repository (default: generated)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commits", type=int, default=20_000)
    args = parser.parse_args()
    repo = args.repo.resolve() if args.repo else generated(args.commits)
    commits, blobs, size = blob_stats(repo)
    print(f"repository: {repo}\n  {commits:,} commits, {blobs:,} blobs, "
          f"{size / 1e6:,.0f} MB of unique blob bytes")
    scratch = Path(tempfile.mkdtemp(prefix="tokscan-bench-"))
    report = scratch / "report.json"
    floor = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--unordered", "--batch"]
    tokscan = [sys.executable, "-m", "tokscan", "-C", str(repo), "history", "--no-progress",
               "-f", "json", "-o", str(report), "-q"]
    gitleaks = shutil.which("gitleaks")
    leaks = None
    if gitleaks:
        leaks = [gitleaks, "git", str(repo), "--no-banner", "--config",
                 str(gitleaks_config(scratch)), "--report-path", str(scratch / "gitleaks.json"),
                 "--exit-code", "0", "--log-level", "error"]
    timed(floor)  # warm the page cache
    times: dict[str, list[float]] = {"floor": [], "tokscan": [], "gitleaks": []}
    cpu: dict[str, list[float]] = {"floor": [], "tokscan": [], "gitleaks": []}
    for _ in range(args.runs):
        elapsed, used, _ = timed(floor)
        times["floor"].append(elapsed)
        cpu["floor"].append(used)
        elapsed, used, _ = timed(tokscan)
        times["tokscan"].append(elapsed)
        cpu["tokscan"].append(used)
        if leaks:
            elapsed, used, _ = timed(leaks)
            times["gitleaks"].append(elapsed)
            cpu["gitleaks"].append(used)
    # Memory is measured in runs of its own: polling /proc takes CPU from the timed runs.
    memories = [timed(tokscan, watch=True)[2] for _ in range(2)]
    base = statistics.median(times["floor"])
    best = min(times["floor"])
    print(f"\n{args.runs} runs each, interleaved. Other work on this machine slows some runs: "
          "the best run is the steadier figure.")
    print(f"{'tool':<10} {'median s':>9} {'x floor':>8} {'best s':>8} {'x floor':>8} "
          f"{'MB/s':>6} {'CPU s':>6}")
    for name, values in times.items():
        if values:
            median, fastest = statistics.median(values), min(values)
            print(f"{name:<10} {median:9.2f} {median / base:8.2f} {fastest:8.2f} "
                  f"{fastest / best:8.2f} {size / fastest / 1e6:6.0f} "
                  f"{statistics.median(cpu[name]):6.2f}")
    if not leaks:
        print("gitleaks   not installed: not measured")
    pss = max(m.pss for m in memories if m is not None)
    anon = max(m.anon for m in memories if m is not None)
    last_memory = memories[-1]
    assert last_memory is not None
    print(f"\ntokscan peak memory, whole process tree: {pss / 1e6:.0f} MB "
          f"(proportional set size), of which {anon / 1e6:.0f} MB anonymous (the rest: pack "
          "files git maps, page cache)")
    print("  peak resident memory by process: " + ", ".join(
        f"{name} {size / 1e6:.0f} MB" for name, size in sorted(last_memory.by_name.items())))
    found = json.loads(report.read_text())
    print(f"tokscan findings: {len(found['findings'])}, errors: {len(found['scan']['errors'])}")
    planted = repo / "planted.json"
    if planted.exists():
        fields = ("fingerprint", "path", "commit", "present_at_head")
        expected = {tuple(p[f] for f in fields) for p in json.loads(planted.read_text())}
        got = {tuple(f[name] for name in fields) for f in found["findings"]}
        print(f"planted keys found with the right commit, path and present_at_head: "
              f"{len(expected & got)}/{len(expected)}"
              + ("" if got <= expected else f"; {len(got - expected)} findings not planted"))
    shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
