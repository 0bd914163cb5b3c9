"""A code-hosting service in a temporary folder, for simulating CI runs.

`origin` is a bare repository reached through a file:// URL, as a runner reaches GitHub or
GitLab; `dev` is a developer's clone that pushes to it; `checkout` makes the clone a CI
runner makes (all branches, or one ref at a given depth), and `github_event` /
`gitlab_pipeline` give the variables (and event payload) the CI would set.
`pull_request_event` and `push_event` build the payloads of GitHub's two main events.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.gitrepo import GitRepo

ZERO = "0" * 40


def pull_request_event(number: int, base: str, head: str) -> dict[str, object]:
    """The payload of a GitHub `pull_request` (or `pull_request_target`) event, as far as
    tokscan reads it."""
    return {"pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}}}


def push_event(
    before: str,
    after: str,
    ref: str | None = "refs/heads/main",
    *,
    default_branch: str | None = None,
    **flags: bool,
) -> dict[str, object]:
    """The payload of a GitHub `push` event: `ref` (None: left out), `before`, `after`, any
    of the flags `created`, `deleted` and `forced`, and the repository's default branch."""
    payload: dict[str, object] = {} if ref is None else {"ref": ref}
    payload.update(before=before, after=after, **flags)
    if default_branch is not None:
        payload["repository"] = {"default_branch": default_branch}
    return payload


class Forge:
    def __init__(self, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.base = base
        self.monkeypatch = monkeypatch
        self.origin = GitRepo(base / "origin.git", bare=True)
        self.url = (base / "origin.git").as_uri()
        self.dev = self._clone_for_dev()
        self._checkouts = 0

    def _clone_for_dev(self) -> GitRepo:
        dev = GitRepo(self.base / "dev")
        dev.git("remote", "add", "origin", self.url)
        dev.git("config", "protocol.file.allow", "always")  # tokscan's own fetch sets it itself
        return dev

    def push(self, *refspecs: str, force: bool = False) -> None:
        self.dev.git("push", "-q", *(["--force"] if force else []), "origin", *refspecs)

    def sha(self, revision: str) -> str:
        return self.origin.git("rev-parse", revision).strip()

    def checkout(
        self,
        sha: str,
        refspecs: tuple[str, ...] = ("+refs/heads/*:refs/remotes/origin/*",),
        depth: int | None = None,
    ) -> GitRepo:
        """A runner's checkout: fetch `refspecs` (at `depth`), then check out `sha`."""
        self._checkouts += 1
        repo = GitRepo(self.base / f"ci{self._checkouts}")
        repo.git("remote", "add", "origin", self.url)
        fetch = ["-c", "protocol.file.allow=always", "fetch", "-q", "--no-tags"]
        fetch += [f"--depth={depth}"] if depth else []
        repo.git(*fetch, "origin", *refspecs)
        repo.git("checkout", "-q", "--detach", sha)
        return repo

    def is_shallow(self, repo: GitRepo) -> bool:
        return repo.git("rev-parse", "--is-shallow-repository").strip() == "true"

    def github_event(
        self, event: str, payload: dict[str, object], sha: str, ref: str = "refs/heads/main"
    ) -> None:
        path = self.base / f"event-{event}.json"
        path.write_text(json.dumps(payload))
        for name, value in {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_SHA": sha,
            "GITHUB_REF": ref,
        }.items():
            self.monkeypatch.setenv(name, value)

    def gitlab_pipeline(self, source: str, sha: str, **variables: str) -> None:
        self.monkeypatch.setenv("CI", "true")
        self.monkeypatch.setenv("GITLAB_CI", "true")
        self.monkeypatch.setenv("CI_PIPELINE_SOURCE", source)
        self.monkeypatch.setenv("CI_COMMIT_SHA", sha)
        for name, value in variables.items():
            self.monkeypatch.setenv(name, value)

    def gc(self) -> None:
        """Drop unreachable objects from origin (a forced-away commit is then really gone)."""
        for args in (("reflog", "expire", "--expire=now", "--all"), ("gc", "-q", "--prune=now")):
            subprocess.run(
                ["git", "-C", str(self.origin.path), *args],
                check=True,
                env=self.origin.env(),
                capture_output=True,
            )
