"""`tokscan pre-push`: exactly the commits a push sends, through real `git push`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.gitrepo import GitRepo
from support.keys import fingerprint as fp

from tokscan.ranges import prepush


@pytest.fixture
def origin(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "origin.git", bare=True)


@pytest.fixture
def work(repo: GitRepo, origin: GitRepo) -> GitRepo:
    repo.write("README.md", "project\n")
    repo.commit("initial")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.git("push", "-q", "origin", "main")
    return repo


def rev_list(repo: GitRepo, args: list[str]) -> set[str]:
    return set(repo.git("rev-list", *args).split())


def line(repo: GitRepo, local_ref: str, remote_ref: str, remote_sha: str | None) -> str:
    local_sha = repo.git("rev-parse", local_ref).strip() if local_ref != "(delete)" else "0" * 40
    return f"{local_ref} {local_sha} {remote_ref} {remote_sha or '0' * 40}"


class TestRange:
    def test_update_scans_remote_to_local(self, work):
        before = work.head()
        new = [work.commit("one"), work.commit("two")]
        push = prepush.from_lines(
            work.path, "origin", [line(work, "main", "refs/heads/main", before)]
        )
        assert rev_list(work, push.rev_args()) == set(new)

    def test_new_branch_scans_commits_not_on_the_remote(self, work):
        work.git("checkout", "-q", "-b", "topic")
        new = [work.commit("t1"), work.commit("t2")]
        push = prepush.from_lines(
            work.path, "origin", [line(work, "topic", "refs/heads/topic", None)]
        )
        assert rev_list(work, push.rev_args()) == set(new)

    def test_deletion_scans_nothing(self, work):
        push = prepush.from_lines(
            work.path, "origin", [f"(delete) {'0' * 40} refs/heads/old {work.head()}"]
        )
        assert push.empty

    def test_force_push_scans_what_the_remote_lacks(self, work):
        base = work.head()
        work.commit("pushed")
        work.git("push", "-q", "origin", "main")
        pushed = work.head()
        work.git("reset", "-q", "--hard", base)
        rewritten = work.commit("rewritten")
        push = prepush.from_lines(
            work.path, "origin", [line(work, "main", "refs/heads/main", pushed)]
        )
        assert rev_list(work, push.rev_args()) == {rewritten}

    def test_unknown_remote_sha_is_left_out(self, work):
        new = work.commit("mine")
        push = prepush.from_lines(
            work.path, "origin", [line(work, "main", "refs/heads/main", "f" * 40)]
        )
        assert rev_list(work, push.rev_args()) == {new}

    def test_push_to_a_url_compares_with_what_it_advertises(self, work, origin):
        work.git("checkout", "-q", "-b", "topic")
        new = work.commit("mine")
        url = str(origin.path)
        push = prepush.from_lines(work.path, url, [line(work, "topic", "refs/heads/topic", None)])
        assert rev_list(work, push.rev_args()) == {new}
        assert push.notes == []

    def test_stale_remote_tracking_refs_are_left_out(self, work, origin):
        work.git("checkout", "-q", "-b", "gone")
        gone = work.commit("gone")
        work.git("push", "-q", "origin", "gone")
        origin.git("update-ref", "-d", "refs/heads/gone")
        work.git("checkout", "-q", "-b", "topic")
        new = work.commit("mine")
        push = prepush.from_lines(
            work.path, "origin", [line(work, "topic", "refs/heads/topic", None)], str(origin.path)
        )
        assert push.exclude == [origin.git("rev-parse", "main").strip()]
        assert rev_list(work, push.rev_args()) == {gone, new}

    def test_malformed_line_is_a_clear_error(self, work):
        from tokscan.errors import TokscanError

        with pytest.raises(TokscanError, match="line 1"):
            prepush.from_lines(work.path, "origin", ["garbage"])

    def test_pre_commit_framework_variables(self, work):
        before = work.head()
        new = work.commit("x")
        env = {
            "PRE_COMMIT": "1",
            "PRE_COMMIT_FROM_REF": before,
            "PRE_COMMIT_TO_REF": new,
            "PRE_COMMIT_REMOTE_NAME": "origin",
        }
        remote, push = prepush.from_environment(work.path, env)
        assert remote == "origin"
        assert rev_list(work, push.rev_args()) == {new}
        whole = {
            "PRE_COMMIT": "1",
            "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
            "PRE_COMMIT_REMOTE_NAME": "origin",
        }
        assert rev_list(work, prepush.from_environment(work.path, whole)[1].rev_args()) == {new}
        assert prepush.from_environment(work.path, {}) is None


def test_pre_commit_run_with_ref_names_scans_only_that_range(work):
    """`pre-commit run --hook-stage pre-push --from-ref origin/main --to-ref HEAD` (how the
    framework's docs run a pre-push hook by hand or in CI) passes names, not shas, and no
    remote: the from-ref was dropped and all of HEAD's history scanned."""
    work.git("fetch", "-q", "origin")
    work.git("checkout", "-q", "-b", "topic")
    new = [work.commit("t1"), work.commit("t2")]
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_FROM_REF": "origin/main", "PRE_COMMIT_TO_REF": "HEAD"}
    remote, push = prepush.from_environment(work.path, env)
    assert remote is None
    assert rev_list(work, push.rev_args()) == set(new)


def run_prepush(run_tokscan, repo, lines, *args):
    return run_tokscan(["pre-push", *args], cwd=repo.path, stdin=("\n".join(lines) + "\n").encode())


def test_finding_names_the_commit_that_brought_the_key(work, keys, run_tokscan):
    before = work.head()
    key = keys()
    work.write("src/app.py", f"x = 1\nKEY = '{key}'\n")
    bringing = work.commit("add key")
    work.write("src/app.py", f"x = 2\nKEY = '{key}'\n")
    work.commit("edit")
    result = run_prepush(
        run_tokscan,
        work,
        [line(work, "main", "refs/heads/main", before)],
        "origin",
        "url",
        "-f",
        "json",
    )
    assert result.code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["path"], finding["line"], finding["commit"]) == ("src/app.py", 2, bringing)
    assert finding["fingerprint"] == fp(key)
    assert "not been pushed yet" in finding["advice"]


