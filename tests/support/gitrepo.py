"""Real git repositories in temporary folders, for tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# A pinned identity and clock, and no user or system configuration, so tests behave the
# same on every machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitRepo:
    def __init__(self, path: Path, *, init: bool = True, bare: bool = False) -> None:
        self.path = path
        self._tick = 0
        if init:
            path.mkdir(parents=True, exist_ok=True)
            args = ["init", "-q", "-b", "main"] + (["--bare"] if bare else [])
            self.git(*args)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GIT_ENV)
        date = f"{1_700_000_000 + self._tick * 60} +0000"
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
        return env

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env(), input=input, capture_output=True
        )
        if check and done.returncode != 0:
            stderr = done.stderr.decode(errors="replace")
            raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}): {stderr}")
        return done.stdout.decode("utf-8", "surrogateescape")

    def write(self, relpath: str | bytes, content: str | bytes) -> Path:
        path = Path(os.fsdecode(os.path.join(os.fsencode(self.path), os.fsencode(relpath))))
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    def add(self, *paths: str) -> None:
        self.git("add", "--", *(paths or ["."]))

    def commit(self, message: str = "change", *, all: bool = True) -> str:
        self._tick += 1
        if all:
            self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()
