"""Shared helpers for the benchmarks: timing commands, and realistic source-like text."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

WORDS = [
    "def",
    "return",
    "self",
    "import",
    "value",
    "for",
    "in",
    "range",
    "if",
    "else",
    "print",
    "data",
    "result",
    "config",
    "client",
    "request",
    "response",
    "session",
    "user",
    "account",
    "token",
    "timeout",
    "retry",
    "error",
    "handler",
    "logger",
    "cache",
    "index",
    "buffer",
    "stream",
    "parse",
    "render",
    "update",
    "delete",
    "create",
    "fetch",
    "query",
    "model",
]


USER_VENV = Path(__file__).resolve().parent / ".tokscan"  # benchmarks/.tokscan/


def user_install() -> list[str]:
    """`tokscan` as `pip install .` of this checkout gives it (what users run), in a
    virtual environment of its own (benchmarks/.tokscan/), refreshed from the checkout at
    each call. An editable install starts slower: its import finder loads `pathlib` and
    more at every start (~15 ms), which no user of a release pays."""
    import tempfile

    python = USER_VENV / "bin" / "python"
    checkout = USER_VENV.parent.parent
    if not python.exists():
        import venv

        venv.create(USER_VENV, with_pip=True)
    # From a copy of the files git knows: building in the checkout would leave build/ there.
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=checkout, capture_output=True,
                            check=True).stdout.decode().split("\0")
    with tempfile.TemporaryDirectory(prefix="tokscan-install-") as copy:
        for path in filter(None, listed):
            source, target = checkout / path, Path(copy, path)
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", copy],
                       check=True, capture_output=True)
    return [str(USER_VENV / "bin" / "tokscan")]


def tokscan_command() -> list[str]:
    """The installed console script beside this interpreter (what users run)."""
    script = Path(sys.executable).with_name("tokscan")
    if script.exists():
        return [str(script)]
    found = shutil.which("tokscan")
    return [found] if found else [sys.executable, "-m", "tokscan"]


def time_once(
    argv: Sequence[str],
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
    stdin: bytes | None = None,
) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode(errors='replace')}"
        )
    return elapsed


def compare(
    commands: dict[str, list[str]], runs: int, cwd: Path | None = None, ok: Sequence[int] = (0,)
) -> dict[str, float]:
    """Median wall time of each command, runs interleaved so that noise hits all alike."""
    for argv in commands.values():  # warm caches
        time_once(argv, cwd, ok)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(time_once(argv, cwd, ok))
    return {name: statistics.median(times) for name, times in samples.items()}


_TEMPLATES = (
    "{i}{a} = {b}({c}, {d}={n})\n",
    "{i}if {a} is not None and {b} > {n}:\n",
    "{i}return self.{a}.{b}({c})\n",
    "{i}# {a} {b} {c}: see https://docs.example.com/{a}-{b}/{c}\n",
    "{i}// {a}-{b} handles the {c} case; keep in sync with {d}.go\n",
    "{i}const {a}{n} = await {b}.{c}('{d}-{n}', {{ retries: {n} }});\n",
    '{i}{a} := {b}.{c}(ctx, "{d}") // {n}\n',
    '{i}- name: {a}-{b}\n{i}  value: "{c}"\n',
    "{i}for {a} in range({n}):\n",
    "{i}x = {a} - {b} * {n}  # {c}\n",
    '{i}log.info("{a} {b} took %d ms", {n})\n',
    '{i}<div class="{a}-{b} {c}">{d}</div>\n',
    "\n",
)


def source_text(rng: random.Random, size: int) -> str:
    """Source-like text of about `size` bytes: code, comments, YAML and markup lines."""
    lines = []
    total = 0
    while total < size:
        line = rng.choice(_TEMPLATES).format(
            i="    " * rng.randint(0, 3),
            a=rng.choice(WORDS),
            b=rng.choice(WORDS),
            c=rng.choice(WORDS),
            d=rng.choice(WORDS),
            n=rng.randint(0, 9999),
        )
        lines.append(line)
        total += len(line)
    return "".join(lines)


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
