"""`tokscan commit-msg FILE`: a key in the message of the commit being made."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from support.gitrepo import GitRepo

import tokscan
from tokscan.cli import fast
from tokscan.commands import commitmsg


def redacted(key: str) -> str:
    return f"tm-{key[3:7]}…{key[-4:]}"


def test_message_with_a_key_is_blocked(repo, keys, run_tokscan):
    key = keys()
    message = repo.path / "MSG"
    message.write_text(f"Fix the client\n\nDebugged with {key} locally.\n")
    result = run_tokscan(["commit-msg", str(message)], cwd=repo.path)
    assert result.code == 1
    assert "tokscan blocked this commit: its message holds 1 TokModel API key" in result.stdout
    assert redacted(key) in result.stdout and "(commit message):3:15" in result.stdout
    assert "write the message again without it" in " ".join(result.stdout.split())
    # The advice is "take it out": the four-step rotation procedure is not printed.
    assert "How to rotate a leaked key" not in result.stdout
    assert key not in result.stdout + result.stderr


def test_clean_message_passes_silently(repo, run_tokscan):
    message = repo.path / "MSG"
    message.write_text("Read the key from TOKMODEL_API_KEY\n\nutm-campaign tm-short\n")
    result = run_tokscan(["commit-msg", str(message)], cwd=repo.path)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_base64_of_a_key_is_found(repo, keys, run_tokscan):
    encoded = base64.b64encode(f"token={keys()}".encode()).decode()
    message = repo.path / "MSG"
    message.write_text(f"Config blob: {encoded}\n")
    result = run_tokscan(["commit-msg", str(message)], cwd=repo.path)
    assert result.code == 1 and "base64" in result.stdout


def test_the_verbose_diff_below_the_scissors_is_not_the_message(repo, keys, run_tokscan):
    message = repo.path / "MSG"
    message.write_text(
        "Clean message\n"
        f"{commitmsg.SCISSORS.decode()}"
        f"diff --git a/x b/x\n+K = '{keys()}'\n"
    )
    result = run_tokscan(["commit-msg", str(message)], cwd=repo.path)
    assert result.code == 0, result.stdout


def test_the_allowlist_of_the_work_tree_applies(repo, keys, run_tokscan):
    from support.keys import fingerprint

    key = keys()
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: \"{fingerprint(key)}\"\n")
    message = repo.path / "MSG"
    message.write_text(f"example {key}\n")
    assert run_tokscan(["commit-msg", str(message)], cwd=repo.path).code == 0


def test_unreadable_message_file_is_an_error(repo, run_tokscan):
    result = run_tokscan(["commit-msg", str(repo.path / "missing")], cwd=repo.path)
    assert result.code == 2 and "cannot read the commit message" in result.stderr


def test_fast_route_takes_exactly_one_file():
    parsed = fast.parse(["commit-msg", ".git/COMMIT_EDITMSG"])
    assert parsed is not None and parsed.paths == [".git/COMMIT_EDITMSG"]
    assert fast.parse(["commit-msg"]) is None
    assert fast.parse(["commit-msg", "a", "b"]) is None


def test_clean_path_imports_nothing_heavy(repo):
    """As `tokscan staged`: no click, no yaml, not even the data model for a clean message."""
    repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n")
    message = repo.write("MSG", "A plain message\n")
    package = os.path.dirname(os.path.dirname(tokscan.__file__))
    probe = (
        f"import sys; sys.path.insert(0, {package!r}); before = set(sys.modules);"
        f"from tokscan.cli.main import main; code = main(['commit-msg', {str(message)!r}]);"
        "print(code, ' '.join(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run([sys.executable, "-S", "-c", probe], cwd=repo.path,
                          capture_output=True, text=True)
    code, modules = done.stdout.split(" ", 1)
    assert code == "0", done.stderr
    loaded = set(modules.split())
    heavy = {"click", "yaml", "pathspec", "httpx", "dataclasses", "subprocess", "json",
             "typing", "pathlib", "multiprocessing", "tokscan.model", "tokscan.config"}
    assert not heavy & loaded, heavy & loaded


@pytest.mark.slow
def test_installed_hook_blocks_a_real_commit(repo, keys, run_tokscan):
    repo.write("README.md", "project\n")
    repo.commit("initial")
    assert run_tokscan(["install", "--hook", "commit-msg"], cwd=repo.path).code == 0
    hook = (repo.path / ".git" / "hooks" / "commit-msg").read_text()
    assert '-m tokscan commit-msg "$@"' in hook
    key = keys()
    repo.write("a.py", "x = 1\n")
    repo.add()
    env = repo.env()
    env.pop("COVERAGE_PROCESS_START", None)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path,
                              env=env, capture_output=True, text=True)

    blocked = commit(f"debug with {key}")
    assert blocked.returncode == 1
    assert redacted(key) in blocked.stdout + blocked.stderr
    assert key not in blocked.stdout + blocked.stderr
    assert GitRepo(repo.path, init=False).git("rev-list", "--count", "HEAD").strip() == "1"
    clean = commit("use the environment")
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")


@pytest.mark.slow
def test_text_typed_below_a_scissors_line_is_scanned(repo, keys, run_tokscan):
    """git drops what follows its scissors line only with `git commit -v`: a message given
    with -m keeps it, so a key there must block the commit. The diff that `-v` appends (a
    removed key, say) is still not the message."""
    repo.write("a.py", f"K = '{keys()}'\n")
    repo.commit("a key, committed with --no-verify")
    assert run_tokscan(["install", "--hook", "commit-msg"], cwd=repo.path).code == 0
    env = repo.env()
    env.pop("COVERAGE_PROCESS_START", None)
    key = keys()
    below = f"{commitmsg.SCISSORS.decode()}# notes\ntoken {key}"
    repo.write("b.py", "y = 2\n")
    repo.add()
    typed = subprocess.run(["git", "commit", "-q", "-m", "subject", "-m", below],
                           cwd=repo.path, env=env, capture_output=True, text=True)
    assert typed.returncode == 1, typed.stdout + typed.stderr
    said = typed.stdout + typed.stderr
    assert redacted(key) in said and key not in said
    assert repo.git("rev-list", "--count", "HEAD").strip() == "1"
    # `git commit -v` through an editor: the key that the staged diff removes is below
    # git's own scissors line, and the commit goes through
    repo.write("a.py", "K = os.environ['TOKMODEL_API_KEY']\n")
    repo.add()
    env["GIT_EDITOR"] = "sed -i '1i Read the key from the environment'"
    verbose = subprocess.run(["git", "commit", "-q", "-v"], cwd=repo.path, env=env,
                             capture_output=True, text=True)
    assert verbose.returncode == 0, verbose.stdout + verbose.stderr
    assert repo.git("log", "-1", "--format=%s").strip() == "Read the key from the environment"
