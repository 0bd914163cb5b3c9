"""`tokscan pre-receive`: real `git push` over file:// to a bare repository whose installed
hook is tokscan; the pusher sees the hook's output as `remote:` lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.gitrepo import GitRepo
from support.keys import fingerprint as fp

from tokscan.commands import prereceive as command


def redacted(key: str) -> str:
    return f"tm-{key[3:7]}…{key[-4:]}"


def push(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    env = repo.env()
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        ["git", "push", *args], cwd=repo.path, env=env, capture_output=True, text=True,
        timeout=300,
    )


def refs(server: GitRepo) -> str:
    return server.git("for-each-ref", "--format=%(refname) %(objectname)")


@pytest.fixture
def server(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "server.git", bare=True)


@pytest.fixture
def url(server: GitRepo) -> str:
    return server.path.as_uri()  # file://


@pytest.fixture
def work(repo: GitRepo, url: str) -> GitRepo:
    repo.write("README.md", "project\n")
    repo.commit("initial")
    repo.git("remote", "add", "origin", url)
    return repo


def install(run_tokscan, server: GitRepo, tmp_path: Path) -> None:
    done = run_tokscan(["-C", str(server.path), "install", "--hook", "pre-receive"], cwd=tmp_path)
    assert done.code == 0, done.stderr


@pytest.fixture
def hooked(work: GitRepo, server: GitRepo, run_tokscan, tmp_path: Path) -> GitRepo:
    assert push(work, "-q", "origin", "main").returncode == 0
    install(run_tokscan, server, tmp_path)
    return work


@pytest.mark.slow
def test_push_with_a_key_is_rejected_and_no_ref_moves(hooked, server, keys):
    key = keys()
    before = refs(server)
    hooked.write("src/settings.py", f"TOKEN = '{key}'\n")
    commit = hooked.commit("oops")
    hooked.git("branch", "topic")
    done = push(hooked, "origin", "main", "topic")
    assert done.returncode != 0
    # what the pusher reads: the `remote:` lines, their wrapping undone
    said = " ".join(
        line.removeprefix("remote:").strip()
        for line in done.stderr.splitlines()
        if line.startswith("remote:")
    )
    assert "tokscan rejected this push" in said
    assert redacted(key) in said
    assert "src/settings.py:1:10" in said and commit[:12] in said
    assert "rotate" in said and "git rebase -i" in said and "--amend" in said
    assert "pre-receive hook declined" in done.stderr
    assert key not in done.stdout + done.stderr
    assert refs(server) == before


@pytest.mark.slow
def test_keys_in_messages_and_encoded_keys_are_found(hooked, server, keys):
    import base64

    in_message, encoded = keys(), keys()
    before = refs(server)
    hooked.write("k8s/secret.yaml", "data:\n  token: "
                 + base64.b64encode(f"TOKEN={encoded}".encode()).decode() + "\n")
    hooked.commit("deploy secret")
    hooked.write("a.py", "x = 1\n")
    hooked.commit(f"tried {in_message} while debugging")
    done = push(hooked, "origin", "main")
    assert done.returncode != 0
    assert "2 TokModel API keys" in done.stderr
    assert redacted(in_message) in done.stderr and redacted(encoded) in done.stderr
    assert "k8s/secret.yaml:2:10" in done.stderr and "(commit message):1:7" in done.stderr
    assert in_message not in done.stderr and encoded not in done.stderr
    assert refs(server) == before


@pytest.mark.slow
def test_clean_push_passes_silently(hooked, server):
    hooked.write("a.py", "x = 1\n")
    commit = hooked.commit("clean")
    done = push(hooked, "origin", "main")
    assert done.returncode == 0, done.stderr
    assert "remote:" not in done.stderr
    assert server.git("rev-parse", "main").strip() == commit


@pytest.fixture
def old_leak(work: GitRepo, server: GitRepo, keys, run_tokscan, tmp_path: Path) -> str:
    """A key already on the server in an old commit on main (pushed before the hook was
    installed), buried under a later clean commit; the hook is installed afterwards."""
    key = keys()
    work.write("old.py", f"K = '{key}'\n")
    work.commit("old leak")
    work.write("old.py", "K = None\n")
    work.commit("removed")
    assert push(work, "-q", "origin", "main").returncode == 0
    install(run_tokscan, server, tmp_path)
    return key


@pytest.mark.slow
def test_existing_commits_are_not_scanned_again(work, server, old_leak):
    """A new branch or lightweight tag that only re-points commits the server has brings
    nothing; a new branch with a clean commit on top of the old leak brings only that."""
    work.git("branch", "again", "HEAD~1")  # the commit that holds the old key
    work.git("tag", "light", "HEAD~1")
    done = push(work, "origin", "again", "light")
    assert done.returncode == 0, done.stderr
    assert "remote:" not in done.stderr
    work.git("checkout", "-q", "-b", "more", "HEAD~1")
    work.write("new.py", "y = 2\n")
    commit = work.commit("clean on top of the old leak")
    assert push(work, "origin", "more").returncode == 0
    assert server.git("rev-parse", "more").strip() == commit
    # what the server holds is still found by a full audit: the hook was not blind to it
    assert old_leak[:7] in server.git("log", "-p", "--all")


@pytest.mark.slow
def test_branch_deletion_passes(work, server, old_leak):
    work.git("push", "-q", "origin", "main:refs/heads/doomed")
    done = push(work, "origin", "--delete", "doomed")
    assert done.returncode == 0, done.stderr
    assert "refs/heads/doomed" not in refs(server)


@pytest.mark.slow
def test_annotated_tag_with_a_key_in_its_message_is_rejected(hooked, server, keys):
    key = keys()
    hooked.git("tag", "-a", "clean", "-m", "release notes")
    assert push(hooked, "origin", "clean").returncode == 0
    hooked.git("tag", "-a", "v1", "-m", f"release\n\ntoken {key}")
    tag = hooked.git("rev-parse", "v1").strip()
    done = push(hooked, "origin", "v1")
    assert done.returncode != 0
    assert "tokscan rejected this push" in done.stderr and tag[:12] in done.stderr
    assert "(commit message)" in done.stderr
    assert key not in done.stderr
    assert server.git("tag", "--list").split() == ["clean"]


@pytest.mark.slow
def test_force_push_is_scanned_for_what_it_brings(hooked, server, keys):
    key = keys()
    base = hooked.head()
    hooked.write("a.py", "x = 1\n")
    pushed = hooked.commit("pushed")
    assert push(hooked, "-q", "origin", "main").returncode == 0
    hooked.git("reset", "-q", "--hard", base)
    hooked.write("a.py", f"x = '{key}'\n")
    hooked.commit("rewritten with a key")
    done = push(hooked, "--force", "origin", "main")
    assert done.returncode != 0
    assert "a.py:1:6" in done.stderr and key not in done.stderr
    assert server.git("rev-parse", "main").strip() == pushed
    hooked.git("reset", "-q", "--hard", base)
    hooked.write("a.py", "x = 2\n")
    rewritten = hooked.commit("rewritten clean")
    assert push(hooked, "--force", "origin", "main").returncode == 0
    assert server.git("rev-parse", "main").strip() == rewritten


@pytest.mark.slow
def test_pushed_config_cannot_allow_a_key_but_the_servers_can(hooked, server, keys, tmp_path):
    key = keys()
    hooked.write(".tokscan.yaml", f"allow:\n  - fingerprint: \"{fp(key)}\"\n    reason: mine\n")
    hooked.write("app.py", f"K = '{key}'\n")
    hooked.commit("allow my own key")
    done = push(hooked, "origin", "main")
    assert done.returncode != 0 and "app.py:1:6" in done.stderr
    policy = tmp_path / "server-policy.yaml"
    policy.write_text(f"allow:\n  - fingerprint: \"{fp(key)}\"\n    reason: test key\n")
    server.git("config", "tokscan.config", str(policy))
    assert push(hooked, "origin", "main").returncode == 0


@pytest.mark.slow
def test_a_key_in_a_message_labelled_with_another_encoding_is_rejected(hooked, server, keys):
    """`git -c i18n.commitEncoding=UTF-16LE commit -m ...` labels the message UTF-16 but
    stores the bytes as typed: `git log` re-encodes them from UTF-16 into nonsense, while
    `git cat-file` (and every clone) shows the key as typed."""
    key = keys()
    before = refs(server)
    hooked.git("-c", "i18n.commitEncoding=UTF-16LE", "commit", "-q", "--allow-empty",
               "-m", f"debug {key}")
    assert key.encode() in hooked.git("cat-file", "commit", "HEAD").encode()
    done = push(hooked, "origin", "main")
    assert done.returncode != 0, done.stderr
    assert "(commit message):1:7" in done.stderr and redacted(key) in done.stderr
    assert key not in done.stdout + done.stderr
    assert refs(server) == before


@pytest.mark.slow
def test_a_key_in_a_pushed_ref_name_is_rejected(hooked, server, keys):
    """A branch or tag name travels with the push and every clone lists it (`git ls-remote`),
    like a file's name: a key in one is a leak even when the commits are the server's."""
    in_branch, in_tag = keys(), keys()
    before = refs(server)
    done = push(hooked, "origin", f"main:refs/heads/fix-{in_branch}", f"main:refs/tags/{in_tag}")
    assert done.returncode != 0
    # tokscan's lines (git's own, on the pusher's side, name the refs it was asked for)
    said = "\n".join(line for line in done.stderr.splitlines() if line.startswith("remote:"))
    assert "2 TokModel API keys" in said
    assert f"refs/heads/fix-{redacted(in_branch)}" in said and "(in the name)" in said
    assert "branch or tag" in " ".join(said.replace("remote:", "").split())
    assert in_branch not in said and in_tag not in said
    assert refs(server) == before
    assert push(hooked, "origin", "main:refs/heads/fix-login").returncode == 0


@pytest.fixture
def skipping(hooked, server, keys) -> tuple[GitRepo, str]:
    """A push holding a key, to a server that accepts push options."""
    server.git("config", "receive.advertisePushOptions", "true")
    key = keys()
    hooked.write("app.py", f"K = '{key}'\n")
    hooked.commit("emergency")
    return hooked, key


@pytest.mark.slow
def test_bypass_is_refused_unless_enabled_and_logged(skipping, server, tmp_path):
    work, key = skipping
    before = refs(server)
    refused = push(work, "-o", "tokscan.skip", "origin", "main")
    assert refused.returncode != 0
    assert "tokscan.skip is not enabled on this server" in refused.stderr
    assert "tokscan rejected this push" in refused.stderr
    server.git("config", "tokscan.allowSkip", "true")  # but no log to audit it
    unlogged = push(work, "-o", "tokscan.skip", "origin", "main")
    assert unlogged.returncode != 0 and "no log is set" in unlogged.stderr
    assert refs(server) == before
    assert key not in refused.stderr + unlogged.stderr


@pytest.mark.slow
def test_enabled_bypass_lets_the_push_through_and_logs_it(skipping, server, tmp_path):
    work, key = skipping
    log = tmp_path / "bypass.log"
    server.git("config", "tokscan.allowSkip", "true")
    server.git("config", "tokscan.log", str(log))
    commit = work.head()
    done = push(work, "-o", f"tokscan.skip=incident 42, key was {key}", "origin", "main")
    assert done.returncode == 0, done.stderr
    assert server.git("rev-parse", "main").strip() == commit
    assert "remote: tokscan:" in done.stderr and "without a scan" in done.stderr
    record = log.read_text()
    assert "let through unscanned" in record and "incident 42" in record
    assert "refs/heads/main" in record and commit in record
    assert key not in record and key not in done.stderr
    assert redacted(key) in record


def fast_import_commits(repo: GitRepo, count: int) -> None:
    """`count` commits on main, each changing a file, written by git fast-import (fast)."""
    stream = []
    parent = repo.head()
    for number in range(count):
        data = f"value = {number}\n" * 20
        stream.append(
            "commit refs/heads/main\n"
            f"committer Test <t@example.com> {1_700_000_000 + number} +0000\n"
            f"data {len(f'c{number}')}\nc{number}\n"
            + (f"from {parent}\n" if number == 0 else "")
            + f"M 100644 inline file{number % 50}.py\ndata {len(data)}\n{data}\n"
        )
    repo.git("fast-import", "--quiet", input="".join(stream).encode())
    repo.git("reset", "-q", "--hard", "main")


@pytest.mark.slow
def test_a_scan_over_its_time_budget_rejects_the_push(hooked, server):
    fast_import_commits(hooked, 400)
    before = refs(server)
    server.git("config", "tokscan.timeout", "0.001")  # no scan of 400 commits is this quick
    done = push(hooked, "origin", "main")
    assert done.returncode != 0
    assert "remote: tokscan: the scan was cut short after 0.001 s" in done.stderr
    assert "was rejected" in done.stderr
    assert refs(server) == before
    server.git("config", "tokscan.timeoutAction", "allow")
    allowed = push(hooked, "origin", "main")
    assert allowed.returncode == 0, allowed.stderr
    assert "cut short" in allowed.stderr and "lets such pushes through" in allowed.stderr
    assert server.git("rev-parse", "main").strip() == hooked.head()


@pytest.mark.slow
def test_a_scan_within_its_budget_reports_as_usual(hooked, server, keys):
    server.git("config", "tokscan.timeout", "120")
    key = keys()
    hooked.write("b.py", f"B = '{key}'\n")
    hooked.commit("key")
    done = push(hooked, "origin", "main")
    assert done.returncode != 0
    assert "b.py:1:6" in done.stderr and key not in done.stderr
    hooked.git("reset", "-q", "--hard", "HEAD~1")
    hooked.write("b.py", "B = 1\n")
    hooked.commit("clean")
    clean = push(hooked, "origin", "main")
    assert clean.returncode == 0 and "remote:" not in clean.stderr


@pytest.mark.slow
def test_install_honours_core_hooks_path(work, server, run_tokscan, tmp_path, keys):
    folder = tmp_path / "server-hooks"
    server.git("config", "core.hooksPath", str(folder))
    install(run_tokscan, server, tmp_path)
    assert (folder / "pre-receive").is_file()
    assert not (server.path / "hooks" / "pre-receive").exists()
    work.write("k.py", f"K = '{keys()}'\n")
    work.commit("key")
    assert push(work, "origin", "main").returncode != 0


# --- in-process: settings and input --------------------------------------------------------


def test_deletions_only_are_nothing_to_scan(server, run_tokscan):
    lines = f"{'1' * 40} {'0' * 40} refs/heads/gone\n".encode()
    result = run_tokscan(["pre-receive"], cwd=server.path, stdin=lines)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_outside_a_repository_is_a_clear_error(tmp_path, run_tokscan):
    result = run_tokscan(["pre-receive"], cwd=tmp_path, stdin=b"")
    assert result.code == 2 and "pre-receive hook" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_bad_timeout_is_a_usage_error(server, run_tokscan, value):
    result = run_tokscan(["pre-receive", "--timeout", value], cwd=server.path, stdin=b"")
    assert result.code == 2 and "--timeout must be a number of seconds" in result.stderr


def test_bad_git_config_is_a_clear_error(server, run_tokscan):
    server.git("config", "tokscan.allowSkip", "maybe")
    result = run_tokscan(["pre-receive"], cwd=server.path, stdin=b"")
    assert result.code == 2 and "tokscan.allowSkip must be true or false" in result.stderr


def test_command_line_wins_over_git_config(server):
    server.git("config", "tokscan.timeout", "7")
    server.git("config", "tokscan.timeoutAction", "allow")
    server.git("config", "tokscan.allowSkip", "yes")
    server.git("config", "tokscan.log", "skips.log")
    from tokscan.options import Options

    from_config = command.settings(server.path, Options(), command.Server())
    assert from_config.timeout == 7 and from_config.timeout_action == "allow"
    assert from_config.allow_skip is True and from_config.log == server.path / "skips.log"
    given = command.Server(timeout=2.5, timeout_action="reject", allow_skip=False)
    chosen = command.settings(server.path, Options(), given)
    assert (chosen.timeout, chosen.timeout_action, chosen.allow_skip) == (2.5, "reject", False)


def test_skip_option_and_its_reason():
    assert command.skip_requested([]) is None
    assert command.skip_requested(["ci.skip", "tokscan.skip"]) == ""
    assert command.skip_requested(["tokscan.skip=incident 7"]) == "incident 7"
    assert command.skip_requested(["tokscan.skipper"]) is None


# --- in-process: what the hook does with git's lines, on objects already received ---------


@pytest.fixture
def received(work, server, keys) -> tuple[str, str]:
    """A commit with a key that the server holds but no ref reaches (as in a quarantine),
    and git's line for a push that would create a branch at it."""
    assert push(work, "-q", "origin", "main").returncode == 0
    key = keys()
    work.write("conf/app.env", f"TOKMODEL_API_KEY={key}\n")
    commit = work.commit("leak")
    work.git("push", "-q", "origin", "HEAD:refs/heads/incoming")
    server.git("update-ref", "-d", "refs/heads/incoming")
    return key, f"{'0' * 40} {commit} refs/heads/topic\n"


