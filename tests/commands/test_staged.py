"""`tokscan staged`: exactly the keys that the staged change adds, with staged line numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support.gitrepo import GitRepo
from support.keys import fingerprint as fp

import tokscan
from tokscan.keyformat import redact


def staged_json(run_tokscan, repo: GitRepo) -> list[tuple[str, int, int, str]]:
    result = run_tokscan(["staged", "--format", "json"], cwd=repo.path)
    assert result.code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["scan"]["mode"] == "staged"
    found = [(f["path"], f["line"], f["column"], f["fingerprint"]) for f in report["findings"]]
    assert result.code == (1 if found else 0)
    return found


def test_new_file_and_staged_hunk_reported_unstaged_and_head_keys_not(repo, keys, run_tokscan):
    old, added, unstaged, fresh = keys(), keys(), keys(), keys()
    repo.write("app/config.py", f"OLD = '{old}'\nDEBUG = False\n")
    repo.commit("initial")
    repo.write("app/config.py", f"OLD = '{old}'\nDEBUG = False\nNEW = '{added}'\n")
    repo.write("notes.txt", f"first\n\ttoken={fresh}\n")
    repo.add()
    repo.write("app/config.py", f"OLD = '{old}'\nDEBUG = False\nNEW = '{added}'\nX='{unstaged}'\n")
    found = staged_json(run_tokscan, repo)
    assert found == [("app/config.py", 3, 8, fp(added)), ("notes.txt", 2, 8, fp(fresh))]


def test_deleted_lines_and_deleted_files_are_not_reported(repo, keys, run_tokscan):
    a, b = keys(), keys()
    repo.write("a.py", f"A = '{a}'\nkeep = 1\n")
    repo.write("b.py", f"B = '{b}'\n")
    repo.commit("keys")
    repo.write("a.py", "keep = 1\n")
    repo.git("rm", "-q", "b.py")
    repo.add()
    assert staged_json(run_tokscan, repo) == []


def test_first_commit_has_no_head(repo, keys, run_tokscan):
    key = keys()
    repo.write("README", "hello\n")
    repo.write("src/main.go", f'package main\n\nconst key = "{key}"\n')
    repo.add()
    assert staged_json(run_tokscan, repo) == [("src/main.go", 3, 14, fp(key))]


def test_clean_commit_prints_nothing(repo, keys, run_tokscan):
    repo.write("a.txt", "nothing to see\n")
    repo.commit("one")
    repo.write("a.txt", "nothing to see\nstill nothing, not even tm-xxxxxxxx\n")
    repo.add()
    result = run_tokscan(["staged"], cwd=repo.path)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_placeholder_only_prints_nothing(repo, run_tokscan):
    repo.write("doc.md", "export TOKMODEL_API_KEY=tm-" + "x" * 32 + "\n")
    repo.add()
    result = run_tokscan(["staged"], cwd=repo.path)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_blocked_commit_message(repo, keys, run_tokscan):
    key = keys()
    repo.write("settings.py", f"API_KEY = '{key}'\n")
    repo.add()
    result = run_tokscan(["staged"], cwd=repo.path)
    assert result.code == 1
    out = result.stdout
    assert key not in out + result.stderr
    assert f"tm-{key[3:7]}…{key[-4:]}" in out
    assert "settings.py:1:12" in out
    assert "TOKMODEL_API_KEY" in out and "rotate" in out
    assert "tokscan:allow" in out and ".tokscan.yaml" in out
    assert "--no-verify" not in out
    assert out.startswith("tokscan blocked this commit")
    # The advice is "take it out": the four-step rotation procedure is not printed.
    assert "How to rotate a leaked key" not in out
    assert len(out.splitlines()) < 15


def test_pragma_and_exclude_suppress(repo, keys, run_tokscan):
    a, b, c = keys(), keys(), keys()
    repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n")
    repo.write("a.py", f"A = '{a}'  # tokscan:allow (documented test key)\n")
    repo.write("vendor/lib.js", f"var k='{b}';\n")
    repo.write("c.py", f"C = '{c}'\n")
    repo.add()
    result = run_tokscan(["staged", "-f", "json"], cwd=repo.path)
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["findings"]] == ["c.py"]
    assert report["summary"]["suppressed"] == 1


def test_allowlist_by_fingerprint(repo, keys, run_tokscan):
    key = keys()
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: {fp(key)}\n    reason: test\n")
    repo.write("a.py", f"A = '{key}'\n")
    repo.add()
    result = run_tokscan(["staged"], cwd=repo.path)
    assert (result.code, result.stdout) == (0, "")


def test_renamed_file_reports_only_added_lines(repo, keys, run_tokscan):
    old, new = keys(), keys()
    body = "".join(f"line {i}\n" for i in range(30))
    repo.write("old/name.py", f"K = '{old}'\n{body}")
    repo.commit("initial")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.py", "new/place.py")
    repo.write("new/place.py", f"K = '{old}'\n{body}N = '{new}'\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [("new/place.py", 32, 6, fp(new))]


def test_pure_rename_reports_nothing(repo, keys, run_tokscan):
    repo.write("a.py", f"K = '{keys()}'\nx = 1\n")
    repo.commit("initial")
    repo.git("mv", "a.py", "b.py")
    assert staged_json(run_tokscan, repo) == []


def test_copied_file_lines_are_new_lines(repo, keys, run_tokscan):
    """A copy spreads the key to a new place, so its lines count as added (see README)."""
    key = keys()
    repo.write("a.py", f"K = '{key}'\n")
    repo.commit("initial")
    repo.write("b.py", f"K = '{key}'\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [("b.py", 1, 6, fp(key))]


def test_binary_files_are_searched_for_the_keys_they_add(repo, keys, run_tokscan):
    """A staged binary file is read whole: the keys its staged version holds that HEAD's
    version does not are what it adds. --no-binary skips binary files."""
    old, new = keys(), keys()
    repo.write("blob.bin", b"\x00\x01\x02" + old.encode() + b"\n")
    repo.commit("binary")
    repo.write("blob.bin", b"\x00\x01\x02" + old.encode() + b"\x00" + new.encode() + b"\n")
    repo.write("text.txt", "plain\n")
    repo.add()
    result = run_tokscan(["staged", "--format", "json"], cwd=repo.path)
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["path"], finding["fingerprint"]) == ("blob.bin", fp(new))
    assert finding["byte_offset"] == 3 + len(old) + 1
    result = run_tokscan(["staged", "--no-binary"], cwd=repo.path)
    assert result.code == 0


def test_text_files_marked_binary_by_gitattributes_are_scanned(repo, keys, run_tokscan):
    """`*.min.js -diff` or `*.lock binary` keep diffs readable, but the files are text: a key
    in them must not pass the hook only to fail `tokscan scan` and CI (which judge by content,
    SPEC §2). Files whose content is binary are read whole."""
    old, minified, lock, renamed, blob = keys(), keys(), keys(), keys(), keys()
    body = "".join(f"line {i}\n" for i in range(40))
    repo.write(".gitattributes", "*.min.js -diff\n*.lock binary\n*.bin binary\n")
    repo.write("1:odd.lock", body + f"old={old}\n")
    repo.commit("attributes")
    repo.write("app.min.js", f'var k="{minified}";')
    repo.write("yarn.lock", f"x\nkey {lock}\n")
    repo.git("mv", "1:odd.lock", "renamed.lock")
    repo.write("renamed.lock", body + f"old={old}\nnew={renamed}\n")
    repo.write("data.bin", b"\x00\x01" + blob.encode())
    repo.add()
    assert sorted(staged_json(run_tokscan, repo)) == [
        ("app.min.js", 1, 8, fp(minified)),
        ("data.bin", 1, 3, fp(blob)),
        ("renamed.lock", 42, 5, fp(renamed)),
        ("yarn.lock", 2, 5, fp(lock)),
    ]
    result = run_tokscan(["staged", "--format", "json"], cwd=repo.path)
    assert json.loads(result.stdout)["scan"]["objects_scanned"] == 5


def test_marked_binary_clean_commit_prints_nothing(repo, run_tokscan):
    repo.write(".gitattributes", "*.lock binary\n")
    repo.write("yarn.lock", "nothing key-shaped\n")
    repo.write("image.png", b"\x89PNG\x00\x00")
    repo.add()
    result = run_tokscan(["staged"], cwd=repo.path)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "name",
    [
        "with space.txt",
        "ünïcödé/日本.txt",
        'quote"d.txt',
        "new\nline.txt",
        "tab\there.txt",
        "back\\slash.txt",
        "-dash.txt",
    ],
)
def test_odd_file_names(repo, keys, run_tokscan, name):
    key = keys()
    repo.write(name, f"k: {key}\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [(name, 1, 4, fp(key))]


def test_crlf_lines_and_columns(repo, keys, run_tokscan):
    a, b = keys(), keys()
    repo.write("win.ini", f"[api]\r\nkey={a}\r\n\r\n  other = é{b}\r\n".encode())
    repo.add()
    assert staged_json(run_tokscan, repo) == [("win.ini", 2, 5, fp(a)), ("win.ini", 4, 12, fp(b))]


def test_very_large_staged_file(repo, keys, run_tokscan):
    first, middle, last = keys(), keys(), keys()
    line = "x = 'some ordinary source line that is not a key at all'\n"
    lines = [line] * 200_000
    lines[0] = f"{first}\n"
    lines[120_000] = f"value = {middle}\n"
    lines[-1] = f"end {last}"
    repo.write("big.py", "".join(lines))
    repo.add()
    found = staged_json(run_tokscan, repo)
    assert found == [
        ("big.py", 1, 1, fp(first)),
        ("big.py", 120_001, 9, fp(middle)),
        ("big.py", 200_000, 5, fp(last)),
    ]


def test_single_huge_line(repo, keys, run_tokscan):
    """A minified file: one 9 MB line, read in pieces, keys at its start, middle and end."""
    a, b, c = keys(), keys(), keys()
    filler = "var a=1;" * (9 * 1024 * 1024 // 8)
    half = len(filler) // 2
    text = f'{a};{filler[:half]}"{b}"{filler[half:]}{c}'
    repo.write("bundle.min.js", "header\n" + text + "\n")
    repo.add()
    found = staged_json(run_tokscan, repo)
    b_column = text.index(b) + 1
    c_column = text.index(c) + 1
    assert found == [
        ("bundle.min.js", 2, 1, fp(a)),
        ("bundle.min.js", 2, b_column, fp(b)),
        ("bundle.min.js", 2, c_column, fp(c)),
    ]


def test_submodule_entries_are_skipped(repo, keys, run_tokscan, tmp_path):
    sub = GitRepo(tmp_path / "sub")
    sub.write("secret.py", f"K = '{keys()}'\n")
    sub.commit("sub")
    repo.write("a.txt", "a\n")
    repo.commit("a")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "sub")
    found = staged_json(run_tokscan, repo)
    assert found == []


def test_merge_reports_only_the_merge_resolution(repo, keys, run_tokscan):
    side_key, resolution_key = keys(), keys()
    repo.write("conf.py", "a = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.py", f"S = '{side_key}'\n")
    repo.write("conf.py", "a = 2\n")
    repo.commit("side adds a key (already checked when committed there)")
    repo.git("checkout", "-q", "main")
    repo.write("conf.py", "a = 3\n")
    repo.commit("main edits")
    repo.git("merge", "-q", "side", check=False)  # conflict in conf.py
    repo.write("conf.py", f"a = 4\nR = '{resolution_key}'\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [("conf.py", 2, 6, fp(resolution_key))]


@pytest.mark.parametrize(
    "line",
    ["--output={out}", "-o{out}", "--ext-diff", "--no-index", "HEAD:{out}", "main", "\udcff"],
)
def test_merge_head_text_is_never_an_option_or_a_revision_to_git(
    repo, keys, run_tokscan, tmp_path, line
):
    """MERGE_HEAD is a file in .git that anything may write: its lines are read as object
    ids only, never handed to git as they stand (`--output=FILE` would make `git diff`
    write a file). A line that is not an object id is ignored, so nothing is filtered."""
    out = tmp_path / "written-by-git"
    key = keys()
    repo.write("a.txt", "a\n")
    merged = repo.commit("base")
    repo.write("b.py", f"B = '{key}'\n")
    repo.add()
    text = f"{line.format(out=out)}\n{merged}\n"
    (repo.path / ".git" / "MERGE_HEAD").write_bytes(text.encode("utf-8", "surrogateescape"))
    result = run_tokscan(["staged", "-f", "json"], cwd=repo.path)
    assert not out.exists()
    assert result.code == 1, result.stderr
    assert [(f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [
        ("b.py", 1)
    ]


def test_rebase_in_progress(repo, keys, run_tokscan):
    key = keys()
    repo.write("f.txt", "base\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("f.txt", "topic\n")
    repo.commit("topic")
    repo.git("checkout", "-q", "main")
    repo.write("f.txt", "main\n")
    repo.commit("main")
    repo.git("checkout", "-q", "topic")
    repo.git("rebase", "main", check=False)  # stops on the conflict
    repo.write("f.txt", f"resolved\n{key}\n")
    repo.add("f.txt")
    assert staged_json(run_tokscan, repo) == [("f.txt", 2, 1, fp(key))]


def test_from_a_subdirectory_paths_stay_root_relative(repo, keys, run_tokscan):
    key = keys()
    repo.write("deep/er/x.py", f"k='{key}'\n")
    repo.add()
    result = run_tokscan(["staged", "-f", "json"], cwd=repo.path / "deep" / "er")
    assert json.loads(result.stdout)["findings"][0]["path"] == "deep/er/x.py"


def test_not_a_repository_is_a_clear_error(tmp_path, run_tokscan):
    result = run_tokscan(["staged"], cwd=tmp_path)
    assert result.code == 2
    assert "not in a git work tree" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_commit_all_uses_the_temporary_index(repo, keys, tmp_path):
    """`git commit -a` runs the hook with GIT_INDEX_FILE pointing at a temporary index."""
    key = keys()
    repo.write("a.py", "x = 1\n")
    repo.commit("a")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m tokscan staged\n")
    hook.chmod(0o755)
    repo.write("a.py", f"x = '{key}'\n")  # modified but not staged
    done = subprocess.run(
        ["git", "commit", "-q", "-a", "-m", "with key"],
        cwd=repo.path,
        env=repo.env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "a.py:1:6" in done.stdout + done.stderr


@pytest.mark.parametrize("with_config", [False, True])
def test_clean_path_imports_nothing_heavy(repo, with_config):
    """What `tokscan staged` imports on a clean commit, measured in a Python started with
    -S (no site-packages, so nothing is preloaded by an editable install or a .pth file):
    only tokscan's hook modules and what the interpreter needs to run them."""
    if with_config:  # a configuration does not force the slow path either
        repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n")
    repo.write("a.py", "x = 1\n")
    repo.add()
    package = os.path.dirname(os.path.dirname(tokscan.__file__))
    probe = (
        f"import sys; sys.path.insert(0, {package!r}); before = set(sys.modules);"
        "from tokscan.cli.main import main; code = main(['staged']);"
        "print(code, ' '.join(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    code, modules = done.stdout.split(" ", 1)
    assert code == "0", done.stderr
    loaded = set(modules.split())
    ours = {m for m in loaded if m == "tokscan" or m.startswith("tokscan.")}
    assert ours == {
        "tokscan",
        "tokscan.cli",
        "tokscan.cli.main",
        "tokscan.cli.fast",
        "tokscan.options",
        "tokscan.errors",
        "tokscan.commands",
        "tokscan.commands.staged",
        "tokscan.sources",
        "tokscan.sources.staged",
        "tokscan.git",
        "tokscan.git.process",
        "tokscan.git.repository",
        "tokscan.sources.diff",
        "tokscan.keyformat",
    }
    heavy = {
        "click",
        "yaml",
        "pathspec",
        "git",
        "httpx",
        "rich",
        "dataclasses",
        "subprocess",
        "json",
        "hashlib",
        "typing",
        "pathlib",
        "inspect",
        "datetime",
        "multiprocessing",
        # A bytes search and boundary checks by hand find the needles: `re` (and the `enum`
        # it imports, which cost more than the search) stay out, as do Hyperscan and the
        # detector that would load it.
        "re",
        "enum",
        "hyperscan",
        "collections",
        "functools",
        "site",
        "tokscan.detect",
        "tokscan.detect.matcher",
    }
    assert not heavy & loaded, heavy & loaded


def test_inter_hunk_context_in_the_config_does_not_shift_lines(repo, keys, run_tokscan):
    first, second = keys(), keys()
    repo.write("a.py", "".join(f"line {i}\n" for i in range(20)))
    repo.commit("base")
    repo.git("config", "diff.interHunkContext", "10")
    lines = [f"line {i}\n" for i in range(20)]
    lines[3] = "changed 3\n"
    lines[8] = f"k = '{first}'\n"
    repo.write("a.py", "".join(lines))
    repo.write("b.py", f"x = 1\ny = '{second}'\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [("a.py", 9, 6, fp(first)), ("b.py", 2, 6, fp(second))]


def test_a_long_deleted_line_is_not_read_as_added(repo, keys, run_tokscan):
    """A deleted line longer than the diff reader's piece size arrives in pieces; none of
    them is added text."""
    old, new = keys(), keys()
    repo.write("min.js", "var a=1;" * 200_000 + f"'{old}'\n")
    repo.commit("minified")
    repo.write("min.js", f"var k='{new}';\n")
    repo.add()
    assert staged_json(run_tokscan, repo) == [("min.js", 1, 8, fp(new))]


def test_a_key_in_an_added_name_blocks_the_commit(repo, keys, run_tokscan):
    """Regression: a file or folder whose name holds a key was committed without a word;
    the name leaks with the tree. A name HEAD already has is not added again."""
    old_folder, new_file, new_folder, renamed = keys(), keys(), keys(), keys()
    repo.write(f"conf/{old_folder}/a.txt", "x\n")
    repo.write("plain.txt", "y\n")
    repo.commit("an old name")
    repo.write(f"conf/{old_folder}/b.txt", "a new file in a folder so named already\n")
    repo.write(f"docs/{new_file}.md", "\n")
    repo.write(f"lib/{new_folder}/c.py", "1\n")
    repo.write(f"lib/{new_folder}/d.py", "2\n")
    repo.git("mv", "plain.txt", f"{renamed}.txt")
    repo.add()
    found = staged_json(run_tokscan, repo)  # paths redacted, as everything printed
    assert sorted(found) == sorted([
        (f"docs/{redact(new_file)}.md", 1, 6, fp(new_file)),
        (f"lib/{redact(new_folder)}", 1, 5, fp(new_folder)),
        (f"{redact(renamed)}.txt", 1, 1, fp(renamed)),
    ])  # fmt: skip
    result = run_tokscan(["staged"], cwd=repo.path)  # the hook's own route
    assert result.code == 1 and "(in the name)" in result.stdout
    for key in (old_folder, new_file, new_folder, renamed):
        assert key not in result.stdout + result.stderr