def test_keys_already_on_the_remote_are_not_reported(work, keys, run_tokscan):
    work.write("old.py", f"K = '{keys()}'\n")
    work.commit("old key")
    work.git("push", "-q", "origin", "main")
    before = work.head()
    work.write("new.py", "clean = True\n")
    work.commit("clean")
    result = run_prepush(
        run_tokscan, work, [line(work, "main", "refs/heads/main", before)], "origin"
    )
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_nothing_on_stdin_is_nothing_to_scan(work, run_tokscan):
    result = run_tokscan(["pre-push", "origin"], cwd=work.path, stdin=b"")
    assert result.code == 0


# --- real git push through the plain hook -------------------------------------------------


def push(repo: GitRepo, *args: str):
    env = repo.env()
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        ["git", "push", "-q", *args], cwd=repo.path, env=env, capture_output=True, text=True
    )


@pytest.fixture
def hooked(work, run_tokscan):
    assert run_tokscan(["install", "--hook", "pre-push"], cwd=work.path).code == 0
    return work


@pytest.mark.slow
def test_push_with_a_key_is_blocked(hooked, origin, keys):
    key = keys()
    hooked.write("settings.py", f"TOKEN = '{key}'\n")
    commit = hooked.commit("oops")
    done = push(hooked, "origin", "main")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "tokscan blocked this push" in output
    assert "settings.py:1:10" in output and commit[:12] in output
    assert key not in output
    assert origin.git("rev-parse", "main").strip() != commit


@pytest.mark.slow
def test_clean_push_passes(hooked, origin):
    hooked.write("a.py", "x = 1\n")
    commit = hooked.commit("clean")
    done = push(hooked, "origin", "main")
    assert done.returncode == 0, done.stderr
    assert origin.git("rev-parse", "main").strip() == commit


@pytest.mark.slow
def test_new_branch_with_a_key_is_blocked_and_deletion_passes(hooked, keys):
    hooked.git("checkout", "-q", "-b", "topic")
    hooked.write("t.py", f"K = '{keys()}'\n")
    hooked.commit("topic key")
    assert push(hooked, "origin", "topic").returncode != 0
    hooked.git("checkout", "-q", "main")
    hooked.git("branch", "-q", "side")
    assert push(hooked, "origin", "side").returncode == 0  # nothing new
    assert push(hooked, "origin", "--delete", "side").returncode == 0


@pytest.mark.slow
def test_allowed_line_passes_the_push(hooked, keys):
    hooked.write("fixture.py", f"FAKE = '{keys()}'  # tokscan:allow test data\n")
    hooked.commit("fixture")
    assert push(hooked, "origin", "main").returncode == 0


