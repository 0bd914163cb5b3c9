"""SPEC §6: a scanned repository's own git configuration cannot make tokscan run programs.

Each test plants a program that leaves a marker file if git runs it, configures the
repository to run it at one of tokscan's git call sites, runs tokscan, and checks that the
marker was never written (and that the scan still worked). Removing the matching safety
flag from tokscan/git/process.py (or from the call site) makes the test fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokscan import git


@pytest.fixture
def trap(tmp_path: Path) -> tuple[Path, Path]:
    """A program that writes `marker` when run (and prints its input, like cat)."""
    marker = tmp_path / "ran"
    program = tmp_path / "evil.sh"
    program.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat \"$@\" 2>/dev/null\nexit 0\n")
    program.chmod(0o755)
    return program, marker


def test_staged_ignores_external_diff_and_textconv(repo, keys, run_tokscan, trap):
    program, marker = trap
    key = keys()
    repo.write("a.txt", "a\n")
    repo.commit("a")
    repo.git("config", "diff.external", str(program))
    repo.git("config", "diff.evil.textconv", str(program))
    repo.write(".gitattributes", "*.py diff=evil\n")
    repo.write("app.py", f"K = '{key}'\n")
    repo.add()
    result = run_tokscan(["staged", "-f", "json"], cwd=repo.path)
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app.py"]
    assert not marker.exists()


def test_scan_ignores_fsmonitor(repo, keys, run_tokscan, trap):
    program, marker = trap
    repo.write("a.py", f"K = '{keys()}'\n")
    repo.commit("a")
    repo.git("config", "core.fsmonitor", str(program))
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    assert result.code == 1
    assert not marker.exists()


def test_history_never_checks_signatures(repo, keys, run_tokscan, trap):
    """A signed commit and `log.showSignature` would make `git log` run `gpg.program`."""
    program, marker = trap
    key = keys()
    repo.write("a.py", f"K = '{key}'\n")
    repo.commit("a")
    raw = repo.git("cat-file", "commit", "HEAD")
    header, _, message = raw.partition("\n\n")
    signed = (
        f"{header}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEz\n -----END PGP SIGNATURE-----"
        f"\n\n{message}"
    )
    oid = repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=signed.encode()).strip()
    repo.git("update-ref", "refs/heads/main", oid)
    repo.git("config", "gpg.program", str(program))
    repo.git("config", "log.showSignature", "true")
    result = run_tokscan(["history", "-f", "json"], cwd=repo.path)
    assert [f["commit"] for f in json.loads(result.stdout)["findings"]] == [oid]
    assert not marker.exists()


def test_ci_fetch_ignores_the_repository_ssh_command(repo, trap, tmp_path):
    from tokscan import git

    program, marker = trap
    repo.git("config", "core.sshCommand", str(program))
    repo.git("config", "core.askPass", str(program))
    repo.git("remote", "add", "origin", "ssh://127.0.0.1:9/nowhere.git")
    env = {**os.environ, "GIT_SSH_COMMAND": str(program)}  # even a caller's is replaced
    old = os.environ.copy()
    os.environ.update(env)
    try:
        problem = git.fetch(repo.path, "origin", "main")
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert problem is not None  # nothing listens there
    assert not marker.exists()


def test_git_protocol_is_not_allowed_for_fetch(repo, trap):
    from tokscan import git

    program, marker = trap
    repo.git("config", "core.gitProxy", str(program))
    repo.git("remote", "add", "origin", "git://127.0.0.1:9/nowhere.git")
    assert git.fetch(repo.path, "origin", "main") is not None
    assert not marker.exists()


def test_the_hook_folder_of_the_repository_is_never_used(repo, keys, run_tokscan, trap):
    """tokscan runs no command that runs hooks; core.hooksPath=/dev/null makes sure."""
    program, marker = trap
    hooks = repo.path / ".git" / "hooks"
    for name in ("reference-transaction", "post-index-change", "fsmonitor-watchman"):
        (hooks / name).write_text(program.read_text())
        (hooks / name).chmod(0o755)
    repo.write("a.py", f"K = '{keys()}'\n")
    repo.commit("a")
    marker.unlink(missing_ok=True)
    for args in (["scan"], ["history"], ["staged"]):
        run_tokscan(args, cwd=repo.path)
    assert not marker.exists()


def test_object_database_caches_are_switched_off_whatever_the_config_says(repo):
    """What git answers must come from the objects, not from caches a repository can edit
    (tests/sources/history/test_scan.py edits a commit-graph and a multi-pack-index)."""
    from tokscan import git

    wanted = {
        "core.commitGraph": "false",
        "core.multiPackIndex": "false",
        "pack.useBitmaps": "false",
        "pack.useBitmapBoundaryTraversal": "false",
        "fetch.writeCommitGraph": "false",
    }
    for name in wanted:
        repo.git("config", name, "true")
    said = {name: git.run(repo.path, "config", "--get", name).decode().strip() for name in wanted}
    assert said == wanted


def test_ls_remote_refuses_transports_that_run_commands(repo, trap):
    from tokscan import git

    program, marker = trap
    refs, problem = git.ls_remote(repo.path, f"ext::{program}")
    assert (refs, problem is not None) == ([], True)
    repo.git("config", "core.gitProxy", str(program))
    refs, problem = git.ls_remote(repo.path, "git://127.0.0.1:9/nowhere.git")
    assert (refs, problem is not None) == ([], True)
    assert not marker.exists()


def test_ls_remote_lists_what_the_remote_advertises(repo, tmp_path):
    from tokscan import git

    repo.write("a.txt", "a\n")
    head = repo.commit("a")
    repo.git("tag", "-a", "v1", "-m", "one")
    tag = repo.git("rev-parse", "v1").strip()
    other = tmp_path / "other"
    other.mkdir()
    refs, problem = git.ls_remote(other, str(repo.path))
    assert problem is None
    assert refs == [
        (head, "HEAD"),
        (head, "refs/heads/main"),
        (tag, "refs/tags/v1"),
        (head, "refs/tags/v1^{}"),
    ]


def test_many_revisions_go_to_git_on_standard_input():
    from tokscan import git

    ids = [f"{n:040x}" for n in range(300)]
    argv, listed = git.revision_input(["--since=1", ids[0], "--not", *ids[1:], "--remotes=o"])
    assert argv == ["--since=1", "--not", "--remotes=o", "--stdin"]
    assert listed is not None
    lines = listed.decode().splitlines()
    assert lines == [ids[0], *(f"^{oid}" for oid in ids[1:])]
    assert git.revision_input(["a", "--not", ids[0]]) == (["a", "--not", ids[0]], None)


@pytest.fixture
def asks_for_a_password():
    """An HTTP server on 127.0.0.1 that answers every request with 401 and a Basic
    challenge, as a private https remote does: git then asks its credential helpers."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/private.git"
    server.shutdown()
    server.server_close()


