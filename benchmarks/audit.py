"""Benchmark: `tokscan audit` of many repositories, with 1 and 2 Dask workers, and an
unchanged re-run against the first run.

    python benchmarks/audit.py [EXTRA_REPO]... [--repos N] [--commits N]

Generates N (default 100) small repositories with `git fast-import` (source-like files
edited over `--commits` commits, keys planted in about one in eight, some of them the same
key in several repositories), cached under benchmarks/.data/, and audits them through
their file:// URLs, so every first run clones each one bare into a fresh work folder, as
an organisation audit does. EXTRA_REPO arguments (local clones of real projects, e.g.
flask and sqlalchemy, when present) are audited with them.

Prints the wall time of the first run with 1 and with 2 workers of the embedded
LocalCluster (`--workers N`), the speed-up, repositories per hour with one worker, and the
time of an unchanged re-run against its first run (every repository's refs are where they
were, so each result is reused: target under 5% of the first run). It checks that the
re-run reused every repository and reported the same findings.

tokscan is run as users run it: `python -m tokscan audit --workers N --workdir DIR
--from LIST -f json -o FILE`, which needs `pip install 'tokscan[audit]'`.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
GENERATOR_VERSION = 1  # bump when generate() changes what it writes

sys.path.insert(0, str(HERE))

from _common import source_text  # noqa: E402

BASE62 = string.ascii_letters + string.digits


def generate(target: Path, repos: int, commits: int) -> list[Path]:
    """`repos` bare repositories under `target`, made once and kept."""
    done = target / "complete"
    paths = [target / f"repo-{index:03d}.git" for index in range(repos)]
    if done.exists():
        return paths
    print(f"generating {repos} repositories in {target} (once) ...", flush=True)
    target.mkdir(parents=True, exist_ok=True)
    rng = random.Random(17)
    shared = [_key(rng) for _ in range(3)]  # leaked in several repositories each
    for index, path in enumerate(paths):
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        planted = []
        if index % 8 == 0:
            planted = [shared[index // 8 % len(shared)], _key(rng)]
        stream = _history(rng, commits, planted)
        subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream,
                       check=True)
    done.write_text("ok\n")
    return paths


def _key(rng: random.Random) -> str:
    return "tm-" + "".join(rng.choices(BASE62, k=32))  # made here: the repository holds none


def _history(rng: random.Random, commits: int, planted: list[str]) -> bytes:
    """A fast-import stream: 12 files edited over `commits` commits, the keys added in
    the middle of the history (and one taken out again later, still in history)."""
    out: list[bytes] = []
    files = {f"src/module_{n}.py": source_text(rng, 3000) for n in range(12)}
    mark = 0
    parent = None
    for number in range(commits):
        if number == 0:
            changed = list(files)
        else:
            changed = rng.sample(sorted(files), 3)
            for name in changed:
                files[name] = source_text(rng, 3000)
        if planted and number == commits // 2:
            files["config/settings.py"] = "".join(f'API_KEY_{n} = "{k}"\n'
                                                  for n, k in enumerate(planted))
            changed.append("config/settings.py")
        if planted and number == commits - 2:
            files["config/settings.py"] = 'API_KEY = os.environ["TOKMODEL_API_KEY"]\n'
            changed.append("config/settings.py")
        blobs = {}
        for name in changed:
            mark += 1
            data = files[name].encode()
            out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
            blobs[name] = mark
        mark += 1
        message = f"change {number}".encode()
        out.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        out.append(b"author dev <dev@example.com> %d +0000\n" % (1_600_000_000 + number * 86400))
        out.append(b"committer dev <dev@example.com> %d +0000\n" % (1_600_000_000 + number * 86400))
        out.append(b"data %d\n%s\n" % (len(message), message))
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        out.extend(b"M 100644 :%d %s\n" % (blobs[name], name.encode()) for name in changed)
        parent = mark
    return b"".join(out)


def audit(sources: Path, workdir: Path, workers: int, report: Path) -> tuple[float, dict]:
    argv = [sys.executable, "-m", "tokscan", "audit", "--workers", str(workers),
            "--workdir", str(workdir), "--from", str(sources), "-f", "json", "-o", str(report),
            "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: the planted keys were found
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: "
                         f"{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed, json.loads(report.read_text())


def places(document: dict) -> list[tuple[str, str, str, str]]:
    return sorted((f["repository"], f["fingerprint"], str(f.get("path")), str(f.get("commit")))
                  for f in document["findings"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("extra", nargs="*", help="more repositories to audit (local clones)")
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--commits", type=int, default=40)
    args = parser.parse_args(argv)

    target = DATA / f"audit-{args.repos}x{args.commits}-v{GENERATOR_VERSION}"
    repositories = generate(target, args.repos, args.commits)
    with tempfile.TemporaryDirectory(prefix="tokscan-audit-bench-") as scratch:
        base = Path(scratch)
        sources = base / "sources.txt"
        lines = [path.as_uri() for path in repositories]
        lines += [str(Path(extra).resolve()) for extra in args.extra]
        sources.write_text("# generated by benchmarks/audit.py\n" + "\n".join(lines) + "\n")
        total = len(lines)

        first: dict[int, tuple[float, dict]] = {}
        rerun: dict[int, tuple[float, dict]] = {}
        for workers in (1, 2):
            workdir = base / f"work-{workers}"
            first[workers] = audit(sources, workdir, workers, base / f"first-{workers}.json")
            rerun[workers] = audit(sources, workdir, workers, base / f"rerun-{workers}.json")
        # What any run costs before its first repository: the command, the embedded
        # cluster's start and stop, one repository reused.
        single = base / "single.txt"
        single.write_text(lines[0] + "\n")
        fixed = audit(single, base / "work-1", 1, base / "single.json")[0]

    problems = []
    for workers in (1, 2):
        fresh, again = first[workers][1], rerun[workers][1]
        if fresh["audit"].get("failed") or again["audit"].get("failed"):
            problems.append(f"{workers} worker(s): some repositories failed")
        if again["audit"].get("reused") != total:
            problems.append(f"{workers} worker(s): the re-run reused "
                            f"{again['audit'].get('reused')} of {total}")
        if places(fresh) != places(again):
            problems.append(f"{workers} worker(s): the re-run's findings differ")
    if places(first[1][1]) != places(first[2][1]):
        problems.append("1 and 2 workers found different things")

    t1, t2 = first[1][0], first[2][0]
    print(f"tokscan audit of {total} repositories "
          f"({len(first[1][1]['keys'])} keys, {len(first[1][1]['findings'])} findings)")
    print(f"{'run':<34}{'1 worker':>12}{'2 workers':>12}")
    print(f"{'first run (clone + scan)':<34}{t1:>11.2f}s{t2:>11.2f}s")
    print(f"{'unchanged re-run':<34}{rerun[1][0]:>11.2f}s{rerun[2][0]:>11.2f}s")
    print(f"{'re-run / first run (target < 5%)':<34}"
          f"{rerun[1][0] / t1:>12.1%}{rerun[2][0] / t2:>12.1%}")
    print(f"speed-up with 2 workers: {t1 / t2:.2f}x")
    print(f"fixed cost of a run (start-up and the embedded cluster, one repository reused): "
          f"{fixed:.2f}s; an unchanged repository then costs "
          f"{max(0.0, rerun[1][0] - fixed) / total * 1000:.0f} ms with one worker")
    print(f"repositories per hour, one worker: {total / t1 * 3600:,.0f} "
          "(start-up of the embedded cluster included)")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