def test_json_report_of_what_a_push_brings(server, received, run_tokscan):
    import json

    key, line = received
    result = run_tokscan(["pre-receive", "-f", "json"], cwd=server.path, stdin=line.encode())
    assert result.code == 1
    report = json.loads(result.stdout)
    assert report["scan"]["mode"] == "pre-receive"
    [finding] = report["findings"]
    assert (finding["path"], finding["line"], finding["fingerprint"]) == (
        "conf/app.env", 1, fp(key))
    assert finding["commit"] == line.split()[1]
    assert "the push was rejected" in result.stderr


def test_within_budget_the_report_is_relayed(server, received, run_tokscan):
    key, line = received
    result = run_tokscan(["pre-receive", "--timeout", "120"], cwd=server.path,
                         stdin=line.encode())
    assert result.code == 1
    assert "conf/app.env:1:18" in result.stdout and redacted(key) in result.stdout
    assert key not in result.stdout + result.stderr


@pytest.mark.parametrize("action, code", [("reject", 2), ("allow", 0)])
def test_over_budget(server, received, run_tokscan, action, code):
    _, line = received
    result = run_tokscan(
        ["pre-receive", "--timeout", "0.001", "--timeout-action", action],
        cwd=server.path, stdin=line.encode(),
    )
    assert result.code == code
    assert "the scan was cut short after 0.001 s" in result.stderr


