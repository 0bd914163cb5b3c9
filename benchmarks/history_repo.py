"""A synthetic repository for benchmarks/history.py, written with `git fast-import`.

Source-like text (Python-ish modules in nested packages) edited over time: each commit
changes a few files a few lines at a time, so the packs hold long delta chains as real
projects do; side branches are merged back (and a few are not), tags are made, files are
renamed and deleted. A handful of keys are planted in the shapes an audit must get right,
and `generate` returns what a correct audit reports for them.

Keys are drawn at run time from a seeded generator: no key-shaped literal is in this file.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tokscan.detect import placeholder

_WORDS = (
    "account",
    "address",
    "amount",
    "batch",
    "buffer",
    "cache",
    "client",
    "config",
    "context",
    "count",
    "cursor",
    "data",
    "delta",
    "entry",
    "event",
    "field",
    "filter",
    "handler",
    "header",
    "index",
    "item",
    "key",
    "limit",
    "list",
    "loader",
    "manager",
    "message",
    "model",
    "name",
    "node",
    "offset",
    "order",
    "owner",
    "page",
    "parser",
    "path",
    "query",
    "record",
    "request",
    "result",
    "row",
    "schema",
    "session",
    "size",
    "source",
    "state",
    "status",
    "stream",
    "table",
    "target",
    "task",
    "token",
    "total",
    "user",
    "value",
    "view",
)
_VERBS = (
    "build",
    "check",
    "collect",
    "compute",
    "create",
    "decode",
    "encode",
    "fetch",
    "find",
    "flush",
    "format",
    "load",
    "merge",
    "parse",
    "read",
    "render",
    "reset",
    "resolve",
    "run",
    "save",
    "scan",
    "select",
    "send",
    "sort",
    "split",
    "store",
    "update",
    "validate",
    "write",
)
_TYPES = ("int", "str", "bytes", "float", "bool", "dict[str, int]", "list[str]", "None")


class _Text:
    """Lines of plausible Python, from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        r = self.rng
        return f"{r.choice(_WORDS)}_{r.choice(_WORDS)}" if r.random() < 0.5 else r.choice(_WORDS)

    def line(self, indent: int) -> str:
        r = self.rng
        pad = "    " * indent
        kind = r.random()
        verb, word, name, other = r.choice(_VERBS), r.choice(_WORDS), self.name(), self.name()
        if kind < 0.12:
            return f"{pad}# {verb} the {word} before the {r.choice(_WORDS)} is {r.choice(_VERBS)}ed"
        if kind < 0.45:
            return f"{pad}{name} = self.{other}.{verb}({self.name()}, {r.randint(0, 999)})"
        if kind < 0.6:
            return f"{pad}if {name} is None or len({other}) > {r.randint(1, 4096)}:"
        if kind < 0.72:
            return f"{pad}return {verb}_{name}({other}, limit={r.randint(1, 64)})"
        if kind < 0.84:
            return f'{pad}raise ValueError(f"cannot {verb} {{{name}!r}}: {word} missing")'
        return f"{pad}for {name} in self.{other}s:"

    def function(self) -> list[str]:
        r = self.rng
        args = ", ".join(f"{self.name()}: {r.choice(_TYPES)}" for _ in range(r.randint(1, 4)))
        lines = [f"    def {r.choice(_VERBS)}_{self.name()}(self, {args}) -> {r.choice(_TYPES)}:"]
        lines.append(f'        """{r.choice(_VERBS).capitalize()} the {r.choice(_WORDS)}."""')
        lines.extend(self.line(2 + (r.random() < 0.3)) for _ in range(r.randint(4, 18)))
        lines.append("")
        return lines

    def module(self, size: int) -> list[str]:
        r = self.rng
        lines = [f'"""The {r.choice(_WORDS)} {r.choice(_WORDS)} module."""', "", "import os", ""]
        while sum(len(x) + 1 for x in lines) < size:
            lines.append(f"class {self.name().title().replace('_', '')}:")
            for _ in range(r.randint(2, 6)):
                lines.extend(self.function())
        return lines


@dataclass
class Planted:
    """A key the audit must report, where and when it arrives."""

    key: str
    path: str | None  # None: in a commit message
    mark: int  # fast-import mark of the introducing commit
    present_at_head: bool | None  # None: in a commit message
    commit: str = ""  # filled in from the marks once fast-import is done


@dataclass
class _Branch:
    files: dict[str, list[str]]
    tip: int | None = None


@dataclass
class Generated:
    commits: int = 0
    blob_bytes: int = 0
    planted: list[Planted] = field(default_factory=list)