@pytest.mark.slow
def test_pushed_annotated_tag_with_a_key_in_its_message_is_blocked(hooked, origin, keys):
    """Regression: the push sends the tag object, whose message `tokscan history` scans, but
    pre-push looked only at commits, so the key reached the remote. Lightweight tags and
    annotated tags with clean messages still pass."""
    key = keys()
    hooked.git("tag", "light")
    hooked.git("tag", "-a", "clean", "-m", "release notes")
    assert push(hooked, "origin", "light", "clean").returncode == 0
    hooked.git("tag", "-a", "v1", "-m", f"release\n\ntoken {key}")
    tag = hooked.git("rev-parse", "v1").strip()
    done = push(hooked, "origin", "v1")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "tokscan blocked this push" in output and tag[:12] in output
    assert key not in output
    assert origin.git("tag", "--list").split() == ["clean", "light"]


@pytest.mark.slow
def test_push_from_a_bare_repository(work, origin, keys, tmp_path, run_tokscan):
    """Regression: a mirror (bare repository) pushing on was refused with "not in a git work
    tree", although `tokscan install` put the hook there and history reads bare repositories."""
    mirror = GitRepo(tmp_path / "mirror.git", init=False)
    work.git("clone", "-q", "--bare", str(work.path), str(mirror.path))
    before = mirror.git("rev-parse", "main").strip()
    work.write("leak.py", f"K = '{keys()}'\n")
    work.commit("leak")
    mirror.git("fetch", "-q", str(work.path), "main:main")
    assert run_tokscan(["install", "--hook", "pre-push"], cwd=mirror.path).code == 0
    done = push(mirror, str(origin.path), "main")
    assert done.returncode != 0
    assert "leak.py:1:6" in done.stdout + done.stderr
    assert origin.git("rev-parse", "main").strip() == before


@pytest.mark.slow
def test_pushed_tags_of_blobs_and_trees_with_keys_are_blocked(hooked, origin, keys):
    """Regression: a tag may point straight at a blob or a tree (no commit holds it);
    `tokscan history` reports such keys, but pre-push walked commits only, so a push of
    the tag passed and sent the key."""
    in_blob, in_tree = keys(), keys()
    blob = hooked.git("hash-object", "-w", "--stdin", input=f"{in_blob}\n".encode()).strip()
    inner = hooked.git("hash-object", "-w", "--stdin", input=f"x\n{in_tree}\n".encode()).strip()
    tree = hooked.git("mktree", input=f"100644 blob {inner}\tsecret.txt\n".encode()).strip()
    hooked.git("tag", "blob-tag", blob)
    hooked.git("tag", "-a", "tree-tag", tree, "-m", "a tree")
    tag = hooked.git("rev-parse", "tree-tag").strip()
    done = push(hooked, "origin", "blob-tag")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "refs/tags/blob-tag:1:1" in output and in_blob not in output
    done = push(hooked, "origin", "tree-tag")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "refs/tags/tree-tag:secret.txt:2:1" in output and tag[:12] in output
    assert in_tree not in output
    assert origin.git("tag", "--list").split() == []


@pytest.mark.parametrize("argv_objects", [256, 0])
def test_tags_of_blobs_and_trees_the_remote_has_pass(
    work, keys, run_tokscan, monkeypatch, argv_objects
):
    """A tag of a tree (or a blob) that pushed commits already hold sends no new key (also
    with the remote's tips given to git on standard input, as when there are many)."""
    monkeypatch.setattr("tokscan.git.process.ARGV_OBJECTS", argv_objects)
    work.write("old.py", f"K = '{keys()}'\n")
    work.commit("old key")
    work.git("push", "-q", "origin", "main")
    work.git("tag", "tree-tag", "HEAD^{tree}")
    work.git("tag", "blob-tag", "HEAD:old.py")
    lines = [
        line(work, f"refs/tags/{name}", f"refs/tags/{name}", None)
        for name in ("tree-tag", "blob-tag")
    ]
    result = run_prepush(run_tokscan, work, lines, "origin")
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


# --- what the remote has: only what it still advertises ------------------------------------


def leak_then_delete_on_the_server(work: GitRepo, origin: GitRepo, key: str) -> str:
    """A branch with a key, pushed before tokscan guarded the push, then deleted on the server
    (by someone else): this clone still has `origin/leak` (no fetch --prune since)."""
    work.git("checkout", "-q", "-b", "leak", "main")
    work.write("leak.py", f"K = '{key}'\n")
    leaky = work.commit("leak")
    work.git("push", "-q", "--no-verify", "origin", "leak")
    origin.git("update-ref", "-d", "refs/heads/leak")
    work.git("checkout", "-q", "main")
    assert work.git("rev-parse", "origin/leak").strip() == leaky
    return leaky