def test_bypass_in_process(server, received, run_tokscan, monkeypatch, tmp_path):
    key, line = received
    monkeypatch.setenv("GIT_PUSH_OPTION_COUNT", "1")
    monkeypatch.setenv("GIT_PUSH_OPTION_0", f"tokscan.skip=it is {key}")
    monkeypatch.setenv("GL_USERNAME", "ana")
    log = tmp_path / "skips.log"
    refused = run_tokscan(["pre-receive", "--allow-skip"], cwd=server.path, stdin=line.encode())
    assert refused.code == 1 and "no log is set" in refused.stderr
    allowed = run_tokscan(["pre-receive", "--allow-skip", "--log", str(log)], cwd=server.path,
                          stdin=line.encode())
    assert allowed.code == 0
    record = log.read_text()
    assert "pusher=ana (GL_USERNAME)" in record and "refs/heads/topic" in record
    assert key not in record + allowed.stderr and redacted(key) in record
    folder = tmp_path / "a-folder"
    folder.mkdir()
    server.git("config", "tokscan.log", str(folder))  # not a file: the bypass cannot be logged
    broken = run_tokscan(["pre-receive", "--allow-skip"], cwd=server.path, stdin=line.encode())
    assert broken.code == 2 and "cannot write the log" in broken.stderr


def test_missing_server_config_rejects(server, received, run_tokscan, tmp_path):
    _, line = received
    server.git("config", "tokscan.config", str(tmp_path / "missing.yaml"))
    result = run_tokscan(["pre-receive"], cwd=server.path, stdin=line.encode())
    assert result.code == 2 and "cannot read config file" in result.stderr
