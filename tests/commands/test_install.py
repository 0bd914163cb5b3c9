"""`tokscan install`: the plain git hooks, where git looks for them, and never clobbering."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from support.paths import ROOT

from tokscan.git import hooks


@pytest.mark.parametrize("hook", ["pre-commit", "pre-push", "commit-msg", "pre-receive"])
def test_hooks_folder_holds_the_generic_scripts(hook):
    """hooks/ is what `tokscan install` writes, minus the recorded interpreter."""
    path = ROOT / "hooks" / hook
    assert path.read_text() == hooks.script(hook)
    assert path.stat().st_mode & stat.S_IXUSR


def test_install_is_idempotent_and_records_the_interpreter(repo, run_tokscan):
    result = run_tokscan(["install"], cwd=repo.path)
    assert result.code == 0
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert "installed" in result.stderr and str(hook) in result.stderr
    text = hook.read_text()
    assert f'python="${{TOKSCAN_PYTHON:-{sys.executable}}}"' in text
    assert "-m tokscan staged" in text
    # the quick start: no site, isolated, from the folder tokscan is installed in
    assert f'package="{hooks.package_folder()}"' in text
    assert f"""exec "$python" -I -S -c '{hooks.BOOTSTRAP}' "$package" staged""" in text
    assert os.access(hook, os.X_OK)
    again = run_tokscan(["install"], cwd=repo.path)
    assert again.code == 0 and "unchanged" in again.stderr
    assert hook.read_text() == text


def test_pre_push_hook_passes_arguments(repo, run_tokscan):
    assert run_tokscan(["install", "--hook", "pre-push"], cwd=repo.path).code == 0
    text = (repo.path / ".git" / "hooks" / "pre-push").read_text()
    assert '-m tokscan pre-push "$@"' in text


def test_commit_msg_hook_passes_the_message_file(repo, run_tokscan):
    assert run_tokscan(["install", "--hook", "commit-msg"], cwd=repo.path).code == 0
    text = (repo.path / ".git" / "hooks" / "commit-msg").read_text()
    assert '-m tokscan commit-msg "$@"' in text


def test_pre_receive_hook_installs_into_a_bare_repository_with_c(tmp_path, run_tokscan):
    from support.gitrepo import GitRepo

    server = GitRepo(tmp_path / "server.git", bare=True)
    result = run_tokscan(["-C", str(server.path), "install", "--hook", "pre-receive"],
                         cwd=tmp_path)
    assert result.code == 0, result.stderr
    text = (server.path / "hooks" / "pre-receive").read_text()
    assert text.rstrip().endswith("exit 1") and "-m tokscan pre-receive\n" in text
    assert "git config tokscan.*" in text  # its policy is the server's, not .tokscan.yaml


def test_never_overwrites_a_different_hook_without_force(repo, run_tokscan):
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'my own hook'\n")
    result = run_tokscan(["install"], cwd=repo.path)
    assert result.code == 2
    assert "already exists" in result.stderr
    assert "tokscan staged" in result.stderr and "--force" in result.stderr
    assert hook.read_text() == "#!/bin/sh\necho 'my own hook'\n"
    forced = run_tokscan(["install", "--force"], cwd=repo.path)
    assert forced.code == 0
    backup = hook.with_name("pre-commit.before-tokscan")
    assert backup.read_text() == "#!/bin/sh\necho 'my own hook'\n"
    assert str(backup) in forced.stderr
    assert hooks.MARKER in hook.read_text()


def test_updates_an_older_tokscan_hook(repo, run_tokscan):
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(hooks.script("pre-commit", "/old/venv/bin/python"))
    result = run_tokscan(["install"], cwd=repo.path)
    assert result.code == 0 and "updated" in result.stderr
    assert sys.executable in hook.read_text()


@pytest.mark.parametrize("relative", [True, False])
def test_honours_core_hooks_path(repo, run_tokscan, tmp_path, relative):
    target = "shared-hooks" if relative else str(tmp_path / "abs-hooks")
    repo.git("config", "core.hooksPath", target)
    (repo.path / "src").mkdir()
    assert run_tokscan(["install"], cwd=repo.path / "src").code == 0
    folder = repo.path / target if relative else Path(target)
    assert (folder / "pre-commit").is_file()
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()


def test_worktree_installs_into_the_common_hooks_folder(repo, run_tokscan, tmp_path):
    repo.write("a.txt", "a\n")
    repo.commit("a")
    worktree = tmp_path / "wt"
    repo.git("worktree", "add", "-q", str(worktree), "-b", "wt")
    assert run_tokscan(["install"], cwd=worktree).code == 0
    assert (repo.path / ".git" / "hooks" / "pre-commit").is_file()


def test_not_a_repository(tmp_path, run_tokscan):
    result = run_tokscan(["install"], cwd=tmp_path)
    assert result.code == 2
    assert "not in a git repository" in result.stderr


def test_interpreter_path_is_quoted_for_the_shell():
    text = hooks.script("pre-commit", '/odd "dir"/$HOME/`x`/python')
    assert r'python="${TOKSCAN_PYTHON:-/odd \"dir\"/\$HOME/\`x\`/python}"' in text