class _Writer:
    def __init__(self, out: subprocess.Popen[bytes], rng: random.Random) -> None:
        assert out.stdin is not None
        self.stdin = out.stdin
        self.rng = rng
        self.mark = 0
        self.time = 1_500_000_000
        self.stats = Generated()

    def data(self, payload: bytes) -> None:
        self.stdin.write(b"data %d\n" % len(payload))
        self.stdin.write(payload)
        self.stdin.write(b"\n")

    def commit(
        self,
        ref: str,
        branch: _Branch,
        changed: dict[str, list[str] | None],
        message: str,
        merge: int | None = None,
    ) -> int:
        self.mark += 1
        self.time += self.rng.randint(60, 7200)
        who = f"Dev {self.mark % 17} <dev{self.mark % 17}@example.com> {self.time} +0000"
        head = f"commit {ref}\nmark :{self.mark}\nauthor {who}\ncommitter {who}\n"
        self.stdin.write(head.encode())
        self.data(message.encode())
        if branch.tip is not None:
            self.stdin.write(f"from :{branch.tip}\n".encode())
        if merge is not None:
            self.stdin.write(f"merge :{merge}\n".encode())
        for path, lines in changed.items():
            if lines is None:
                self.stdin.write(f"D {path}\n".encode())
                branch.files.pop(path, None)
                continue
            payload = ("\n".join(lines) + "\n").encode()
            self.stdin.write(f"M 100644 inline {path}\n".encode())
            self.data(payload)
            self.stats.blob_bytes += len(payload)
            branch.files[path] = lines
        self.stdin.write(b"\n")
        branch.tip = self.mark
        self.stats.commits += 1
        return self.mark


