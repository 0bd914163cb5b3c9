"""`tokscan history`: real repositories of every shape an audit must attribute right."""

from __future__ import annotations

import json
import os
import subprocess
from functools import partial

import pytest
from support import jsonreport
from support.gitrepo import GitRepo
from support.keys import KeyFactory
from support.keys import fingerprint as fp

from tokscan.git.repository import open_repository
from tokscan.sources.history import bloblist, scan


def audit(run_tokscan, repo: GitRepo, *args: str, keys: KeyFactory | None = None):
    """Run `tokscan history -f json` in the repository; returns (result, report)."""
    result = run_tokscan(["history", "-f", "json", "--no-progress", *args], cwd=repo.path)
    if keys is not None:
        for body in keys._made:
            assert body not in result.stdout + result.stderr, "a raw key leaked into the output"
    report = json.loads(result.stdout) if result.stdout.strip() else None
    return result, report


# (fingerprint, path, commit, line) of every finding
places = partial(jsonreport.places, fields=("fingerprint", "path", "commit", "line"))


def source(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_key_added_then_removed(repo, keys, run_tokscan):
    key = keys()
    repo.write("app.py", source("import os", "", f'KEY = "{key}"'))
    added = repo.commit("add key")
    repo.write("other.py", "x = 1\n")
    repo.commit("unrelated")
    repo.write("app.py", source("import os", "", 'KEY = os.environ["TOKMODEL_API_KEY"]'))
    repo.commit("remove key")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "app.py", added, 3)}
    [finding] = report["findings"]
    assert finding["present_at_head"] is False
    assert finding["author"] == "Test Author <author@example.com>"
    assert finding["date"].startswith("2023-11-14T22:")
    assert finding["column"] == 8
    assert report["scan"]["mode"] == "history"
    assert report["scan"]["objects_scanned"] >= 5


def test_key_kept_across_many_edits_is_one_finding_at_its_first_line(repo, keys, run_tokscan):
    key = keys()
    repo.write("settings.py", source("A = 1", f"KEY = '{key}'"))
    added = repo.commit("add")
    for n in range(25):
        repo.write(
            "settings.py", source(*[f"X{i} = {i}" for i in range(n + 1)], "A = 1", f"KEY = '{key}'")
        )
        repo.commit(f"edit {n}")
    _result, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "settings.py", added, 2)}
    assert report["findings"][0]["present_at_head"] is True


def test_key_only_on_a_side_branch(repo, keys, run_tokscan):
    repo.write("README", "hello\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "experiment")
    key = keys()
    repo.write("try.py", f"k = '{key}'\n")
    side = repo.commit("experiment")
    repo.git("checkout", "-q", "main")
    repo.write("README", "hello again\n")
    repo.commit("main moves on")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "try.py", side, 1)}
    assert report["findings"][0]["present_at_head"] is False


def test_key_only_under_a_tag(repo, keys, run_tokscan):
    repo.write("README", "hello\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "release")
    key = keys()
    repo.write("release.cfg", f"token={key}\n")
    tagged = repo.commit("release build")
    repo.git("tag", "-a", "v1.0", "-m", "release 1.0")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "release")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "release.cfg", tagged, 1)}


def test_ordinary_merge_attributes_the_key_to_the_branch_commit(repo, keys, run_tokscan):
    repo.write("app.py", source("a = 1", "b = 2"))
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "feature")
    key = keys()
    repo.write("app.py", source("a = 1", "b = 2", f"c = '{key}'"))
    side = repo.commit("feature adds key")
    repo.write("feature.py", "f = 1\n")
    repo.commit("more feature")
    repo.git("checkout", "-q", "main")
    repo.write("main.py", "m = 1\n")
    repo.commit("main work")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "app.py", side, 3)}
    assert report["findings"][0]["present_at_head"] is True


def test_evil_merge_is_attributed_to_the_merge(repo, keys, run_tokscan):
    repo.write("app.py", "a = 1\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "f = 1\n")
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write("main.py", "m = 1\n")
    repo.commit("main work")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    key = keys()
    repo.write("app.py", source("a = 1", f"secret = '{key}'"))
    merge = repo.commit("merge feature, with a resolution that adds a key")
    assert len(repo.git("rev-list", "--parents", "-1", "HEAD").split()) == 3
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "app.py", merge, 2)}


def test_merge_of_a_branch_that_merged_main_keeps_main_attribution(repo, keys, run_tokscan):
    """Keys from main that reach a branch through `git merge main` stay main's."""
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("f.txt", "f\n")
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    key = keys()
    repo.write("cfg.txt", f"{key}\n")
    on_main = repo.commit("main adds key")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "main")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "cfg.txt", on_main, 1)}


def test_rename_keeps_the_introducing_commit(repo, keys, run_tokscan):
    key = keys()
    repo.write("old/name.py", source("x = 1", f"key = '{key}'"))
    added = repo.commit("add")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.py", "new/name.py")
    repo.commit("rename")
    repo.write("new/name.py", source("# header", "x = 1", f"key = '{key}'"))
    repo.commit("edit after rename")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "old/name.py", added, 2)}
    assert report["findings"][0]["present_at_head"] is True  # it followed the rename


def test_deleted_file(repo, keys, run_tokscan):
    key = keys()
    repo.write("tmp/debug.log", f"auth {key}\n")
    added = repo.commit("oops")
    repo.git("rm", "-q", "tmp/debug.log")
    repo.commit("remove log")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "tmp/debug.log", added, 1)}
    assert report["findings"][0]["present_at_head"] is False