@pytest.mark.slow
def test_stale_remote_tracking_refs_are_not_trusted(hooked, origin, keys):
    """Regression: pre-push took the local `refs/remotes/origin/*` for what the remote has.
    A branch deleted on the server lingers as `origin/leak`; merged into a new branch, its
    key went back to the remote with exit 0."""
    key = keys()
    leaky = leak_then_delete_on_the_server(hooked, origin, key)
    hooked.git("checkout", "-q", "-b", "feature", "main")
    hooked.write("feature.py", "clean = True\n")
    hooked.commit("feature")
    hooked.git("merge", "-q", "--no-ff", "-m", "merge the old work", "origin/leak")
    done = push(hooked, "origin", "feature")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "leak.py:1:6" in output and leaky[:12] in output
    assert key not in output
    assert origin.git("for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]


@pytest.mark.parametrize("argv_objects", [256, 0])
def test_a_branch_the_remote_rewrote_is_not_trusted(
    work, origin, keys, run_tokscan, monkeypatch, argv_objects
):
    """The same for a branch force-pushed on the server to drop a key: the clone's old
    `origin/main` still holds it, and the remote does not. (Also with the remote's tips
    given to git on standard input, as when there are many.)"""
    monkeypatch.setattr("tokscan.git.process.ARGV_OBJECTS", argv_objects)
    key = keys()
    base = work.head()
    work.write("leak.py", f"K = '{key}'\n")
    leaky = work.commit("leak")
    work.git("push", "-q", "origin", "main")
    origin.git("update-ref", "refs/heads/main", base)  # rewritten on the server
    work.git("checkout", "-q", "-b", "topic", "origin/main")
    work.write("t.py", "t = 1\n")
    work.commit("topic")
    result = run_prepush(
        run_tokscan, work, [line(work, "topic", "refs/heads/topic", None)], "origin", "-f", "json"
    )
    assert result.code == 1
    assert [f["commit"] for f in json.loads(result.stdout)["findings"]] == [leaky]


def test_a_new_branch_off_what_the_remote_has_scans_only_its_own_commits(work, keys, run_tokscan):
    work.write("old.py", f"K = '{keys()}'\n")
    work.commit("old key")
    work.git("push", "-q", "origin", "main")
    work.git("checkout", "-q", "-b", "topic")
    work.write("t.py", "t = 1\n")
    work.commit("clean")
    result = run_prepush(
        run_tokscan, work, [line(work, "topic", "refs/heads/topic", None)], "origin"
    )
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_when_the_remote_cannot_be_asked_more_is_scanned_and_a_note_says_so(
    work, origin, keys, run_tokscan, tmp_path
):
    """Offline (ls-remote fails): only what git passed as the remote's is trusted, so the
    key on `origin/main` (which the remote does have) is reported, and a note says why."""
    key = keys()
    work.write("old.py", f"K = '{key}'\n")
    old = work.commit("old key")
    work.git("push", "-q", "origin", "main")
    work.git("checkout", "-q", "-b", "topic")
    work.write("t.py", "t = 1\n")
    work.commit("clean")
    work.git("remote", "set-url", "origin", str(tmp_path / "gone.git"))
    lines = [line(work, "topic", "refs/heads/topic", None)]
    result = run_prepush(run_tokscan, work, lines, "origin", str(tmp_path / "gone.git"))
    assert result.code == 1
    assert old[:12] in result.stdout
    assert "could not ask origin which refs it has" in result.stdout
    assert key not in result.stdout + result.stderr


def test_a_blocked_push_says_what_it_scanned_and_why(work, keys, run_tokscan):
    before = work.head()
    work.write("src/app.py", f"KEY = '{keys()}'\n")
    work.commit("add key")
    result = run_prepush(
        run_tokscan, work, [line(work, "main", "refs/heads/main", before)], "origin"
    )
    assert result.code == 1
    assert (
        "tokscan pre-push: scanned what this push sends to origin: refs/heads/main; "
        "less what the remote has (1 tip)"
    ) in result.stderr
    quiet = run_prepush(
        run_tokscan, work, [line(work, "main", "refs/heads/main", before)], "origin", "-q"
    )
    assert quiet.code == 1 and "scanned" not in quiet.stderr


# --- policy from the remote's default branch ------------------------------------------------


def allow(*keys: str) -> str:
    return "allow:\n" + "".join(f"  - fingerprint: {fp(k)}\n    reason: test\n" for k in keys)


@pytest.mark.slow
def test_a_pushed_branch_cannot_allowlist_its_own_key(hooked, origin, keys):
    key = keys()
    hooked.git("checkout", "-q", "-b", "feature")
    hooked.write(".tokscan.yaml", allow(key))
    hooked.write("app.py", f"KEY = '{key}'\n")
    commit = hooked.commit("allowlist my own key")
    done = push(hooked, "origin", "feature")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "tokscan blocked this push" in output and "app.py:1:8" in output
    assert "configuration .tokscan.yaml is not in origin's HEAD" in output
    assert "it comes with the commits being pushed, so it is not used" in output
    assert key not in output
    assert origin.git("branch", "--list", "feature").strip() == ""
    # Updating the branch later changes nothing: its own previous tip is no authority.
    hooked.git("push", "-q", "--no-verify", "origin", "feature")
    hooked.write("more.py", f"AGAIN = '{key}'\n")
    hooked.commit("the key again")
    again = push(hooked, "origin", "feature")
    assert again.returncode != 0 and "more.py:1:10" in again.stdout + again.stderr
    assert origin.git("rev-parse", "feature").strip() == commit


@pytest.mark.slow
def test_the_default_branchs_allowlist_covers_every_branch(hooked, origin, keys):
    known = keys()
    hooked.git("checkout", "-q", "-b", "old-work")  # started before the allowlist existed
    hooked.git("checkout", "-q", "main")
    hooked.write(".tokscan.yaml", allow(known))
    hooked.commit("allowlist a documented test key")
    assert push(hooked, "origin", "main").returncode == 0
    hooked.git("checkout", "-q", "old-work")
    assert not (hooked.path / ".tokscan.yaml").exists()
    hooked.write("test_data.py", f"FAKE = '{known}'\n")
    hooked.commit("test data")
    done = push(hooked, "origin", "old-work")
    assert done.returncode == 0, done.stdout + done.stderr
    assert origin.git("rev-parse", "old-work").strip() == hooked.head()


def test_the_baseline_is_read_from_the_default_branch(work, keys, run_tokscan):
    old, new = keys(), keys()
    work.write("old.py", f"OLD = '{old}'\n")
    assert run_tokscan(["scan", "--write-baseline", "base.json"], cwd=work.path).code == 0
    (work.path / "old.py").unlink()
    work.commit("baseline of a rotated key")
    work.git("push", "-q", "origin", "main")
    before = work.head()
    work.git("checkout", "-q", "-b", "topic")
    work.write("old.py", f"OLD = '{old}'\n")
    work.write("new.py", f"NEW = '{new}'\n")
    assert run_tokscan(["scan", "--write-baseline", "base.json"], cwd=work.path).code == 0
    work.commit("both keys, and a baseline that accepts both")
    result = run_prepush(
        run_tokscan, work, [line(work, "topic", "refs/heads/topic", None)],
        "origin", "--baseline", "base.json", "-f", "json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["findings"]] == ["new.py"]  # old.py: in main's baseline
    assert report["summary"]["suppressed"] == 1
    assert f"policy from origin's HEAD ({before[:12]})" in result.stderr


def test_the_remote_tracking_head_names_the_default_branch(work, origin):
    work.git("checkout", "-q", "-b", "stable")
    stable = work.commit("stable")
    work.git("push", "-q", "origin", "stable")
    work.git("checkout", "-q", "main")
    main = work.head()
    assert prepush.default_branch(work.path, "origin", [(main, "HEAD")]) == (main, "origin's HEAD")
    work.git("fetch", "-q", "origin")
    work.git("remote", "set-head", "origin", "stable")
    assert prepush.default_branch(work.path, "origin", [(main, "HEAD")]) == (
        stable, "origin/stable"
    )
    assert prepush.default_branch(work.path, "elsewhere", [("f" * 40, "HEAD")]) is None


def test_verify_true_on_the_default_branch_is_ignored_with_a_note(
    work, keys, tokmodel, run_tokscan
):
    """The README and the spec: `verify: true` counts only from --config FILE, the user's
    config and `tokscan ci`'s base. A push read it from the remote's default branch and
    sent the pushed key to the API: a repository someone cloned could make every push of
    theirs ask TokModel, without their word."""
    work.write(".tokscan.yaml", "verify: true\n")
    work.commit("the project's policy")
    work.git("push", "-q", "origin", "main")
    work.git("checkout", "-q", "-b", "topic")
    key = keys()
    work.write("app.py", f"KEY = '{key}'\n")
    work.commit("a key")
    result = run_prepush(
        run_tokscan, work, [line(work, "topic", "refs/heads/topic", None)], "origin",
        "-f", "json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["status"] == "unverified"
    assert tokmodel.requests == []
    assert "`verify: true` in" in result.stderr and "is ignored" in result.stderr
    assert key not in result.stdout + result.stderr