def _key(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    while True:
        body = "".join(rng.choices(alphabet, k=32))
        if not placeholder.is_placeholder(body):
            return "tm" + "-" + body


def _edit(text: _Text, lines: list[str], target_size: int) -> list[str]:
    """A few lines changed, added or removed, as a developer would."""
    r = text.rng
    new = list(lines)
    for _ in range(r.randint(1, 3)):
        at = r.randrange(4, max(5, len(new)))
        if any("tm-" in line for line in new[at : at + 12]):
            continue  # planted keys stay where they were put
        size = sum(len(x) + 1 for x in new)
        what = r.random()
        if what < 0.45:
            for i in range(at, min(at + r.randint(1, 4), len(new))):
                new[i] = text.line(2)
        elif what < 0.8 and size < target_size * 1.5:
            new[at:at] = text.function()
        elif size > target_size // 2:
            del new[at : at + r.randint(1, 12)]
        else:
            new[at:at] = [text.line(2) for _ in range(r.randint(1, 6))]
    return new


def generate(
    path: Path, commits: int = 20_000, files: int = 1_200, file_size: int = 9_000, seed: int = 7
) -> Generated:
    """Write a bare repository at `path`; returns what was planted and how much was written."""
    rng = random.Random(seed)
    text = _Text(rng)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    process = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet", "--depth=50", "--export-marks=marks"],
        stdin=subprocess.PIPE,
    )
    writer = _Writer(process, rng)
    packages = [f"src/{rng.choice(_WORDS)}_{i}" for i in range(40)]
    packages += [f"{p}/{rng.choice(_WORDS)}" for p in packages[:60] for _ in range(2)]
    main = _Branch({})
    initial = {
        f"{rng.choice(packages)}/{text.name()}_{i}.py": text.module(
            rng.randint(file_size // 3, file_size * 2)
        )
        for i in range(files)
    }
    writer.commit("refs/heads/main", main, dict(initial), "Initial import")
    keys = [_key(rng) for _ in range(8)]
    planted = writer.stats.planted
    branch_count = 0

    def change_some(branch: _Branch, avoid: set[str] = frozenset()) -> dict[str, list[str] | None]:  # type: ignore[assignment]
        names = [p for p in rng.sample(sorted(branch.files), 6) if p not in avoid][
            : rng.randint(1, 4)
        ]
        changed: dict[str, list[str] | None] = {
            p: _edit(text, branch.files[p], file_size) for p in names
        }
        roll = rng.random()
        if roll < 0.03:
            changed[f"{rng.choice(packages)}/{text.name()}_{writer.mark}.py"] = text.module(
                file_size
            )
        elif roll < 0.04:
            victim = rng.choice(sorted(branch.files))
            if victim not in avoid and victim not in changed:
                changed[victim] = None
        elif roll < 0.05:
            old = rng.choice(sorted(branch.files))
            if old not in avoid and old not in changed:
                changed[f"{rng.choice(packages)}/{text.name()}_{writer.mark}.py"] = branch.files[
                    old
                ]
                changed[old] = None
        return changed

    settings = "config/settings.py"
    done: set[int] = set()
    next_branch, next_tag = 250, 1000

    def due(at: int) -> bool:
        """True once, at the first commit from `at` on (branches add several at a time)."""
        if writer.stats.commits >= at and at not in done:
            done.add(at)
            return True
        return False

    while writer.stats.commits < commits:
        n = writer.stats.commits
        if due(500):  # K0: added on main and kept through hundreds of edits, to the end
            lines = text.module(3000)
            lines[10:10] = [f'TOKMODEL_API_KEY = "{keys[0]}"']
            mark = writer.commit("refs/heads/main", main, {settings: lines}, "Add settings")
            planted.append(Planted(keys[0], settings, mark, True))
            continue
        if due(900):  # K1: added, then removed 300 commits later
            script = "scripts/deploy.sh"
            body = ["#!/bin/sh", f"export TOKMODEL_API_KEY={keys[1]}", "exec ./run"]
            mark = writer.commit("refs/heads/main", main, {script: body}, "Deploy script")
            planted.append(Planted(keys[1], script, mark, False))
            continue
        if due(1200):
            writer.commit(
                "refs/heads/main",
                main,
                {"scripts/deploy.sh": ["#!/bin/sh", "exec ./run"]},
                "Read the key from the environment",
            )
            continue
        if due(3000):  # K2: in a commit message
            mark = writer.commit(
                "refs/heads/main",
                main,
                change_some(main),
                f"Fix client\n\nTested with {keys[2]} on staging\n",
            )
            planted.append(Planted(keys[2], None, mark, None))
            continue
        if due(6000):  # K6: only under a tag, on a commit no branch reaches
            detached = _Branch(dict(main.files), main.tip)
            mark = writer.commit(
                "refs/heads/tmp-release",
                detached,
                {"release/notes.txt": [f"staging key {keys[6]}"]},
                "Release candidate",
            )
            planted.append(Planted(keys[6], "release/notes.txt", mark, False))
            tagger = f"Rel <rel@example.com> {writer.time} +0000"
            writer.stdin.write(f"tag rc-1\nfrom :{mark}\ntagger {tagger}\n".encode())
            writer.data(b"Release candidate 1\n")
            continue
        if n >= next_branch:
            next_branch += 250
            branch_count += 1
            side = _Branch(dict(main.files), main.tip)
            ref = f"refs/heads/feature-{branch_count}"
            touched: set[str] = set()
            for i in range(rng.randint(3, 15)):
                changed = change_some(side)
                if branch_count == 4 and i == 1:  # K3: arrives through an ordinary merge
                    edited = next(p for p in changed if changed[p] is not None)
                    lines = list(changed[edited] or [])
                    lines[5:5] = [f'    api_key = "{keys[3]}"']
                    changed[edited] = lines
                    planted.append(Planted(keys[3], edited, writer.mark + 1, True))
                if branch_count == 7 and i == 0:  # K4: only on a branch never merged
                    changed["tools/probe.py"] = ["import os", f"KEY = '{keys[4]}'"]
                    planted.append(Planted(keys[4], "tools/probe.py", writer.mark + 1, False))
                touched.update(changed)
                writer.commit(ref, side, changed, f"feature {branch_count}: step {i}")
            if branch_count == 7:
                continue
            for _ in range(rng.randint(1, 5)):
                writer.commit("refs/heads/main", main, change_some(main, touched), "mainline work")
            merged: dict[str, list[str] | None] = {p: side.files.get(p) for p in touched}
            message = f"Merge branch 'feature-{branch_count}'"
            if branch_count == 9:  # K5: an evil merge adds a key in the resolution
                lines = text.module(1500)
                lines[3:3] = [f"TOKEN = '{keys[5]}'"]
                merged["config/resolved.py"] = lines
            mark = writer.commit("refs/heads/main", main, merged, message, merge=side.tip)
            if branch_count == 9:
                planted.append(Planted(keys[5], "config/resolved.py", mark, True))
            continue
        if n >= next_tag:
            writer.stdin.write(
                f"reset refs/tags/v{next_tag // 1000}\nfrom :{main.tip}\n\n".encode()
            )
            next_tag += 1000
        writer.commit("refs/heads/main", main, change_some(main), f"Update {text.name()}")
    writer.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(
        ["git", "-C", str(path), "update-ref", "-d", "refs/heads/tmp-release"], check=True
    )
    marks = dict(line.split() for line in (path / "marks").read_text().splitlines())
    for planted_key in planted:
        planted_key.commit = marks[f":{planted_key.mark}"]
    (path / "marks").unlink()
    return writer.stats