def test_same_key_in_two_places_is_two_findings(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", f"k = '{key}'\n")
    first = repo.commit("a")
    repo.write("b.py", source("", f"k = '{key}'", f"again = '{key}'"))
    second = repo.commit("b")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "a.py", first, 1), (fp(key), "b.py", second, 2)}
    assert report["summary"]["findings"] == 2


def test_copied_into_a_second_file_while_the_first_stays(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", f"k = '{key}'\n")
    first = repo.commit("a")
    repo.write("b.py", f"k = '{key}'\n")
    second = repo.commit("copy")
    repo.write("a.py", "k = None\n")
    repo.commit("a no longer has it")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "a.py", first, 1), (fp(key), "b.py", second, 1)}
    at_head = {f["path"]: f["present_at_head"] for f in report["findings"]}
    assert at_head == {"a.py": False, "b.py": True}


def test_key_removed_and_added_back_is_a_new_introduction(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", f"k = '{key}'\n")
    first = repo.commit("add")
    repo.write("a.py", "k = None\n")
    repo.commit("remove")
    repo.write("a.py", f"k = None\nk = '{key}'\n")
    again = repo.commit("add back")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "a.py", first, 1), (fp(key), "a.py", again, 2)}


def test_commit_message_key(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.txt", "a\n")
    commit = repo.commit(f"Fix login\n\nworks with {key} now")
    _, report = audit(run_tokscan, repo, keys=keys)
    [finding] = report["findings"]
    assert (finding["path"], finding["commit"], finding["line"], finding["column"]) == (
        None,
        commit,
        3,
        12,
    )


@pytest.mark.parametrize("shape", ["lines", "one line"])
def test_key_at_the_end_of_a_5_mb_commit_message(repo, keys, run_tokscan, tmp_path, shape):
    """A commit message is scanned whole, however long (past the 4 MiB chunk size)."""
    key = keys()
    if shape == "lines":
        filler = "".join(f"log line {i:07d}: nothing to see here\n" for i in range(140_000))
    else:
        filler = "x" * (5 << 20) + " "
    message = f"Huge\n\n{filler}{key}\n"
    assert len(message) > 5 << 20
    (tmp_path / "message.txt").write_text(message)
    repo.write("a.txt", "a\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--cleanup=verbatim", "-F", str(tmp_path / "message.txt"))
    commit = repo.head()
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    [finding] = report["findings"]
    line = message.count("\n", 0, message.index(key)) + 1
    column = len(message[: message.index(key)].rsplit("\n", 1)[-1]) + 1
    assert (finding["path"], finding["commit"], finding["line"], finding["column"]) == (
        None, commit, line, column,
    )


def test_annotated_tag_message_key(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    repo.commit("init")
    key = keys()
    repo.git("tag", "-a", "v2", "-m", f"Release\n\nstaging key {key}")
    tag = repo.git("rev-parse", "v2").strip()
    _, report = audit(run_tokscan, repo, keys=keys)
    [finding] = report["findings"]
    assert (finding["path"], finding["commit"], finding["line"]) == (None, tag, 3)
    assert finding["author"] == "Test Committer <committer@example.com>"
    assert finding["date"].startswith("2023-11-14T22:")


def test_odd_paths(repo, keys, run_tokscan):
    made = {}
    for name in ("with space.txt", "ünïcödé/файл.py", "new\nline.txt", "tab\there.txt"):
        made[name] = keys()
        repo.write(name, f"{made[name]}\n")
    repo.commit("odd names")
    raw = b"latin1-\xe9.txt"
    raw_key = keys()
    repo.write(raw, f"{raw_key}\n")
    repo.commit("non-utf8 name")
    _result, report = audit(run_tokscan, repo, keys=keys)
    paths = {f["fingerprint"]: f["path"] for f in report["findings"]}
    assert paths == {
        **{fp(k): name for name, k in made.items()},
        fp(raw_key): "latin1-\\xe9.txt",
    }
    assert all(f["present_at_head"] for f in report["findings"])


def test_gitlink_is_skipped_and_counted(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    commit = repo.commit("init")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{commit},vendor/lib")
    key = keys()
    repo.write("b.txt", f"{key}\n")
    repo.git("add", "b.txt")
    repo.git("commit", "-q", "-m", "add submodule and key")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert [f["path"] for f in report["findings"]] == ["b.txt"]
    assert report["scan"]["errors"] == []
    text = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert "1 submodule" in text.stdout


def test_empty_repository(repo, run_tokscan):
    result, report = audit(run_tokscan, repo)
    assert result.code == 0
    assert report["findings"] == []
    text = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert text.code == 0
    assert "no commits" in text.stdout
    # A machine format keeps stdout for the report: the note goes to stderr.
    assert "no commits" in result.stderr
    sarif = run_tokscan(["history", "-f", "sarif", "-o", "out.sarif"], cwd=repo.path)
    assert sarif.code == 0
    assert "no commits" in sarif.stderr


def test_one_commit_repository(repo, keys, run_tokscan):
    key = keys()
    repo.write("only.py", f"\n\nk = '{key}'\n")
    commit = repo.commit("only")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "only.py", commit, 3)}


def test_clean_history_exits_0(repo, run_tokscan):
    repo.write("a.py", "x = 'tm-" + "x" * 32 + "'\n")
    repo.commit("placeholder only")
    result, report = audit(run_tokscan, repo)
    assert result.code == 0
    assert report["findings"] == []


def test_stash_entries_are_scanned(repo, keys, run_tokscan):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    older, newer = keys(), keys()
    repo.write("a.py", f"a = '{older}'\n")
    repo.git("stash", "-q")
    repo.write("a.py", f"a = '{newer}'\n")
    repo.git("stash", "-q")
    assert repo.git("stash", "list").count("\n") == 2
    _, report = audit(run_tokscan, repo, keys=keys)
    assert {f["fingerprint"] for f in report["findings"]} == {fp(older), fp(newer)}


def test_reflog_only_key_is_noted_not_reported(repo, keys, run_tokscan):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    key = keys()
    repo.write("a.py", f"a = '{key}'\n")
    repo.commit("oops")
    repo.write("a.py", "a = 2\n")
    repo.git("commit", "-q", "-a", "--amend", "-m", "fixed")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 0
    assert report["findings"] == []
    text = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert "note: 1 key is only in objects that no branch" in text.stdout  # not "key(s)"
    _, with_reflog = audit(run_tokscan, repo, "--all", "--reflog", keys=keys)
    assert {f["fingerprint"] for f in with_reflog["findings"]} == {fp(key)}


# --- ranges --------------------------------------------------------------------------


@pytest.fixture
def branched(repo, keys):
    """main: init, main-key; feature (from init): feature-key, clean commit."""
    repo.write("a.py", "a = 1\n")
    base = repo.commit("init")
    main_key, feature_key = keys(), keys()
    repo.write("main.py", f"m = '{main_key}'\n")
    on_main = repo.commit("main key")
    repo.git("checkout", "-q", "-b", "feature", base)
    repo.write("feature.py", f"f = '{feature_key}'\n")
    on_feature = repo.commit("feature key")
    repo.write("clean.py", "c = 1\n")
    clean = repo.commit("clean")
    repo.git("checkout", "-q", "main")
    return {"main": (main_key, on_main), "feature": (feature_key, on_feature), "clean": clean}


def test_range_main_to_feature(repo, keys, run_tokscan, branched):
    key, commit = branched["feature"]
    result, report = audit(run_tokscan, repo, "main..feature", keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "feature.py", commit, 1)}
    assert report["scan"]["revisions"] == ["main..feature"]


