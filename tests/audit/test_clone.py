"""Bare clones through GitPython, with tokscan's git safety settings."""

from __future__ import annotations

import os
import subprocess

import pytest
from support.gitrepo import GitRepo

from tokscan.audit import clone, sources
from tokscan.errors import TokscanError

pytest.importorskip("git.remote")  # GitPython (not the namespace of tests/git/)


def origin(tmp_path, content="hello\n") -> GitRepo:
    repo = GitRepo(tmp_path / "origin")
    repo.write("a.txt", content)
    repo.commit("first")
    return repo


def test_clones_bare_then_fetches_what_moved(tmp_path):
    repo = origin(tmp_path)
    source = sources.parse(f"file://{repo.path}")
    first = clone.refresh(source, tmp_path / "work")
    assert (first / "HEAD").is_file() and not (first / "a.txt").exists()
    repo.write("b.txt", "more\n")
    head = repo.commit("second")
    repo.git("tag", "v1")
    again = clone.refresh(source, tmp_path / "work")
    assert again == first
    listing = ["git", "-C", str(again), "for-each-ref", "--format=%(objectname) %(refname)"]
    refs = subprocess.run(listing, capture_output=True, text=True, check=True).stdout
    assert f"{head} refs/heads/main" in refs and "refs/tags/v1" in refs
    repo.git("branch", "-q", "gone")
    clone.refresh(source, tmp_path / "work")
    repo.git("branch", "-q", "-D", "gone")
    clone.refresh(source, tmp_path / "work")
    refs = subprocess.run(["git", "-C", str(again), "for-each-ref"], capture_output=True,
                          text=True, check=True).stdout
    assert "refs/heads/gone" not in refs  # pruned, as the remote has it


def test_no_hook_of_the_origin_or_a_template_runs(tmp_path):
    repo = origin(tmp_path)
    marker = tmp_path / "ran"
    hook = repo.path / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    clone.refresh(sources.parse(f"file://{repo.path}"), tmp_path / "work")
    assert not marker.exists()


def test_the_environment_carries_the_safety_settings_and_the_allowlist():
    env = clone.git_environment("Basic abc")
    settings = {env[f"GIT_CONFIG_KEY_{n}"]: env[f"GIT_CONFIG_VALUE_{n}"]
                for n in range(int(env["GIT_CONFIG_COUNT"]))}
    assert settings["core.hooksPath"] == "/dev/null"
    assert settings["core.fsmonitor"] == "false"
    assert settings["protocol.allow"] == "never"
    assert settings["protocol.https.allow"] == "always"
    assert "protocol.ext.allow" not in settings
    assert settings["http.extraHeader"] == "Authorization: Basic abc"  # no URL: unscoped


def test_credentials_are_scoped_to_the_host_of_the_url(tmp_path):
    """A redirect to another host must not carry the Authorization header along: git is
    given it for the source's scheme and host only."""
    env = clone.git_environment("Basic abc", "https://git.example.com:8443/acme/app.git")
    env["GIT_CONFIG_GLOBAL"] = os.devnull

    def header_for(url: str) -> str:
        done = subprocess.run(["git", "config", "--get-urlmatch", "http.extraHeader", url],
                              env=env, capture_output=True, text=True, cwd=tmp_path)
        return done.stdout.strip()

    assert header_for("https://git.example.com:8443/acme/app.git/info/refs") == (
        "Authorization: Basic abc")
    assert header_for("https://elsewhere.example/acme/app.git") == ""
    assert header_for("http://git.example.com:8443/acme/app.git") == ""
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_ALLOW_PROTOCOL"] == "file:http:https:ssh"
    assert "BatchMode=yes" in env["GIT_SSH_COMMAND"]


def test_a_failed_clone_says_why_and_leaves_no_half_clone(tmp_path):
    source = sources.parse(f"file://{tmp_path}/missing")
    with pytest.raises(TokscanError, match="does not appear to be a git repository"):
        clone.refresh(source, tmp_path / "work")
    assert list((tmp_path / "work" / "repositories").iterdir()) == []


def test_credentials_stay_out_of_the_clone_config_and_messages(tmp_path):
    source = sources.parse("https://user:hunter2@127.0.0.1:9/acme/api.git")
    with pytest.raises(TokscanError) as raised:
        clone.refresh(source, tmp_path / "work")
    assert "hunter2" not in raised.value.message
    assert "127.0.0.1" in raised.value.message


def test_progress_is_told_as_the_transfer_goes(tmp_path):
    repo = origin(tmp_path)
    heard: list[str] = []
    clone.refresh(sources.parse(f"file://{repo.path}"), tmp_path / "work", tell=heard.append)
    assert heard and all(line.startswith("cloning ") for line in heard)
    assert any(line.endswith("100%") for line in heard)
    repo.write("b.txt", "more\n")
    repo.commit("second")
    heard.clear()
    clone.refresh(sources.parse(f"file://{repo.path}"), tmp_path / "work", tell=heard.append)
    assert heard and all(line.startswith("fetching ") for line in heard)


def test_an_unchanged_remote_is_told_without_a_fetch(tmp_path):
    """A re-run asks the remote what it advertises; only when its branches and tags are
    exactly the clone's is the clone taken as it stands (no fetch, no scan)."""
    repo = origin(tmp_path)
    repo.git("tag", "-a", "v1", "-m", "annotated")  # advertised with its peeled `^{}` line
    source = sources.parse(f"file://{repo.path}")
    work = tmp_path / "work"
    assert clone.unchanged(source, work, 10) is None  # no clone yet
    target = clone.refresh(source, work)
    assert clone.unchanged(source, work, 10) == target
    repo.write("b.txt", "more\n")
    repo.commit("second")
    assert clone.unchanged(source, work, 10) is None  # a branch moved
    clone.refresh(source, work)
    assert clone.unchanged(source, work, 10) == target
    repo.git("tag", "-d", "v1")
    assert clone.unchanged(source, work, 10) is None  # a tag went
    clone.refresh(source, work)
    repo.path.rename(tmp_path / "moved")
    assert clone.unchanged(source, work, 10) is None  # the remote cannot be asked