def test_remote_calls_use_the_users_credential_helpers_never_the_repositorys(
    repo, trap, tmp_path, monkeypatch, asks_for_a_password
):
    """A pre-push from a private https remote must reach it with the user's keychain (global
    config), while a helper the repository's own config names never runs."""
    from tokscan import git

    program, marker = trap
    asked = tmp_path / "asked"
    helper = tmp_path / "keychain.sh"
    helper.write_text(f"#!/bin/sh\necho \"$1\" >> '{asked}'\necho username=u\necho password=p\n")
    helper.chmod(0o755)
    user_config = tmp_path / "user.gitconfig"
    user_config.write_text(f"[credential]\n\thelper = {helper}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(user_config))
    repo.git("config", "credential.helper", str(program))
    repo.git("config", f"credential.{asks_for_a_password}.helper", str(program))

    refs, problem = git.ls_remote(repo.path, asks_for_a_password)
    assert refs == [] and problem is not None  # the stand-in never lets anyone in
    assert asked.read_text().split() == ["get", "erase"]  # asked, then told it was refused
    assert not marker.exists()

    asked.unlink()
    assert git.fetch(repo.path, asks_for_a_password, "main") is not None
    assert asked.read_text().split()[0] == "get"
    assert not marker.exists()


def test_without_user_helpers_no_helper_runs(repo, trap, asks_for_a_password):
    from tokscan import git

    program, marker = trap
    repo.git("config", "credential.helper", str(program))
    refs, problem = git.ls_remote(repo.path, asks_for_a_password)
    assert (refs, problem is not None) == ([], True)
    assert not marker.exists()


def test_a_receiving_repositorys_quarantine_reaches_git(monkeypatch, tmp_path):
    """A pre-receive hook reads the pushed objects from git's quarantine, which git names in
    the hook's environment: tokscan's git must see those variables, and never fetch."""
    from tokscan.git import process

    quarantine = {
        "GIT_QUARANTINE_PATH": str(tmp_path / "incoming"),
        "GIT_OBJECT_DIRECTORY": str(tmp_path / "incoming"),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(tmp_path / "objects"),
        "GIT_PUSH_OPTION_COUNT": "1",
        "GIT_PUSH_OPTION_0": "tokscan.skip",
    }
    for name, value in quarantine.items():
        monkeypatch.setenv(name, value)
    env = process.environment()
    assert {name: env[name] for name in quarantine} == quarantine
    assert env["GIT_NO_LAZY_FETCH"] == "1"


@given(st.lists(st.binary(min_size=0, max_size=12).map(lambda b: b.replace(b"\0", b"")),
                max_size=20))
def test_split_z_decodes_each_path_as_os_fsdecode_does(items):
    """One decode of the whole output, split at NULs: the same paths as decoding each
    (undecodable bytes kept as surrogates, a broken sequence before a NUL included)."""
    output = b"\0".join(items) + b"\0"
    assert git.split_z(output) == [os.fsdecode(item) for item in items if item]