def test_range_of_one_clean_commit(repo, keys, run_tokscan, branched):
    result, report = audit(run_tokscan, repo, "-1", branched["clean"], keys=keys)
    assert result.code == 0
    assert report["findings"] == []
    assert report["scan"]["objects_scanned"] >= 1


def test_range_of_one_commit_with_a_key(repo, keys, run_tokscan, branched):
    key, commit = branched["main"]
    _, report = audit(run_tokscan, repo, f"{commit}^!", keys=keys)
    assert places(report) == {(fp(key), "main.py", commit, 1)}


def test_range_since(repo, keys, run_tokscan):
    old_key, new_key = keys(), keys()
    repo.write("old.py", f"k = '{old_key}'\n")
    repo.commit("old")
    repo._tick += 10_000  # a week later
    repo.write("new.py", f"k = '{new_key}'\n")
    new = repo.commit("new")
    _, report = audit(run_tokscan, repo, "--since=2023-11-20", "--all", keys=keys)
    assert places(report) == {(fp(new_key), "new.py", new, 1)}
    _, report = audit(run_tokscan, repo, "--since", "2023-11-20", "--all", keys=keys)
    assert places(report) == {(fp(new_key), "new.py", new, 1)}


def test_range_new_branch_not_on_remote(repo, keys, run_tokscan, branched, tmp_path):
    """What pre-push asks for a new branch: `<sha> --not --remotes=origin`."""
    remote = GitRepo(tmp_path / "remote.git", bare=True)
    repo.git("remote", "add", "origin", str(remote.path))
    repo.git("push", "-q", "origin", "main")
    key, commit = branched["feature"]
    tip = repo.git("rev-parse", "feature").strip()
    _, report = audit(run_tokscan, repo, tip, "--not", "--remotes=origin", keys=keys)
    assert places(report) == {(fp(key), "feature.py", commit, 1)}


def test_range_through_the_engine_api(repo, keys, branched):
    """pre-push and ci call the engine directly with their own rev-list arguments."""
    from tokscan.pipeline import collect, suppress

    report = collect.new_report("pre-push", str(repo.path))
    collector = collect.Collector(report, suppress.Suppressor())
    scope = scan.Scope(["main..feature"])
    notes = scan.scan_revisions(open_repository(repo.path), scope, collector)
    assert notes == []
    [finding] = report.findings
    key, commit = branched["feature"]
    assert (finding.key, finding.path, finding.commit, finding.line) == (
        key,
        "feature.py",
        commit,
        1,
    )
    assert finding.where.value == "history"
    assert finding.author == "Test Author <author@example.com>"
    assert report.objects_scanned == 4  # two blobs and two commit messages
    assert report.errors == []


def test_narrow_range_reads_only_the_blobs_it_adds(repo, keys, run_tokscan, branched):
    _, report = audit(run_tokscan, repo, "feature~1..feature", keys=keys)
    # one blob (clean.py) and one commit message: nothing else in the repository
    assert report["scan"]["objects_scanned"] == 2


