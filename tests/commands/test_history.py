"""`tokscan history` as a user runs it: what it scans and says it scans, `--` as git has
it, and which refs still hold a key at their tip. (Attribution itself is tested in
tests/sources/history/test_scan.py.)"""

from __future__ import annotations

import json

import pytest
from support.gitrepo import GitRepo
from support.keys import KeyFactory
from support.keys import fingerprint as fp


def side_branch_leak(repo: GitRepo, keys: KeyFactory) -> str:
    """main has no key; branch `old-leak` and tag `v1.2` hold one at their tip."""
    repo.write("README", "hello\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "old-leak")
    key = keys()
    repo.write("src/settings.py", f"KEY = '{key}'\n")
    repo.commit("leak")
    repo.git("tag", "v1.2")
    repo.git("checkout", "-q", "main")
    repo.write("README", "hello again\n")
    repo.commit("more")
    return key


@pytest.mark.parametrize(
    "filters",
    [
        ["--since=2023-01-01"],
        ["--since", "2023-01-01"],
        ["--author=Test Author"],
        ["-n", "10"],
        ["--max-count=10"],
        ["--grep=leak"],
        ["--", "src"],
        ["--until=2030-01-01", "--", "src/settings.py"],
    ],
)
def test_filters_without_a_revision_keep_every_ref_in_scope(repo, keys, run_tokscan, filters):
    key = side_branch_leak(repo, keys)
    result = run_tokscan(["history", "-f", "json", "--no-progress", *filters], cwd=repo.path)
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [f["fingerprint"] for f in report["findings"]] == [fp(key)]
    assert "scanning every ref (no revision named): 2 branches, 1 tag" in result.stderr


def test_a_named_revision_is_scanned_alone(repo, keys, run_tokscan):
    side_branch_leak(repo, keys)
    result = run_tokscan(["history", "--no-progress", "main", "--since=2023-01-01"],
                         cwd=repo.path)
    assert result.code == 0, result.stdout
    assert "scanning the revisions given: main; since 2023-01-01" in result.stderr
    result = run_tokscan(["history", "--no-progress", "--branches=old*"], cwd=repo.path)
    assert result.code == 1
    assert "scanning the revisions given; --branches=old*" not in result.stderr
    assert "scanning the revisions given" in result.stderr


def test_the_scope_line_counts_refs_and_stash_and_is_quiet_with_q(repo, keys, run_tokscan):
    side_branch_leak(repo, keys)
    repo.write("README", "stashed\n")
    repo.git("stash", "-q")
    result = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert "tokscan history: scanning every ref (a full audit): 2 branches, 1 tag, stash" in (
        result.stderr
    )
    assert "scanning" not in result.stdout
    quiet = run_tokscan(["history", "--no-progress", "-q", "--since=2023-01-01"], cwd=repo.path)
    assert quiet.code == 1
    assert "scanning" not in quiet.stderr


def test_one_double_dash_separates_revisions_from_paths_as_in_git(repo, keys, run_tokscan):
    key = side_branch_leak(repo, keys)
    found = run_tokscan(["history", "-f", "json", "--no-progress", "old-leak", "--", "src"],
                        cwd=repo.path)
    assert found.code == 1, found.stderr
    assert [f["fingerprint"] for f in json.loads(found.stdout)["findings"]] == [fp(key)]
    assert "the revisions given: old-leak; paths src" in found.stderr
    elsewhere = run_tokscan(["history", "--no-progress", "old-leak", "--", "README"],
                            cwd=repo.path)
    assert elsewhere.code == 0, elsewhere.stderr
    # the first `--` is the separator: an option before it is left without its value
    grep = run_tokscan(["history", "--no-progress", "--grep", "--", "old-leak"], cwd=repo.path)
    assert grep.code == 2
    assert "--grep" in grep.stderr


def test_each_finding_names_the_refs_that_still_hold_the_key_at_their_tip(
    repo, keys, run_tokscan
):
    key = side_branch_leak(repo, keys)
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["fingerprint"] == fp(key)
    assert finding["present_at_head"] is False  # main never had it
    assert finding["refs_at_tip"] == ["old-leak", "v1.2"]
    assert "no longer in the file" not in finding["advice"]
    assert "remove it there too" in finding["advice"]
    text = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert "    still in: old-leak, v1.2\n" in text.stdout
    # once the branch and the tag are gone from its tip, the advice says so
    repo.git("checkout", "-q", "old-leak")
    repo.write("src/settings.py", "KEY = None\n")
    repo.commit("take it out")
    repo.git("tag", "-d", "v1.2")
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["refs_at_tip"] == []
    assert "no longer in the file" in finding["advice"]
    assert "still in" not in run_tokscan(["history", "--no-progress"], cwd=repo.path).stdout


def test_refs_at_tip_follow_renames_and_names_and_leave_messages_out(repo, keys, run_tokscan):
    repo.write("README", "hello\n")
    repo.commit("init")
    moved, named, said = keys(), keys(), keys()
    repo.write("old.py", f"K = '{moved}'\n")
    repo.write(f"conf/{named}.txt", "x\n")
    repo.commit(f"keys, and one in this message: {said}")
    repo.git("branch", "keep")
    repo.git("mv", "old.py", "new.py")
    repo.commit("rename")
    result = run_tokscan(["history", "-f", "json", "--no-progress"], cwd=repo.path)
    by_key = {f["fingerprint"]: f for f in json.loads(result.stdout)["findings"]}
    assert by_key[fp(moved)]["path"] == "old.py"
    assert by_key[fp(moved)]["refs_at_tip"] == ["keep", "main"]  # main has it as new.py
    assert by_key[fp(named)]["refs_at_tip"] == ["keep", "main"]
    assert by_key[fp(said)]["refs_at_tip"] is None


def test_a_push_has_no_refs_at_tip(repo, keys, run_tokscan, tmp_path):
    remote = GitRepo(tmp_path / "remote.git", bare=True)
    repo.write("README", "hello\n")
    before = repo.commit("init")
    repo.git("remote", "add", "origin", str(remote.path))
    repo.git("push", "-q", "origin", "main")
    repo.write("a.py", f"K = '{keys()}'\n")
    repo.commit("key")
    line = f"refs/heads/main {repo.head()} refs/heads/main {before}\n"
    result = run_tokscan(["pre-push", "origin", "-f", "json"], cwd=repo.path,
                         stdin=line.encode())
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["refs_at_tip"] is None


def test_the_pragma_hint_only_where_a_pragma_can_help(repo, keys, run_tokscan):
    side_branch_leak(repo, keys)
    audit = run_tokscan(["history", "--no-progress"], cwd=repo.path)
    assert audit.code == 1
    assert "tokscan:allow" not in audit.stdout  # a line in history: a pragma cannot help
    assert "Add its fingerprint to `allow` in .tokscan.yaml, or record it in a baseline" in (
        " ".join(audit.stdout.split())
    )
    assert "How to rotate a leaked key" in audit.stdout  # a committed key is rotated
    repo.write("now.py", f"K = '{keys()}'\n")
    on_disk = run_tokscan(["scan", "now.py"], cwd=repo.path)
    assert "Put `tokscan:allow` in a comment on that line" in on_disk.stdout


def test_write_baseline_says_what_it_wrote(repo, keys, run_tokscan, tmp_path):
    side_branch_leak(repo, keys)
    baseline = tmp_path / "baseline.json"
    result = run_tokscan(["history", "--no-progress", "--write-baseline", str(baseline)],
                         cwd=repo.path)
    assert result.code == 0
    assert result.stdout == ""
    assert f"wrote baseline {baseline}: 1 key in 1 place (1 entry)" in result.stderr
    asked = run_tokscan(["history", "--no-progress", "-f", "json", "--write-baseline",
                         str(baseline)], cwd=repo.path)
    assert json.loads(asked.stdout)["summary"]["findings"] == 1  # a format asked for: written
