"""Benchmark: `tokscan history` against the floor (git decompressing every blob once) and
the peers (benchmarks/peers.py: gitleaks, Betterleaks, Kingfisher, when installed), in the
same run.

    python benchmarks/history.py [REPO] [--runs N] [--commits N] [--no-peers] [--no-breakdown]

REPO may be a clone or a bare repository (/work/.mirror/sqlalchemy+sqlalchemy/repo).

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

Where tokscan's time goes is printed too, each part measured alone in the same run: the
object listing, the tree-diff pass (`git log --raw`), the floor's output read through a
pipe by Python (what pipes and copies add), tokscan with the Python needle search instead
of Hyperscan (what the matcher saves), and tokscan's main process against its workers and
gits (CPU seconds). Memory is given for tokscan's own (Python) processes apart from git's:
the unique (USS) and proportional (PSS) set sizes, sampled from /proc/PID/smaps_rollup,
and for git its anonymous memory apart from the pack files it maps.
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

import peers  # noqa: E402
from _common import tokscan_command  # noqa: E402


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
        # tokscan's own processes (Python: the main one and its workers), summed
        self.ours_pss = 0
        self.ours_uss = 0  # unique: private pages, what ending them would free
        self.git_anon = 0  # git's processes, without the pack files they map
        self.git_files = 0  # git's mapped files (packs): the page cache's, not git's own
        self.cpu_main = 0.0  # CPU seconds of tokscan's main process itself
        self.cpu_children = 0.0  # of its children (workers, gits) that it waited for
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
            pss = anon = ours_pss = ours_uss = git_anon = git_files = 0
            for pid in tree:
                fields = _status(pid)
                pss += fields.get("Pss", 0)
                anon += fields.get("Pss_Anon", 0)
                if fields:
                    name = fields["name"]
                    self.by_name[name] = max(self.by_name.get(name, 0), fields.get("Rss", 0))
                    if name.startswith("git"):
                        git_anon += fields.get("Pss_Anon", 0)
                        git_files += fields.get("Pss_File", 0)
                    else:
                        ours_pss += fields.get("Pss", 0)
                        ours_uss += fields.get("Uss", 0)
            self.pss, self.anon = max(self.pss, pss), max(self.anon, anon)
            self.ours_pss = max(self.ours_pss, ours_pss)
            self.ours_uss = max(self.ours_uss, ours_uss)
            self.git_anon = max(self.git_anon, git_anon)
            self.git_files = max(self.git_files, git_files)
            times = _cpu(self.pid)
            if times is not None:
                self.cpu_main, self.cpu_children = times
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
                if name in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Private_Clean",
                            "Private_Dirty"):
                    fields[name] = int(value.split()[0]) * 1024
        fields["Uss"] = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = [w.decode(errors="replace") for w in handle.read().split(b"\0") if w]
    except (OSError, ValueError):
        return {}
    fields["name"] = _label(words)
    return fields


def _cpu(pid: int) -> tuple[float, float] | None:
    """(own, waited-for children's) CPU seconds of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime) / tick, (cutime + cstime) / tick


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


def timed(command: list[str], stdout: int | None = subprocess.DEVNULL, watch: bool = False,
          ok: tuple[int, ...] = (0, 1, 2)):
    """(wall seconds, CPU seconds of the process tree, PeakMemory or None) for one run.
    tokscan's exit 2 (an audit that could not read everything: git/git holds a truncated
    test tar) is timed too; the error is printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    memory = PeakMemory(process.pid) if watch else None
    _, errors = process.communicate()
    elapsed = time.perf_counter() - start
    if memory is not None:
        memory.stop()
    if process.returncode not in ok:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {errors.decode()[-2000:]}")
    if process.returncode == 2 and "tokscan" in os.path.basename(command[0]):
        print(f"  (tokscan exit 2, timed anyway: {errors.decode().strip().splitlines()[-1]})")
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


def pipe_reader(command: list[str]) -> list[str]:
    """A Python process that reads `command`'s output through a pipe and drops it: the cost
    of moving the blobs into Python, without scanning them."""
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "buffer = bytearray(1 << 20)\n"
        "while p.stdout.readinto(buffer):\n"
        "    pass\n"
        "sys.exit(p.wait())\n"
    )
    return [sys.executable, "-c", code, *command]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, help="repository (default: generated)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--no-peers", action="store_true", help="time tokscan and git only")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip the parts (the Python search alone takes minutes)")
    args = parser.parse_args()
    repo = args.repo.resolve() if args.repo else generated(args.commits)
    commits, blobs, size = blob_stats(repo)
    print(f"repository: {repo}\n  {commits:,} commits, {blobs:,} blobs, "
          f"{size / 1e6:,.0f} MB of unique blob bytes")
    scratch = Path(tempfile.mkdtemp(prefix="tokscan-bench-"))
    report = scratch / "report.json"
    floor = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--unordered", "--batch"]
    tokscan = [*tokscan_command(), "-C", str(repo), "history", "--no-progress",
               "-f", "json", "-o", str(report), "-q"]
    sys.path.insert(0, str(HERE.parent))
    from tokscan.git import process
    from tokscan.sources.history import gitlog

    parts = {
        "listing": ["git", "-C", str(repo), *process.LEAN, "cat-file", "--batch-all-objects",
                    "--unordered", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
        "tree-diff pass": ["git", "-C", str(repo), *process.LEAN,
                           *gitlog.arguments(["--all"])],
        "floor through a pipe": pipe_reader(floor),
    }
    commands: dict[str, list[str]] = {"floor": floor, "tokscan": tokscan}
    found_peers = [] if args.no_peers else peers.available(scratch / "peers")
    for peer in found_peers:
        commands[peer.name] = peer.history(repo, scratch / f"{peer.name}.json")
    timed(floor)  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            elapsed, used, _ = timed(command, ok=(0, 2, *peers.FOUND))
            times[name].append(elapsed)
            cpu[name].append(used)
    # The parts, and tokscan on the Python search, once each (the same run, after).
    part_times = {}
    if not args.no_breakdown:
        part_times = {name: timed(command)[:2] for name, command in parts.items()}
        os.environ["TOKSCAN_MATCHER"] = "python"
        part_times["tokscan, Python search"] = timed(tokscan)[:2]
        del os.environ["TOKSCAN_MATCHER"]
    # Memory is measured in runs of its own: polling /proc takes CPU from the timed runs.
    memories = [m for m in (timed(tokscan, watch=True)[2] for _ in range(2)) if m is not None]
    base = statistics.median(times["floor"])
    best = min(times["floor"])
    print(f"\n{args.runs} runs each, interleaved. Other work on this machine slows some runs: "
          "the best run is the steadier figure.")
    print(f"{'tool':<12} {'median s':>9} {'x floor':>8} {'best s':>8} {'x floor':>8} "
          f"{'MB/s':>6} {'CPU s':>6}")
    for name, values in times.items():
        median, fastest = statistics.median(values), min(values)
        print(f"{name:<12} {median:9.2f} {median / base:8.2f} {fastest:8.2f} "
              f"{fastest / best:8.2f} {size / fastest / 1e6:6.0f} "
              f"{statistics.median(cpu[name]):6.2f}")
    ours = statistics.median(times["tokscan"])
    print(f"tokscan / floor (git cat-file) = {ours / base:.2f} (target <= 1.3)")
    fastest_peer = peers.fastest({n: statistics.median(v) for n, v in times.items()},
                                 found_peers)
    if fastest_peer is None:
        print("no peer timed (python benchmarks/peers.py install)")
    else:
        name, seconds = fastest_peer
        print(f"tokscan / fastest peer ({name}) = {ours / seconds:.2f} (target <= 0.33)")
    print("\nwhere the time goes (each part alone, one run; wall s, CPU s):")
    for name, (elapsed, used) in part_times.items():
        print(f"  {name:<24} {elapsed:6.2f} {used:6.2f}")
    last = memories[-1]
    print(f"  {'tokscan main process':<24} {'':6} {last.cpu_main:6.2f}   (its workers and gits: "
          f"{last.cpu_children:.2f} CPU s)")
    print(f"\ntokscan's own processes (Python), peak: "
          f"{max(m.ours_uss for m in memories) / 1e6:.0f} MB unique (USS), "
          f"{max(m.ours_pss for m in memories) / 1e6:.0f} MB proportional (PSS)")
    print(f"git's processes, peak: {max(m.git_anon for m in memories) / 1e6:.0f} MB anonymous, "
          f"besides {max(m.git_files for m in memories) / 1e6:.0f} MB of mapped files (packs: "
          "page cache the kernel can drop)")
    print(f"whole process tree, peak: {max(m.pss for m in memories) / 1e6:.0f} MB PSS")
    print("  peak resident memory by process: " + ", ".join(
        f"{name} {rss / 1e6:.0f} MB" for name, rss in sorted(last.by_name.items())))
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