def test_wide_range_is_read_in_pack_order(repo, keys, run_tokscan, branched, monkeypatch):
    monkeypatch.setattr(scan, "_DIRECT_LIMIT", 0)
    repo.git("gc", "-q")
    key, commit = branched["feature"]
    _, report = audit(run_tokscan, repo, "main..feature", keys=keys)
    assert places(report) == {(fp(key), "feature.py", commit, 1)}


def test_range_where_a_merge_brings_main_into_the_branch(repo, keys, run_tokscan, branched):
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "main")
    repo.git("checkout", "-q", "main")
    key, commit = branched["feature"]
    _, report = audit(run_tokscan, repo, "main..feature", keys=keys)
    assert places(report) == {(fp(key), "feature.py", commit, 1)}


def test_first_parent_attributes_merged_keys_to_the_merge(repo, keys, run_tokscan, branched):
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    merge = repo.head()
    key, _ = branched["feature"]
    _, report = audit(run_tokscan, repo, "--first-parent", "main", keys=keys)
    assert (fp(key), "feature.py", merge, 1) in places(report)


# --- suppression and configuration ------------------------------------------------------


def test_pragma_and_exclude_apply_to_history(repo, keys, run_tokscan):
    allowed, excluded, reported = keys(), keys(), keys()
    repo.write("a.py", f"k = '{allowed}'  # tokscan:allow\n")
    repo.write("fixtures/sample.txt", f"{excluded}\n")
    repo.write("b.py", f"k = '{reported}'\n")
    repo.write(".tokscan.yaml", 'exclude:\n  - "fixtures/**"\n')
    repo.commit("mixed")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert {f["fingerprint"] for f in report["findings"]} == {fp(reported)}
    assert report["summary"]["suppressed"] == 2  # the pragma, and the excluded file
    text = run_tokscan(["history", "--no-progress"], cwd=repo.path).stdout
    assert "2 suppressed (1 by exclude, 1 by pragma)" in text


# --- blobs ---------------------------------------------------------------------------


def test_binary_blob_is_searched_unless_told_not_to(repo, keys, run_tokscan):
    key = keys()
    repo.write("image.bin", b"\x00\x01\x02" + f" {key} ".encode() + b"\x00")
    commit = repo.commit("binary")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "image.bin", commit, 1)}
    assert report["findings"][0]["byte_offset"] == 4
    result, report = audit(run_tokscan, repo, "--no-binary", keys=keys)
    assert result.code == 0
    assert report["findings"] == []
    text = run_tokscan(["history", "--no-progress", "--no-binary"], cwd=repo.path)
    assert "1 binary" in text.stdout


def test_large_blob_is_streamed_and_keys_across_chunk_edges_are_found(repo, keys, run_tokscan):
    from tokscan.sources.stream import CHUNK_SIZE

    first, last = keys(), keys()
    line = b"x" * 999 + b"\n"
    body = bytearray(line * ((CHUNK_SIZE * 2) // len(line)))
    at = CHUNK_SIZE - 10  # across the edge of the first chunk
    body[at - 1 : at + 36] = f" {first} ".encode()
    lines_before_tail = len(body) // 1000
    body += f"tail {last}\n".encode()
    repo.write("big.txt", bytes(body))
    commit = repo.commit("big")
    _, report = audit(run_tokscan, repo, keys=keys)
    lines = {f["fingerprint"]: f["line"] for f in report["findings"]}
    assert lines == {fp(first): at // 1000 + 1, fp(last): lines_before_tail + 1}
    assert {f["commit"] for f in report["findings"]} == {commit}


def test_two_processes_share_the_work(repo, keys, run_tokscan, monkeypatch):
    monkeypatch.setattr(bloblist, "SEGMENT", 64)
    made = []
    for n in range(40):
        key = keys()
        made.append(key)
        repo.write(f"f{n}.py", f"k{n} = '{key}'\n" + "pad = 1\n" * n)
        repo.commit(f"c{n}")
    repo.git("gc", "-q")
    _, report = audit(run_tokscan, repo, "--jobs", "2", keys=keys)
    assert {f["fingerprint"] for f in report["findings"]} == {fp(k) for k in made}
    assert report["scan"]["errors"] == []


# --- bad input --------------------------------------------------------------------------


def test_not_a_repository(tmp_path, run_tokscan):
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run_tokscan(["history"], cwd=folder)
    assert result.code == 2
    assert "not a git repository" in result.stderr
    assert "Traceback" not in result.stderr


def test_shallow_clone_fails_unless_allowed(repo, keys, run_tokscan, tmp_path):
    for n in range(3):
        repo.write("a.py", f"a = {n}\n")
        repo.commit(f"c{n}")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{repo.path}", str(clone)], check=True
    )
    result = run_tokscan(["history", "--no-progress"], cwd=clone)
    assert result.code == 2
    assert "git fetch --unshallow" in result.stderr
    result = run_tokscan(["history", "--no-progress", "--allow-shallow"], cwd=clone)
    assert result.code == 0
    assert "shallow" in result.stderr
    # The warning comes before the scan (which may then fail), the note with the report.
    problem = (
        "this is a shallow clone, so older history is missing; run `git fetch --unshallow` first"
    )
    result = run_tokscan(["history", "-f", "json", "--no-progress", "--allow-shallow"], cwd=clone)
    assert result.stderr.splitlines() == [
        "tokscan history: scanning every ref (a full audit): 1 branch, 2 remote-tracking "
        "branches",
        f"tokscan: warning: {problem}; scanning only what is here",
        f"tokscan: incomplete audit: {problem}",
    ]
    result = run_tokscan(["history", "--allow-shallow", "no-such-branch"], cwd=clone)
    assert result.code == 2
    assert result.stderr.splitlines()[1] == (
        f"tokscan: warning: {problem}; scanning only what is here"
    )


def test_a_repository_without_commits_has_nothing_to_scan(repo, run_tokscan):
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    assert result.code == 0
    assert result.stderr == "tokscan: the repository has no commits yet: nothing to scan\n"


def test_missing_object_is_an_error_naming_it(repo, keys, run_tokscan):
    repo.write("a.py", "a = 1\n")
    repo.write("b.py", "b = 2\n")
    repo.commit("two files")
    blob = repo.git("rev-parse", "HEAD:b.py").strip()
    os.remove(repo.path / ".git" / "objects" / blob[:2] / blob[2:])
    result, report = audit(run_tokscan, repo)
    assert result.code == 2
    [error] = report["scan"]["errors"]
    assert error["path"] == "b.py"
    assert blob in error["message"]
    result, report = audit(run_tokscan, repo, "HEAD")
    assert result.code == 2
    assert blob in report["scan"]["errors"][0]["message"]


def test_corrupt_loose_object_is_an_error_naming_it(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", "a = 1\n")
    repo.write("b.py", f"b = '{key}'\n")
    repo.commit("two files")
    blob = repo.git("rev-parse", "HEAD:a.py").strip()
    path = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    path.chmod(0o644)
    path.write_bytes(b"this is not zlib data")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 2
    assert any(blob in e["message"] for e in report["scan"]["errors"])
    assert {f["path"] for f in report["findings"]} == {"b.py"}  # the rest was still scanned


def test_corrupt_packed_object_is_skipped_and_the_rest_scanned(repo, keys, run_tokscan):
    first, last = keys(), keys()
    repo.write("a.txt", f"{first}\n" + "first file\n" * 200)
    repo.write("b.txt", "middle file, its own content\n" * 300)
    repo.write("c.txt", f"{last}\n" + "last file\n" * 250)
    repo.commit("three")
    repo.git("gc", "-q")
    victim = repo.git("rev-parse", "HEAD:b.txt").strip()
    [pack] = (repo.path / ".git" / "objects" / "pack").glob("*.pack")
    index = pack.with_suffix(".idx")
    listing = subprocess.run(
        ["git", "verify-pack", "-v", str(index)], capture_output=True, text=True, check=True
    ).stdout
    offset = next(int(line.split()[4]) for line in listing.splitlines() if line.startswith(victim))
    data = bytearray(pack.read_bytes())
    for at in range(offset + 4, offset + 24):
        data[at] ^= 0x5A
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 2
    assert any(victim in e["message"] for e in report["scan"]["errors"])
    assert {f["fingerprint"] for f in report["findings"]} == {fp(first), fp(last)}


def test_bad_revision(repo, run_tokscan):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    result = run_tokscan(["history", "no-such-branch"], cwd=repo.path)
    assert result.code == 2
    assert "no-such-branch" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option",
    [
        "--show-signature",
        "--ext-diff",
        "--textconv",
        "-p",
        "--stat",
        "--pretty=%H",
        "--alternate-refs",
        "--boundary",
        "-g",
        "--output-indicator-new=x",
    ],
)
def test_options_that_could_run_code_or_write_files_are_refused(
    repo, run_tokscan, option, tmp_path
):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    result = run_tokscan(["history", option], cwd=repo.path)
    assert result.code == 2
    assert "not supported" in result.stderr


def test_hostile_config_cannot_run_programs(repo, keys, run_tokscan, tmp_path):
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(0o755)
    key = keys()
    repo.write("a.py", f"k = '{key}'\n")
    commit = repo.commit("key")
    repo.git("commit", "-q", "--amend", "-S", "-m", "signed", check=False)  # no gpg: unsigned
    for name, value in [
        ("log.showSignature", "true"),
        ("gpg.program", str(script)),
        ("diff.external", str(script)),
        ("core.fsmonitor", str(script)),
        ("color.ui", "always"),
        ("log.diffMerges", "combined"),
        ("diff.renames", "copies"),
        ("core.pager", str(script)),
    ]:
        repo.git("config", name, value)
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "a.py", commit, 1)}
    assert not marker.exists()


def test_progress_is_drawn_only_when_asked(repo, keys, run_tokscan):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    shown = run_tokscan(["history", "--progress"], cwd=repo.path)
    assert "objects" in shown.stderr and "\r" in shown.stderr
    hidden = run_tokscan(["history"], cwd=repo.path)  # stderr is not a terminal here
    assert "\r" not in hidden.stderr


def test_range_edit_that_keeps_an_older_key_is_not_a_finding(repo, keys, run_tokscan):
    """The parent's version lies outside the range: it is read on demand."""
    key = keys()
    repo.write("app.py", source("a = 1", f"k = '{key}'"))
    repo.commit("key, long ago")
    base = repo.commit("base")
    repo.write("app.py", source("# edited", "a = 2", f"k = '{key}'"))
    repo.commit("edit keeps the key")
    repo.git("mv", "app.py", "main.py")
    repo.commit("rename keeps the key")
    result, report = audit(run_tokscan, repo, f"{base}..HEAD", keys=keys)
    assert result.code == 0
    assert report["findings"] == []


def test_range_new_key_next_to_an_old_one(repo, keys, run_tokscan):
    old, new = keys(), keys()
    repo.write("app.py", f"k = '{old}'\n")
    base = repo.commit("old key")
    repo.write("app.py", f"k = '{old}'\nj = '{new}'\n")
    commit = repo.commit("new key")
    _, report = audit(run_tokscan, repo, f"{base}..HEAD", keys=keys)
    assert places(report) == {(fp(new), "app.py", commit, 2)}


def test_tag_of_a_tag_and_tags_of_trees_and_blobs(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    repo.commit("init")
    inner, outer = keys(), keys()
    repo.git("tag", "-a", "inner", "-m", f"inner {inner}")
    repo.git("tag", "-a", "outer", "inner", "-m", f"outer {outer}")
    repo.git("tag", "-d", "inner")
    repo.git("tag", "tree-tag", "HEAD^{tree}")
    repo.git("tag", "blob-tag", "HEAD:a.txt")
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert {f["fingerprint"] for f in report["findings"]} == {fp(inner), fp(outer)}
    assert all(f["path"] is None for f in report["findings"])


def test_no_default_branch_tip_leaves_present_at_head_unknown(repo, keys, run_tokscan):
    key = keys()
    repo.git("checkout", "-q", "-b", "work")
    repo.write("a.txt", f"{key}\n")
    repo.commit("on work")
    repo.git("checkout", "-q", "--orphan", "empty")
    repo.git("rm", "-q", "-rf", "--cached", ".")
    _, report = audit(run_tokscan, repo, keys=keys)
    [finding] = report["findings"]
    assert finding["present_at_head"] is None


def test_bare_repository(tmp_path, keys, run_tokscan, repo):
    key = keys()
    repo.write("a.txt", f"{key}\n")
    commit = repo.commit("key")
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(repo.path), str(bare)], check=True)
    result = run_tokscan(["-C", str(bare), "history", "-f", "json", "--no-progress"])
    report = json.loads(result.stdout)
    assert places(report) == {(fp(key), "a.txt", commit, 1)}
    assert report["findings"][0]["present_at_head"] is True


def test_sha256_repository(tmp_path, keys, run_tokscan):
    repo = GitRepo(tmp_path / "sha256", init=False)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    key = keys()
    repo.write("a.txt", f"{key}\n")
    commit = repo.commit("key")
    repo.write("a.txt", f"edited\n{key}\n")
    repo.commit("edit")
    assert len(commit) == 64
    _, report = audit(run_tokscan, repo, keys=keys)
    assert places(report) == {(fp(key), "a.txt", commit, 1)}
    _, report = audit(run_tokscan, repo, "HEAD~1..HEAD", keys=keys)
    assert report["findings"] == []


def test_partial_clone_fails_unless_allowed(repo, keys, run_tokscan, tmp_path):
    repo.write("a.py", "a = 1\n")
    repo.commit("init")
    repo.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--no-checkout",
            "--filter=blob:none",
            f"file://{repo.path}",
            str(clone),
        ],
        check=True,
    )
    result = run_tokscan(["history", "--no-progress"], cwd=clone)
    assert result.code == 2
    assert "partial clone" in result.stderr


def test_a_key_given_as_a_revision_is_not_echoed_back(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    repo.commit("a")
    key = keys()
    result = run_tokscan(["history", f"{key}..HEAD"], cwd=repo.path)
    assert result.code == 2
    assert key not in result.stdout + result.stderr


def test_keys_in_blobs_and_trees_that_tags_point_at(repo, keys, run_tokscan):
    # A tag may point straight at a blob or a tree (git.git tags its maintainer's key so):
    # those files are reachable from a ref, so an audit must report their keys.
    repo.write("a.txt", "a\n")
    repo.commit("init")
    in_blob, in_tree = keys(), keys()
    blob = repo.git("hash-object", "-w", "--stdin", input=f"key {in_blob}\n".encode()).strip()
    repo.git("tag", "blob-tag", blob)
    inner = repo.git("hash-object", "-w", "--stdin", input=f"\n{in_tree}\n".encode()).strip()
    tree = repo.git("mktree", input=f"100644 blob {inner}\tsecret.txt\n".encode()).strip()
    repo.git("tag", "-a", "tree-tag", tree, "-m", "a tree")
    tag = repo.git("rev-parse", "tree-tag").strip()
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {
        (fp(in_blob), "refs/tags/blob-tag", None, 1),
        (fp(in_tree), "refs/tags/tree-tag:secret.txt", tag, 2),
    }
    assert all(f["present_at_head"] is None for f in report["findings"])
    assert "no branch, tag or stash reaches" not in result.stdout + result.stderr
    # A tag of a tree or blob that commits hold adds nothing: those keys have their commit.
    in_commit = keys()
    repo.write("b.txt", f"{in_commit}\n")
    commit = repo.commit("key")
    repo.git("tag", "head-tree", "HEAD^{tree}")
    repo.git("tag", "head-blob", "HEAD:b.txt")
    _, report = audit(run_tokscan, repo, keys=keys)
    assert [f["commit"] for f in report["findings"] if f["fingerprint"] == fp(in_commit)] == [
        commit
    ]


def test_commit_without_committer_has_a_null_date(repo, keys, run_tokscan):
    key = keys()
    blob = repo.git("hash-object", "-w", "--stdin", input=f"{key}\n".encode()).strip()
    tree = repo.git("mktree", input=f"100644 blob {blob}\tk.txt\n".encode()).strip()
    raw = f"tree {tree}\n\nmalformed: no author, no committer\n".encode()
    commit = repo.git("hash-object", "-t", "commit", "-w", "--stdin", "--literally", input=raw)
    repo.git("update-ref", "refs/heads/main", commit.strip())
    result, report = audit(run_tokscan, repo, keys=keys)  # the report still meets SPEC §4
    assert result.code == 1
    [finding] = report["findings"]
    assert (finding["commit"], finding["date"]) == (commit.strip(), None)


@pytest.mark.slow
def test_thousands_of_keys_in_one_file(repo, keys, run_tokscan):
    # A dump of many keys: one finding each (and repeats folded), found in time linear in
    # their number (the fold once compared every key with every other: 50,000 took 30 s).
    many = [keys() for _ in range(3000)]
    repo.write("dump.txt", "".join(f"k{i} = {key}\n" for i, key in enumerate(many + many)))
    commit = repo.commit("dump")
    _result, report = audit(run_tokscan, repo)
    assert places(report) == {(fp(key), "dump.txt", commit, i + 1) for i, key in enumerate(many)}


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_range_whose_parent_version_cannot_be_read(repo, keys, run_tokscan, damage):
    # The range's first commit edits a file whose previous version (outside the range) is
    # gone: whether the key was already there cannot be known, so the scan is incomplete.
    key, other = keys(), keys()
    repo.write("a.py", f"k = '{key}'\n")
    repo.commit("key")
    repo.write("a.py", f"k = '{key}'\nmore = 1\n")
    repo.write("b.py", f"o = '{other}'\n")
    edit = repo.commit("edit")
    blob = repo.git("rev-parse", "HEAD~1:a.py").strip()
    path = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    if damage == "missing":
        path.unlink()
    else:
        path.chmod(0o644)
        path.write_bytes(b"this is not zlib data")
    result, report = audit(run_tokscan, repo, "HEAD~1..HEAD", keys=keys)
    assert result.code == 2
    [error] = report["scan"]["errors"]
    assert error["path"] == "a.py"
    assert blob in error["message"]
    assert (fp(other), "b.py", edit, 1) in places(report)  # the rest was still scanned


def test_simplify_by_decoration_is_refused(repo, keys, run_tokscan):
    # It rewrites each listed commit's parents to the nearest decorated ancestor, so the
    # tree-diff pass would compare with the wrong commit and blame the tip for every key.
    key = keys()
    repo.write("a.py", f"k = '{key}'\n")
    repo.commit("key")
    repo.write("b.py", "b = 1\n")
    repo.commit("later")
    result = run_tokscan(["history", "--simplify-by-decoration", "--all"], cwd=repo.path)
    assert result.code == 2
    assert "not supported" in result.stderr


def test_a_grafts_file_cannot_hide_history(repo, keys, run_tokscan):
    # .git/info/grafts (deprecated, still honoured by git) rewrites parents like
    # refs/replace does: a repository handed over for audit could cut its leak out.
    key = keys()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.write("leak.txt", f"{key}\n")
    leak = repo.commit("leak")
    repo.git("rm", "-q", "leak.txt")
    removed = repo.commit("remove")
    repo.write("b.txt", "b\n")
    repo.commit("later")
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "grafts").write_text(f"{removed}\n")  # no parents
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "leak.txt", leak, 1)}


def _chunks(data: bytes, table: int) -> dict[bytes, int]:
    """The chunk table of a commit-graph or multi-pack-index file, starting at `table`:
    entries of a 4-byte id and an 8-byte offset, ending with id 0."""
    import struct

    offsets = {}
    for entry in range(table, len(data), 12):
        name = bytes(data[entry : entry + 4])
        offsets[name] = struct.unpack(">Q", data[entry + 4 : entry + 12])[0]
        if name == b"\0" * 4:
            return offsets
    raise AssertionError("no end to the chunk table")


def _ids(data: bytes, chunks: dict[bytes, int], after: bytes, size: int) -> list[str]:
    """The object ids in the OIDL chunk, which the chunk `after` follows."""
    start, end = chunks[b"OIDL"], chunks[after]
    return [bytes(data[at : at + size]).hex() for at in range(start, end, size)]


def _rewrite(path, edit) -> None:
    data = bytearray(path.read_bytes())
    edit(data)
    path.chmod(0o644)  # git writes them read-only
    path.write_bytes(bytes(data))


def test_a_commit_graph_cannot_hide_history(repo, keys, run_tokscan):
    # The commit-graph caches each commit's tree, parents and date, and git trusts it over
    # the commit objects: edited, it can give the commit that added a key its parent's
    # tree, so the tree-diff pass sees no change and the audit reports nothing.
    key = keys()
    repo.write("a.txt", "a\n")
    base = repo.commit("init")
    repo.write("leak.txt", f"{key}\n")
    leak = repo.commit("leak")
    repo.git("rm", "-q", "leak.txt")
    repo.commit("remove")
    repo.write("b.txt", "b\n")
    repo.commit("later")
    repo.git("commit-graph", "write", "--reachable")
    parent_tree = bytes.fromhex(repo.git("rev-parse", f"{base}^{{tree}}").strip())

    def edit(data: bytearray) -> None:
        # A header (CGPH, version, hash version, chunks, base graphs), the chunk table,
        # then the chunks; CDAT has a row per commit, in OIDL's order, that starts with
        # the commit's tree. git does not check the file's checksum when it reads it.
        assert data[:4] == b"CGPH"
        size = {1: 20, 2: 32}[data[5]]
        chunks = _chunks(data, 8)
        row = chunks[b"CDAT"] + _ids(data, chunks, b"CDAT", size).index(leak) * (size + 16)
        data[row : row + size] = parent_tree

    _rewrite(repo.path / ".git" / "objects" / "info" / "commit-graph", edit)
    # git itself is fooled: `git log --raw` no longer shows the file arriving.
    assert "leak.txt" not in repo.git("log", "--raw", "--format=%H")
    assert "leak.txt" in repo.git("-c", "core.commitGraph=false", "log", "--raw", "--format=%H")
    for scope in ((), (f"{base}..main",)):
        result, report = audit(run_tokscan, repo, *scope, keys=keys)
        assert result.code == 1
        assert places(report) == {(fp(key), "leak.txt", leak, 1)}


def test_a_multi_pack_index_cannot_hide_a_blob(repo, keys, run_tokscan):
    # The multi-pack-index maps object ids to places in packs, ahead of each pack's own
    # index: edited, it can send the id of the blob holding a key to a clean blob's bytes.
    key = keys()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.write("leak.txt", f"{key}\n")
    leak = repo.commit("leak")
    repo.git("repack", "-q", "-a", "-d")
    repo.git("multi-pack-index", "write")
    blob = repo.git("rev-parse", "HEAD:leak.txt").strip()
    clean = repo.git("rev-parse", "HEAD:a.txt").strip()

    def edit(data: bytearray) -> None:
        # A header (MIDX, version, hash version, chunks, base files, packs), the chunk
        # table, then the chunks; OOFF has 8 bytes per object (pack, offset) in OIDL's order.
        assert data[:4] == b"MIDX"
        size = {1: 20, 2: 32}[data[5]]
        chunks = _chunks(data, 12)
        ids = _ids(data, chunks, b"OOFF", size)
        to, source = (chunks[b"OOFF"] + 8 * ids.index(oid) for oid in (blob, clean))
        data[to : to + 8] = data[source : source + 8]

    _rewrite(repo.path / ".git" / "objects" / "pack" / "multi-pack-index", edit)
    assert repo.git("cat-file", "blob", blob) == "a\n"  # git itself is fooled
    result, report = audit(run_tokscan, repo, keys=keys)
    assert result.code == 1
    assert places(report) == {(fp(key), "leak.txt", leak, 1)}


# --- keys in names ------------------------------------------------------------------------


def named_places(report) -> set[tuple[str, str, str, int, int, bool | None]]:
    """(fingerprint, path, commit, line, column, present_at_head) of the keys in names."""
    return {
        (f["fingerprint"], f["path"], f["commit"], f["line"], f["column"], f["present_at_head"])
        for f in report["findings"]
        if f.get("in_name")
    }


def test_a_key_in_a_name_is_found_where_a_commit_adds_it(repo, keys, run_tokscan):
    """Regression: a file or folder whose name holds a key was never reported by a history
    audit. Each name is one finding, at the commit that first adds it; a later file in the
    same folder adds no name, a branch's name belongs to the branch's commit, and a name
    that is gone from the tip is not present at head."""
    in_file, in_folder, on_branch = keys(), keys(), keys()
    repo.write("README.md", "hi\n")
    repo.commit("start")
    repo.write(f"docs/{in_file}.md", "\n")
    repo.write(f"lib/{in_folder}/a.py", "1\n")
    repo.write(f"lib/{in_folder}/b.py", "2\n")
    first = repo.commit("names")
    repo.write(f"lib/{in_folder}/c.py", "3\n")
    repo.commit("a third file in the folder")
    repo.git("rm", "-q", f"docs/{in_file}.md")
    repo.commit("the file is gone")
    repo.git("checkout", "-q", "-b", "side")
    repo.write(f"{on_branch}.txt", "\n")
    branch = repo.commit("a name on a branch")
    repo.git("checkout", "-q", "main")
    repo.write("other.txt", "\n")
    repo.commit("meanwhile")
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "side")
    result, report = audit(run_tokscan, repo, "--show-secrets")
    assert result.code == 1
    assert named_places(report) == {
        (fp(in_file), f"docs/{in_file}.md", first, 1, 6, False),
        (fp(in_folder), f"lib/{in_folder}", first, 1, 5, True),
        (fp(on_branch), f"{on_branch}.txt", branch, 1, 1, True),
    }
    result, report = audit(run_tokscan, repo, keys=keys)  # redacted, as always
    assert len(named_places(report)) == 3
    # A range sees only the names its commits add.
    result, report = audit(run_tokscan, repo, "--show-secrets", f"{first}..main")
    assert {place[1] for place in named_places(report)} == {f"{on_branch}.txt"}


def test_pre_push_blocks_a_name_holding_a_key(repo, keys, run_tokscan, tmp_path):
    key = keys()
    repo.write("a.txt", "a\n")
    base = repo.commit("one")
    repo.write(f"conf/{key}.json", "{}\n")
    head = repo.commit("two")
    stdin = f"refs/heads/main {head} refs/heads/main {base}\n".encode()
    result = run_tokscan(["pre-push", "origin", "url", "-f", "json"], cwd=repo.path, stdin=stdin)
    assert result.code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["in_name"], finding["commit"], finding["line"], finding["column"]) == (
        True, head, 1, 6
    )  # fmt: skip
    assert key not in result.stdout + result.stderr
