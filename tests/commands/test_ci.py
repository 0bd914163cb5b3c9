"""`tokscan ci`: simulated GitHub Actions and GitLab CI runs against real repositories.

Each test pushes real commits to a bare `origin`, makes the checkout a runner would make
(full, or shallow with --depth through a file:// URL), sets the CI's variables and event
payload, and checks the exact range scanned (the lines `tokscan ci` prints, and the JSON
report's `scan.revisions` and `scan.ci`), the findings and the exit code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.forge import ZERO, Forge, pull_request_event, push_event
from support.gitrepo import GitRepo
from support.keys import fingerprint as fp

from tokscan.ranges import ci as source
from tokscan.ranges import shallow

# Each test here builds an origin, a developer's clone and a runner's checkout, and most
# fetch and deepen through file:// as a runner would: the big CI-range tests.
# `pytest -m "not slow"` still runs a pull request end to end in tests/report/test_golden.py.
pytestmark = pytest.mark.slow


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Forge:
    return Forge(tmp_path / "forge", monkeypatch)


def ci(run_tokscan, repo: GitRepo, *args: str):
    """Run `tokscan ci -f json`; (exit code, report, the `tokscan ci:` lines, result)."""
    result = run_tokscan(["ci", "-f", "json", *args], cwd=repo.path)
    report = json.loads(result.stdout) if result.stdout else None
    said = [
        line[len("tokscan ci: ") :]
        for line in result.stderr.splitlines()
        if line.startswith("tokscan ci: ")
    ]
    return result.code, report, said, result


def found(report) -> list[tuple[str | None, int, str | None]]:
    return [(f["path"], f["line"], f["commit"]) for f in report["findings"]]


def no_leak(result, *keys: str) -> None:
    for key in keys:
        assert key not in result.stdout + result.stderr


def start_main(forge: Forge, keys, old_key: bool = True) -> tuple[str, str | None]:
    """main with two commits (the first holds a key when `old_key`), pushed to origin."""
    dev = forge.dev
    key = keys() if old_key else None
    dev.write("README.md", "# app\n")
    dev.write("settings.py", f"OLD = '{key}'\n" if key else "OLD = None\n")
    dev.commit("start")
    dev.write("settings.py", "OLD = None\n")
    dev.commit("take the old key out")
    forge.push("main")
    return dev.head(), key


def feature(forge: Forge, keys, name: str = "feature") -> tuple[list[str], str]:
    """A branch off main with a clean commit and a commit adding a key."""
    dev = forge.dev
    dev.git("checkout", "-q", "-b", name, "main")
    dev.write("app.py", "x = 1\n")
    clean = dev.commit("clean work")
    key = keys()
    dev.write("app.py", f"x = 1\nKEY = '{key}'\n")
    leaky = dev.commit("adds a key")
    return [clean, leaky], key


# --- GitHub Actions -------------------------------------------------------------------


def test_github_pull_request_scans_base_sha_to_head_sha(forge, keys, run_tokscan):
    base, old = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    # GitHub checks out refs/pull/N/merge: the head merged into the base.
    forge.dev.git("checkout", "-q", "--detach", "main")
    forge.dev.git("merge", "-q", "--no-ff", "-m", "Merge", "feature")
    merge = forge.dev.head()
    forge.push("HEAD:refs/pull/7/merge")
    repo = forge.checkout(
        merge,
        ("+refs/heads/*:refs/remotes/origin/*", "+refs/pull/7/merge:refs/remotes/pull/7/merge"),
    )
    forge.github_event(
        "pull_request",
        {"number": 7, **pull_request_event(7, base, leaky)},
        sha=merge,
        ref="refs/pull/7/merge",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert code == 1
    assert said == [
        f"pull request #7: the commits in {base[:12]}..{leaky[:12]}",
        f"scanning 2 commits; configuration from {base[:12]}",
    ]
    assert report["scan"]["revisions"] == [leaky, "--not", base]
    assert report["scan"]["ci"] == {
        "provider": "github",
        "event": "pull_request",
        "head": leaky,
        "base": base,
        "commits": 2,
        "reason": said[0],
    }
    assert found(report) == [("app.py", 2, leaky)]
    assert report["findings"][0]["fingerprint"] == fp(key)
    no_leak(result, key, old)


def test_github_pull_request_without_keys_passes(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    forge.dev.git("checkout", "-q", "-b", "feature")
    forge.dev.write("app.py", "x = 1\n")
    head = forge.dev.commit("clean")
    forge.push("feature")
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(3, base, head), sha=head)
    code, report, said, _ = ci(run_tokscan, repo)
    assert (code, report["findings"], report["summary"]["failing"]) == (0, [], 0)
    assert said[-1] == f"scanning 1 commit; configuration from {base[:12]}"


def test_github_pull_request_in_a_depth_1_checkout_is_fetched_and_deepened(
    forge, keys, run_tokscan
):
    base, _ = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.dev.git("checkout", "-q", "--detach", "main")
    forge.dev.git("merge", "-q", "--no-ff", "-m", "Merge", "feature")
    merge = forge.dev.head()
    forge.push("HEAD:refs/pull/7/merge")
    # actions/checkout's default: fetch-depth 1 of the merge ref only.
    repo = forge.checkout(merge, ("+refs/pull/7/merge:refs/remotes/pull/7/merge",), depth=1)
    assert forge.is_shallow(repo)
    forge.github_event(
        "pull_request",
        pull_request_event(7, base, leaky),
        sha=merge,
        ref="refs/pull/7/merge",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        f"fetched {leaky[:12]} from origin",
        f"fetched {base[:12]} from origin",
        "deepened the shallow clone by 50 commits",
        f"pull request #7: the commits in {base[:12]}..{leaky[:12]}",
        f"scanning 2 commits; configuration from {base[:12]}",
    ]
    assert code == 1
    assert found(report) == [("app.py", 2, leaky)]
    no_leak(result, key)


def test_github_push_scans_before_to_after(forge, keys, run_tokscan):
    start_main(forge, keys)
    dev = forge.dev
    first_key = keys()
    dev.write("a.py", f"A = '{first_key}'\n")
    before = dev.commit("pushed earlier, with a key")
    forge.push("main")
    dev.write("b.py", "B = 1\n")
    middle = dev.commit("clean")
    second_key = keys()
    dev.write("c.py", f"C = '{second_key}'\n")
    after = dev.commit("a key")
    forge.push("main")
    repo = forge.checkout(after)
    forge.github_event(
        "push",
        push_event(before, after, created=False, forced=False, default_branch="main"),
        sha=after,
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        f"push to refs/heads/main: the commits in {before[:12]}..{after[:12]}",
        f"scanning 2 commits; configuration from {before[:12]}",
    ]
    assert code == 1
    assert found(report) == [("c.py", 1, after)]  # the key in `before` was the last push's
    assert middle != after
    no_leak(result, first_key, second_key)


def test_github_push_in_a_depth_1_checkout_fetches_before(forge, keys, run_tokscan):
    start_main(forge, keys)
    dev = forge.dev
    before = dev.head()
    key = keys()
    for n in range(3):
        dev.write(f"f{n}.py", f"K = '{key}'\n" if n == 0 else f"n = {n}\n")
        dev.commit(f"commit {n}")
    after = dev.head()
    forge.push("main")
    repo = forge.checkout(after, (f"+{after}:refs/remotes/origin/main",), depth=1)
    forge.github_event("push", push_event(before, after), sha=after)

    code, report, said, _ = ci(run_tokscan, repo)

    assert said == [
        f"fetched {before[:12]} from origin",
        "deepened the shallow clone by 50 commits",
        f"push to refs/heads/main: the commits in {before[:12]}..{after[:12]}",
        f"scanning 3 commits; configuration from {before[:12]}",
    ]
    first = forge.sha(f"{after}~2")
    assert (code, found(report)) == (1, [("f0.py", 1, first)])


def test_github_new_branch_scans_what_the_default_branch_lacks(forge, keys, run_tokscan):
    main, old = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky)
    forge.github_event(
        "push",
        push_event(ZERO, leaky, "refs/heads/feature", created=True, default_branch="main"),
        sha=leaky,
        ref="refs/heads/feature",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        "fetched the default branch main of origin to compare with",
        f"push to refs/heads/feature: the commits on {leaky[:12]} that the default branch "
        "main does not have (a new branch)",
        f"scanning 2 commits; configuration from {main[:12]}",
    ]
    assert report["scan"]["revisions"] == [leaky, "--not", main]
    assert report["scan"]["ci"]["base"] == main
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])  # not the old key on main
    no_leak(result, key, old)


def test_a_new_branch_is_not_compared_with_a_default_branch_it_could_not_fetch(
    forge, keys, run_tokscan, tmp_path
):
    """The clone's own origin/main may predate a rewrite that took a key out of the default
    branch: when the default branch cannot be fetched, nothing counts as scanned."""
    _main, old = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky)
    repo.git("remote", "set-url", "origin", (tmp_path / "gone.git").as_uri())
    forge.github_event(
        "push",
        push_event(ZERO, leaky, "refs/heads/feature", created=True, default_branch="main"),
        sha=leaky,
        ref="refs/heads/feature",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said[0].startswith("could not fetch the default branch main of origin: ")
    assert said[1] == (
        f"push to refs/heads/feature: every commit of {leaky[:12]}: the default branch main "
        "could not be fetched"
    )
    assert report["scan"]["revisions"] == [leaky]
    assert code == 1
    assert ("app.py", 2, leaky) in found(report)
    assert "settings.py" in {path for path, _, _ in found(report)}  # the stale main's key too
    no_leak(result, key, old)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_two_new_branches_in_one_push_do_not_hide_each_other(forge, keys, run_tokscan, provider):
    """Regression: `git push origin feat feat-backup` starts a run per branch, each with a
    zero `before`; each counted every other branch on origin as scanned already, so each
    excluded the other and both passed. Only the default branch counts as scanned."""
    main, old = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys, "feat")
    forge.dev.git("branch", "feat-backup", "feat")
    forge.push("feat", "feat-backup")
    for branch in ("feat", "feat-backup"):
        repo = forge.checkout(leaky)  # every branch of origin, as with fetch-depth: 0
        if provider == "github":
            event = push_event(
                ZERO, leaky, f"refs/heads/{branch}", created=True, default_branch="main"
            )
            forge.github_event("push", event, sha=leaky, ref=f"refs/heads/{branch}")
        else:
            forge.gitlab_pipeline(
                "push",
                leaky,
                CI_COMMIT_BEFORE_SHA=ZERO,
                CI_COMMIT_BRANCH=branch,
                CI_DEFAULT_BRANCH="main",
            )

        code, report, _said, result = ci(run_tokscan, repo)

        assert (code, found(report)) == (1, [("app.py", 2, leaky)]), branch
        assert report["scan"]["revisions"] == [leaky, "--not", main]
        assert report["scan"]["ci"]["base"] == main
        no_leak(result, key, old)


def test_new_branch_off_another_branch_scans_that_branch_too(forge, keys, run_tokscan):
    """The price of trusting only the default branch: commits of another branch that the new
    one starts from are scanned again (CI cannot tell when that branch was pushed)."""
    main, _ = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    forge.dev.git("checkout", "-q", "-b", "follow-up")
    forge.dev.write("more.py", "y = 2\n")
    tip = forge.dev.commit("more")
    forge.push("follow-up")
    repo = forge.checkout(tip)
    forge.github_event(
        "push",
        push_event(ZERO, tip, "refs/heads/follow-up", created=True, default_branch="main"),
        sha=tip,
        ref="refs/heads/follow-up",
    )
    code, report, _, result = ci(run_tokscan, repo)
    assert report["scan"]["revisions"] == [tip, "--not", main]
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])
    no_leak(result, key)


@pytest.mark.parametrize("origin_head", [True, False])
def test_new_branch_without_a_default_branch_in_the_event(forge, keys, run_tokscan, origin_head):
    """No default branch in the event: `origin/HEAD` names it; without that, every commit
    of the branch is scanned (never "every other branch")."""
    main, _old = start_main(forge, keys)
    (_clean, leaky), _key = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky)
    if origin_head:
        repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    forge.github_event(
        "push",
        push_event(ZERO, leaky, "refs/heads/feature", created=True),
        sha=leaky,
        ref="refs/heads/feature",
    )
    code, report, said, _ = ci(run_tokscan, repo)
    if origin_head:
        assert report["scan"]["revisions"] == [leaky, "--not", main]
        assert found(report) == [("app.py", 2, leaky)]
    else:
        assert said[0] == (
            f"push to refs/heads/feature: every commit of {leaky[:12]}: no default branch to "
            "compare with"
        )
        assert report["scan"]["revisions"] == [leaky]
        assert ("settings.py", 1, forge.sha("main~1")) in found(report)
    assert code == 1


def test_github_new_branch_in_a_shallow_checkout(forge, keys, run_tokscan):
    main, _ = start_main(forge, keys)
    (_clean, leaky), _key = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=1)
    forge.github_event(
        "push",
        push_event(ZERO, leaky, "refs/heads/feature", created=True, default_branch="main"),
        sha=leaky,
        ref="refs/heads/feature",
    )

    code, report, said, _ = ci(run_tokscan, repo)

    assert said == [
        "fetched the default branch main of origin to compare with",
        "deepened the shallow clone by 50 commits",
        f"push to refs/heads/feature: the commits on {leaky[:12]} that the default branch "
        "main does not have (a new branch)",
        f"scanning 2 commits; configuration from {main[:12]}",
    ]
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])


def test_github_first_push_of_a_repository_scans_every_commit(forge, keys, run_tokscan):
    main, _old = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.github_event(
        "push",
        push_event(ZERO, main, created=True, default_branch="main"),
        sha=main,
    )

    code, report, said, _ = ci(run_tokscan, repo)

    first = forge.sha("main~1")
    assert said == [
        f"push to refs/heads/main: every commit of {main[:12]}: the default branch itself is new",
        "scanning 2 commits; configuration built in (there is no base revision)",
    ]
    assert report["scan"]["revisions"] == [main]
    assert (code, found(report)) == (1, [("settings.py", 1, first)])


def test_github_forced_push_scans_after_not_before(forge, keys, run_tokscan):
    start_main(forge, keys)
    dev = forge.dev
    dev.git("checkout", "-q", "-b", "feature")
    first_key = keys()
    dev.write("app.py", f"K = '{first_key}'\n")
    dev.commit("a key")
    dev.write("b.py", "b = 1\n")
    before = dev.commit("more")
    forge.push("feature")
    # Rewritten: the key's commit replaced by one with another key.
    dev.git("reset", "-q", "--hard", "main")
    second_key = keys()
    dev.write("app.py", f"K = '{second_key}'\n")
    after = dev.commit("a different key")
    forge.push("feature", force=True)
    repo = forge.checkout(after)  # the old tip is on no branch of origin any more
    forge.github_event(
        "push",
        push_event(before, after, "refs/heads/feature", forced=True, default_branch="main"),
        sha=after,
        ref="refs/heads/feature",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        f"fetched {before[:12]} from origin",
        f"forced push to refs/heads/feature: the commits on {after[:12]} that the previous "
        f"tip {before[:12]} does not have",
        f"scanning 1 commit; configuration from {before[:12]}",
    ]
    assert report["scan"]["revisions"] == [after, "--not", before]
    assert (code, found(report)) == (1, [("app.py", 1, after)])
    no_leak(result, first_key, second_key)


def test_github_forced_push_whose_old_tip_is_gone_scans_as_a_new_branch(forge, keys, run_tokscan):
    main, _ = start_main(forge, keys)
    dev = forge.dev
    dev.git("checkout", "-q", "-b", "feature")
    dev.write("b.py", "b = 1\n")
    before = dev.commit("will be dropped")
    forge.push("feature")
    dev.git("reset", "-q", "--hard", "main")
    key = keys()
    dev.write("app.py", f"K = '{key}'\n")
    after = dev.commit("rewritten")
    forge.push("feature", force=True)
    dev.git("reflog", "expire", "--expire=now", "--all")
    dev.git("gc", "-q", "--prune=now")
    forge.gc()
    repo = forge.checkout(after)
    forge.github_event(
        "push",
        push_event(before, after, "refs/heads/feature", forced=True, default_branch="main"),
        sha=after,
        ref="refs/heads/feature",
    )

    code, report, said, _ = ci(run_tokscan, repo)

    assert said == [
        f"the previous tip {before[:12]} is not in the clone and could not be fetched (a "
        "forced push?): scanning as for a new branch",
        "fetched the default branch main of origin to compare with",
        f"forced push to refs/heads/feature: the commits on {after[:12]} that the default "
        "branch main does not have (a new branch)",
        f"scanning 1 commit; configuration from {main[:12]}",
    ]
    assert (code, found(report)) == (1, [("app.py", 1, after)])


def test_github_deleted_branch_scans_nothing(forge, keys, run_tokscan):
    main, _ = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.github_event(
        "push",
        push_event(main, ZERO, "refs/heads/gone", deleted=True),
        sha=ZERO,
        ref="refs/heads/gone",
    )
    code, report, said, _ = ci(run_tokscan, repo)
    assert said == ["push to refs/heads/gone: deletes it, nothing to scan", "nothing to scan"]
    assert (code, report["findings"], report["scan"]["revisions"]) == (0, [], [])


def test_a_pushed_tag_that_points_at_a_blob_fails_and_says_why(forge, keys, run_tokscan):
    """A tag straight at a blob has no commits to scan: the run fails (never passes
    unscanned) and names what the ref is, not a shallow-clone fix that would not help."""
    main, _ = start_main(forge, keys)
    key = keys()
    blob = forge.dev.git("hash-object", "-w", "--stdin", input=f"K = '{key}'\n".encode()).strip()
    forge.dev.git("tag", "raw-blob", blob)
    forge.push("refs/tags/raw-blob")
    repo = forge.checkout(main)
    repo.git("fetch", "-q", "origin", "refs/tags/raw-blob:refs/tags/raw-blob")
    forge.github_event(
        "push", push_event(ZERO, blob, "refs/tags/raw-blob"), sha=blob, ref="refs/tags/raw-blob"
    )
    code, report, _, result = ci(run_tokscan, repo)
    assert code == 2 and report is None
    assert f"({blob}) is a blob, not a commit" in result.stderr
    assert "tokscan history --all" in result.stderr
    no_leak(result, key)


def test_github_other_events_scan_the_head_commit_alone(forge, keys, run_tokscan):
    start_main(forge, keys)
    dev = forge.dev
    earlier = keys()
    dev.write("a.py", f"A = '{earlier}'\n")
    parent = dev.commit("a key in the parent")
    latest = keys()
    dev.write("b.py", f"B = '{latest}'\n")
    head = dev.commit("a key in HEAD")
    forge.push("main")
    repo = forge.checkout(head, (f"+{head}:refs/remotes/origin/main",), depth=1)
    forge.github_event("workflow_dispatch", {"ref": "refs/heads/main"}, sha=head)

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        "deepened the shallow clone by 50 commits",
        f"workflow_dispatch event: the commit {head[:12]} alone",
        f"scanning 1 commit; configuration from {parent[:12]}",
    ]
    assert report["scan"]["revisions"] == [head, "--not", f"{head}^@"]
    assert (code, found(report)) == (1, [("b.py", 1, head)])
    no_leak(result, earlier, latest)


def test_github_pull_request_target_fetches_the_head(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), _key = feature(forge, keys, name="contrib")
    # A fork's pull request: its commits are only under refs/pull/N/head on origin.
    forge.push("contrib:refs/pull/9/head")
    repo = forge.checkout(base, ("+refs/heads/main:refs/remotes/origin/main",))
    forge.github_event("pull_request_target", pull_request_event(9, base, leaky), sha=base)

    code, report, said, _ = ci(run_tokscan, repo)

    assert said[0] == f"fetched {leaky[:12]} from origin"
    assert said[1] == f"pull request #9: the commits in {base[:12]}..{leaky[:12]}"
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])


def test_merge_group_scans_base_sha_to_head_sha(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), _key = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky)
    forge.github_event(
        "merge_group", {"merge_group": {"base_sha": base, "head_sha": leaky}}, sha=leaky
    )
    code, report, said, _ = ci(run_tokscan, repo)
    assert said[0] == f"merge queue: the commits in {base[:12]}..{leaky[:12]}"
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])


def test_shallow_clone_is_deepened_in_steps(forge, keys, run_tokscan, monkeypatch):
    monkeypatch.setattr(shallow, "DEEPEN_STEPS", (2, 3))
    base, _ = start_main(forge, keys)
    dev = forge.dev
    dev.git("checkout", "-q", "-b", "long")
    key = keys()
    dev.write("first.py", f"K = '{key}'\n")
    first = dev.commit("the key, at the bottom of a long branch")
    for n in range(8):
        dev.write("n.txt", f"{n}\n")
        dev.commit(f"step {n}")
    head = dev.head()
    forge.push("long")
    repo = forge.checkout(head, ("+refs/heads/long:refs/remotes/origin/long",), depth=1)
    forge.github_event("pull_request", pull_request_event(1, base, head), sha=head)

    code, report, said, _ = ci(run_tokscan, repo)

    assert said == [
        f"fetched {base[:12]} from origin",
        "deepened the shallow clone by 2 commits",
        "deepened the shallow clone by 3 commits",
        "fetched the rest of the shallow clone's history (--unshallow)",
        f"pull request #1: the commits in {base[:12]}..{head[:12]}",
        f"scanning 9 commits; configuration from {base[:12]}",
    ]
    assert (code, found(report)) == (1, [("first.py", 1, first)])


def test_shallow_clone_that_cannot_be_deepened_says_how_to_fix_it(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), _ = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky, ("+refs/heads/*:refs/remotes/origin/*",), depth=1)
    repo.git("remote", "set-url", "origin", (forge.base / "nowhere.git").as_uri())
    forge.github_event("pull_request", pull_request_event(2, base, leaky), sha=leaky)

    result = run_tokscan(["ci"], cwd=repo.path)

    assert result.code == 2
    assert result.stdout == ""
    assert "this is a shallow clone that lacks commits of the range to scan" in result.stderr
    assert result.stderr.rstrip().endswith(
        "To fix it, give actions/checkout `with: fetch-depth: 0` in the workflow."
    )


def test_the_fetch_refuses_transports_that_run_commands(forge, keys, run_tokscan, tmp_path):
    base, _ = start_main(forge, keys)
    (_clean, leaky), _ = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=1)
    marker = tmp_path / "ran"
    repo.git("remote", "set-url", "origin", f"ext::sh -c touch% {marker}")
    forge.github_event("pull_request", pull_request_event(2, base, leaky), sha=leaky)
    result = run_tokscan(["ci"], cwd=repo.path)
    assert result.code == 2
    assert not marker.exists()
    assert "fetch-depth: 0" in result.stderr


def test_github_event_payload_problems_are_clear_errors(forge, keys, run_tokscan, monkeypatch):
    main, _ = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.github_event("push", {}, sha=main)
    Path(forge.base / "event-push.json").write_text("{not json")
    result = run_tokscan(["ci"], cwd=repo.path)
    assert result.code == 2 and "is not valid JSON" in result.stderr
    Path(forge.base / "event-push.json").write_text("[" * 100_000)
    result = run_tokscan(["ci"], cwd=repo.path)
    assert result.code == 2 and "is not valid JSON: it is nested too deeply" in result.stderr
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    result = run_tokscan(["ci"], cwd=repo.path)
    assert (result.code, result.stderr) == (
        2,
        "tokscan: GITHUB_EVENT_PATH is not set: cannot read the GitHub event\n",
    )
    forge.github_event("pull_request", {"pull_request": {"base": {}}}, sha=main)
    result = run_tokscan(["ci"], cwd=repo.path)
    assert result.code == 2 and "has no base.sha and head.sha" in result.stderr


# --- GitLab CI ------------------------------------------------------------------------


def test_gitlab_merge_request_pipeline(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature:refs/merge-requests/4/head")
    repo = forge.checkout(leaky, ("+refs/merge-requests/4/head:refs/remotes/origin/mr",), depth=20)
    forge.gitlab_pipeline(
        "merge_request_event",
        leaky,
        CI_MERGE_REQUEST_IID="4",
        CI_MERGE_REQUEST_DIFF_BASE_SHA=base,
        CI_COMMIT_BEFORE_SHA=ZERO,
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said[-2:] == [
        f"merge request !4: the commits in {base[:12]}..{leaky[:12]}",
        f"scanning 2 commits; configuration from {base[:12]}",
    ]
    assert report["scan"]["ci"]["provider"] == "gitlab"
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])
    no_leak(result, key)


def test_gitlab_merged_results_pipeline_scans_the_source_branch(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), _ = feature(forge, keys)
    dev = forge.dev
    dev.git("checkout", "-q", "main")
    dev.write("later.py", "on main after the fork\n")
    target = dev.commit("main moves on")
    forge.push("main")
    dev.git("checkout", "-q", "--detach", "main")
    dev.git("merge", "-q", "--no-ff", "-m", "merged result", "feature")
    merged = dev.head()
    forge.push("HEAD:refs/merge-requests/4/merge")
    repo = forge.checkout(merged, ("+refs/merge-requests/4/merge:refs/remotes/origin/mr",))
    forge.gitlab_pipeline(
        "merge_request_event",
        merged,
        CI_MERGE_REQUEST_IID="4",
        CI_MERGE_REQUEST_EVENT_TYPE="merged_result",
        CI_MERGE_REQUEST_DIFF_BASE_SHA=base,
        CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=leaky,
        CI_MERGE_REQUEST_TARGET_BRANCH_SHA=target,
    )
    code, report, said, _ = ci(run_tokscan, repo)
    assert said[-1] == f"scanning 2 commits; configuration from {base[:12]}"
    assert report["scan"]["revisions"] == [leaky, "--not", base]
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])


def test_gitlab_branch_pipeline_scans_before_to_sha(forge, keys, run_tokscan):
    start_main(forge, keys)
    dev = forge.dev
    before = dev.head()
    key = keys()
    dev.write("k.py", f"K = '{key}'\n")
    after = dev.commit("a key")
    forge.push("main")
    repo = forge.checkout(after, ("+refs/heads/main:refs/remotes/origin/main",), depth=20)
    forge.gitlab_pipeline(
        "push",
        after,
        CI_COMMIT_BEFORE_SHA=before,
        CI_COMMIT_BRANCH="main",
        CI_DEFAULT_BRANCH="main",
    )
    code, report, said, _ = ci(run_tokscan, repo)
    assert said == [
        f"push to main: the commits in {before[:12]}..{after[:12]}",
        f"scanning 1 commit; configuration from {before[:12]}",
    ]
    assert (code, found(report)) == (1, [("k.py", 1, after)])


def test_gitlab_new_branch_compares_with_the_default_branch(forge, keys, run_tokscan):
    main, old = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    # The runner fetched the pipeline's branch only, 20 deep.
    repo = forge.checkout(leaky, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=20)
    forge.gitlab_pipeline(
        "push",
        leaky,
        CI_COMMIT_BEFORE_SHA=ZERO,
        CI_COMMIT_BRANCH="feature",
        CI_DEFAULT_BRANCH="main",
    )

    code, report, said, result = ci(run_tokscan, repo)

    assert said == [
        "fetched the default branch main of origin to compare with",
        f"push to feature: the commits on {leaky[:12]} that the default branch main does "
        "not have (a new branch)",
        f"scanning 2 commits; configuration from {main[:12]}",
    ]
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])
    no_leak(result, key, old)


def test_gitlab_other_pipelines_scan_the_head_commit(forge, keys, run_tokscan):
    main, _ = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.gitlab_pipeline("schedule", main, CI_COMMIT_BEFORE_SHA=ZERO)
    code, report, said, _ = ci(run_tokscan, repo)
    assert said[0] == f"schedule pipeline: the commit {main[:12]} alone"
    assert (code, found(report)) == (0, [])  # the old key is in HEAD^, not HEAD


def test_gitlab_shallow_failure_names_git_depth(forge, keys, run_tokscan):
    _base, _ = start_main(forge, keys)
    (_clean, leaky), _ = feature(forge, keys)
    forge.push("feature")
    repo = forge.checkout(leaky, ("+refs/heads/feature:refs/remotes/origin/feature",), depth=1)
    repo.git("remote", "set-url", "origin", (forge.base / "nowhere.git").as_uri())
    forge.gitlab_pipeline(
        "push", leaky, CI_COMMIT_BEFORE_SHA=forge.sha(f"{leaky}~1"), CI_COMMIT_BRANCH="feature"
    )
    result = run_tokscan(["ci"], cwd=repo.path)
    assert result.code == 2
    assert "To fix it, set `GIT_DEPTH: 0` in the job's `variables`." in result.stderr


# --- Elsewhere: --base -------------------------------------------------------------------


def test_outside_ci_base_is_needed(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    repo.commit("one")
    result = run_tokscan(["ci"], cwd=repo.path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"tokscan: {source.NEED_BASE}\n"


def test_base_option_scans_head_not_base(repo, keys, run_tokscan):
    repo.write("a.txt", "a\n")
    base = repo.commit("one")
    key = keys()
    repo.write("b.py", f"B = '{key}'\n")
    head = repo.commit("two")
    code, report, said, result = ci(run_tokscan, repo, "--base", "main~1")
    assert said == [
        f"--base main~1: the commits on HEAD that main~1 ({base[:12]}) does not have",
        f"scanning 1 commit; configuration from {base[:12]}",
    ]
    assert (code, found(report)) == (1, [("b.py", 1, head)])
    no_leak(result, key)
    result = run_tokscan(["ci", "--base", "no-such-branch"], cwd=repo.path)
    assert result.code == 2
    assert "the base no-such-branch of this --base no-such-branch is not in the clone" in (
        result.stderr
    )
    assert run_tokscan(["ci", "--base", "HEAD"], cwd=repo.path).code == 0


def test_base_option_overrides_the_ci_environment(forge, keys, run_tokscan):
    main, _ = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.github_event("push", push_event(ZERO, main, None), sha=main)
    code, report, _said, _ = ci(run_tokscan, repo, "--base", f"{main}~1")
    assert report["scan"]["ci"]["event"] == "--base"
    assert report["scan"]["revisions"] == [main, "--not", forge.sha(f"{main}~1")]
    assert code == 0


def test_not_a_repository(tmp_path, run_tokscan):
    result = run_tokscan(["ci", "--base", "main"], cwd=tmp_path)
    assert result.code == 2 and "not in a git work tree" in result.stderr


# --- SPEC §6: what is trusted comes from the base ------------------------------------------


def allow(*keys: str, exclude: tuple[str, ...] = ()) -> str:
    lines = []
    if exclude:
        lines.append("exclude:")
        lines += [f'  - "{pattern}"' for pattern in exclude]
    lines.append("allow:" if keys else "allow: []")
    lines += [f'  - fingerprint: "{fp(key)}"\n    reason: test' for key in keys]
    return "\n".join(lines) + "\n"


def pull_request(forge: Forge, base: str, head: str, number: int = 5) -> GitRepo:
    repo = forge.checkout(head)
    forge.github_event("pull_request", pull_request_event(number, base, head), sha=head)
    return repo


def test_a_pull_request_cannot_allowlist_its_own_key(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    dev = forge.dev
    dev.git("checkout", "-q", "-b", "sneaky")
    key = keys()
    dev.write("app.py", f"KEY = '{key}'\n")
    dev.write(".tokscan.yaml", allow(key, exclude=("app.py",)))
    head = dev.commit("a key, and a config that hides it")
    forge.push("sneaky")
    repo = pull_request(forge, base, head)

    code, report, said, result = ci(run_tokscan, repo)

    assert said[0] == (
        "configuration .tokscan.yaml is not in the base "
        f"{base[:12]}: it comes with the commits under review, so it is not used"
    )
    assert (code, found(report)) == (1, [("app.py", 1, head)])
    # The same key on the base branch's allowlist is accepted.
    dev.git("checkout", "-q", "main")
    dev.write(".tokscan.yaml", allow(key))
    trusted = dev.commit("allowlist a documented example key")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "sneaky-again", "main")
    dev.write("app.py", f"KEY = '{key}'\n")
    dev.write(".tokscan.yaml", allow(key, exclude=("app.py",)))
    head = dev.commit("the key, now allowlisted on the base branch")
    forge.push("sneaky-again")
    repo = pull_request(forge, trusted, head)
    code, report, said, _ = ci(run_tokscan, repo)
    assert (code, found(report)) == (0, [])
    assert report["summary"]["suppressed"] == 1
    no_leak(result, key)


def test_changes_to_the_config_under_review_are_not_used(forge, keys, run_tokscan):
    dev = forge.dev
    dev.write(".tokscan.yaml", 'exclude:\n  - "docs/**"\n')
    base = dev.commit("config")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "change")
    key = keys()
    dev.write("src/app.py", f"K = '{key}'\n")
    dev.write("docs/x.md", f"{key}\n")  # excluded by the base's config
    dev.write(".tokscan.yaml", 'exclude:\n  - "docs/**"\n  - "src/**"\n')
    head = dev.commit("widen the excludes")
    forge.push("change")
    code, report, _, _ = ci(run_tokscan, pull_request(forge, base, head))
    assert (code, found(report)) == (1, [("src/app.py", 1, head)])


def test_config_file_option_is_read_from_the_base_when_tracked(forge, keys, run_tokscan):
    dev = forge.dev
    key = keys()
    dev.write("ci/tokscan.yaml", allow())
    base = dev.commit("config in a subfolder")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "change")
    dev.write("app.py", f"K = '{key}'\n")
    dev.write("ci/tokscan.yaml", allow(key))
    head = dev.commit("key plus allowlist")
    forge.push("change")
    repo = pull_request(forge, base, head)
    result = run_tokscan(["--config", "ci/tokscan.yaml", "ci", "-f", "json"], cwd=repo.path)
    assert (result.code, found(json.loads(result.stdout))) == (1, [("app.py", 1, head)])
    # A config file outside the repository is the CI owner's: read from disk.
    outside = forge.base / "owner.yaml"
    outside.write_text(allow(key))
    result = run_tokscan(["--config", str(outside), "ci", "-f", "json"], cwd=repo.path)
    assert result.code == 0 and json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_malformed_config_at_the_base_names_the_revision(forge, keys, run_tokscan):
    dev = forge.dev
    dev.write(".tokscan.yaml", "exclude: [\n")
    base = dev.commit("broken config")
    forge.push("main")
    dev.write("a.txt", "a\n")
    head = dev.commit("more")
    forge.push("main")
    result = run_tokscan(["ci"], cwd=pull_request(forge, base, head).path)
    assert result.code == 2
    assert f".tokscan.yaml at {base[:12]}:2: malformed YAML" in result.stderr


def test_deeply_nested_config_and_baseline_at_the_base_are_named(repo, keys, run_tokscan):
    repo.write(".tokscan.yaml", "[" * 100_000)
    repo.write("baseline.json", "[" * 100_000)
    base = repo.commit("hostile policy files")
    repo.write("a.txt", "a\n")
    repo.commit("more")
    result = run_tokscan(["ci", "--base", base], cwd=repo.path)
    assert result.code == 2
    assert f".tokscan.yaml at {base[:12]}: malformed YAML: it is nested too deeply" in (
        result.stderr
    )
    result = run_tokscan(
        ["--config", "/dev/null", "ci", "--base", base, "--baseline", "baseline.json"],
        cwd=repo.path,
    )
    assert result.code == 2
    assert f"baseline baseline.json at {base[:12]} is not valid JSON: it is nested" in (
        result.stderr
    )


def test_pragmas_the_change_adds_are_listed_for_review(forge, keys, run_tokscan):
    dev = forge.dev
    old = keys()
    dev.write("legacy.py", f"OLD = '{old}'\n")
    dev.write(".tokscan.yaml", allow(old))
    base = dev.commit("an old, allowlisted key")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "pragmas")
    hidden = keys()
    dev.write("app.py", f"KEY = '{hidden}'  # tokscan:allow\n")
    dev.write("notes.py", "x = 1\n\ny = 2  # tokscan:allow (nothing here yet)\n")
    dev.write("legacy.py", f"OLD = '{old}'  # tokscan:allow\n")
    head = dev.commit("hide keys")
    forge.push("pragmas")
    repo = pull_request(forge, base, head)

    code, report, _, result = ci(run_tokscan, repo)

    assert (code, found(report)) == (0, [])  # a pragma does suppress
    assert report["scan"]["pragmas_added"] == [
        {
            "path": "app.py",
            "line": 1,
            "commit": head,
            "fingerprint": fp(hidden),
            "secret": f"tm-{hidden[3:7]}…{hidden[-4:]}",
        },
        {
            "path": "legacy.py",
            "line": 1,
            "commit": None,
            "fingerprint": fp(old),
            "secret": f"tm-{old[3:7]}…{old[-4:]}",
        },
        {"path": "notes.py", "line": 3, "commit": None, "fingerprint": None, "secret": None},
    ]
    text = run_tokscan(["ci"], cwd=repo.path)
    assert text.code == 0
    assert "Review: this change adds 3 `tokscan:allow` pragmas" in text.stdout
    assert f"  app.py:1  commit {head[:12]}  hides tm-{hidden[3:7]}…{hidden[-4:]}" in text.stdout
    sarif = json.loads(run_tokscan(["ci", "-f", "sarif"], cwd=repo.path).stdout)
    listed = sarif["runs"][0]["properties"]["tokscan"]["pragmasAdded"]
    assert [(p["path"], p["line"]) for p in listed] == [
        ("app.py", 1),
        ("legacy.py", 1),
        ("notes.py", 3),
    ]
    github = run_tokscan(["ci", "-f", "github"], cwd=repo.path).stdout
    assert github.count("::warning file=") == 3
    gitlab = json.loads(run_tokscan(["ci", "-f", "gitlab"], cwd=repo.path).stdout)
    warns = [m["value"] for m in gitlab["scan"]["messages"] if m["level"] == "warn"]
    assert warns[2] == "notes.py:3 adds a tokscan:allow pragma; review it"
    no_leak(result, hidden, old)
    no_leak(text, hidden, old)


def test_verify_from_the_base_config_and_never_from_the_change(forge, keys, run_tokscan, tokmodel):
    dev = forge.dev
    dev.write(".tokscan.yaml", "verify: true\n")
    base = dev.commit("verify keys in CI")
    forge.push("main")
    dev.git("checkout", "-q", "-b", "leak")
    revoked = keys()
    dev.write("a.py", f"A = '{revoked}'\n")
    head = dev.commit("an old, revoked key")
    forge.push("leak")
    code, report, _, result = ci(run_tokscan, pull_request(forge, base, head))
    assert [f["status"] for f in report["findings"]] == ["revoked"]
    assert code == 0  # revoked keys do not fail the run (SPEC §3)
    assert len(tokmodel.requests_for(revoked)) == 1
    no_leak(result, revoked)
    # A change that turns verification on itself does not get it.
    dev.git("checkout", "-q", "-b", "quiet", base)
    dev.write(".tokscan.yaml", "verify: false\n")
    plain = dev.commit("no verification here")
    forge.push("quiet")
    dev.git("checkout", "-q", "-b", "loud")
    dev.write(".tokscan.yaml", "verify: true\n")
    other = keys()
    dev.write("b.py", f"B = '{other}'\n")
    head = dev.commit("turn it on and add a key")
    forge.push("loud")
    code, report, _, _ = ci(run_tokscan, pull_request(forge, plain, head))
    assert ([f["status"] for f in report["findings"]], code) == (["unverified"], 1)
    assert tokmodel.requests_for(other) == []


def test_a_symlinked_config_in_the_change_does_not_pick_the_base_policy(repo, keys, run_tokscan):
    """Regression: `tokscan ci` read the base's configuration, but chose WHICH file by
    resolving `.tokscan.yaml` in the checked-out head. A change that turned it into a link
    to another config the base has (one that excludes everything) got that policy."""
    repo.write(".tokscan.yaml", "allow: []\n")
    repo.write("other.yaml", 'exclude:\n  - "*"\n')
    base = repo.commit("a strict config, and another that excludes everything")
    (repo.path / ".tokscan.yaml").unlink()
    os.symlink("other.yaml", repo.path / ".tokscan.yaml")
    key = keys()
    repo.write("app.py", f"K = '{key}'\n")
    head = repo.commit("link the config to the lax one, and add a key")
    code, report, _, result = ci(run_tokscan, repo, "--base", base)
    assert (code, found(report)) == (1, [("app.py", 1, head)])
    no_leak(result, key)


def test_a_symlinked_folder_in_the_change_does_not_pick_the_base_config_or_baseline(
    repo, keys, run_tokscan
):
    """The same through a folder: `--config ci/tokscan.yaml` and `--baseline
    ci/baseline.json` are read at those paths in the base, whatever `ci` is in the head."""
    key = keys()
    repo.write("ci/tokscan.yaml", "allow: []\n")
    repo.write("ci/baseline.json", json.dumps({"findings": []}))
    repo.write("lax/tokscan.yaml", 'exclude:\n  - "*"\n')
    repo.write("lax/baseline.json", json.dumps({"findings": [{"fingerprint": fp(key)}]}))
    base = repo.commit("configs")
    repo.write("lax/extra.json", json.dumps({"findings": [{"fingerprint": fp(key)}]}))
    repo.git("rm", "-r", "-q", "ci")
    os.symlink("lax", repo.path / "ci")
    repo.write("app.py", f"K = '{key}'\n")
    head = repo.commit("ci is now a link to lax")
    for config in ("ci/tokscan.yaml", str(repo.path / "ci/tokscan.yaml")):
        args = ["--config", config, "ci", "-f", "json", "--base", base]
        result = run_tokscan(args, cwd=repo.path)
        assert (result.code, found(json.loads(result.stdout))) == (1, [("app.py", 1, head)])
    code, report, _, _ = ci(run_tokscan, repo, "--base", base, "--baseline", "ci/baseline.json")
    assert (code, found(report), report["summary"]["suppressed"]) == (1, [("app.py", 1, head)], 0)
    # A file only the head reaches (through its link), and a link from outside into the
    # checkout, are not read from the work tree either.
    code, report, said, _ = ci(run_tokscan, repo, "--base", base, "--baseline", "ci/extra.json")
    assert "baseline ci/extra.json is reached through a symbolic link in the work tree" in said[0]
    assert (code, found(report)) == (1, [("app.py", 1, head)])
    outside = repo.path.parent / "owner.yaml"
    os.symlink(repo.path / ".tokscan.yaml", outside)
    result = run_tokscan(["--config", str(outside), "ci", "--base", base], cwd=repo.path)
    assert result.code == 2
    assert "owner.yaml leads into the repository through a symbolic link" in result.stderr


def test_a_config_that_is_a_symlink_in_the_base_is_not_used(repo, keys, run_tokscan):
    repo.write("lax.yaml", 'exclude:\n  - "*"\n')
    os.symlink("lax.yaml", repo.path / ".tokscan.yaml")
    base = repo.commit("the config is a link")
    key = keys()
    repo.write("app.py", f"K = '{key}'\n")
    head = repo.commit("a key")
    code, report, said, _ = ci(run_tokscan, repo, "--base", base)
    assert (
        f"configuration .tokscan.yaml is a symbolic link in the base {base[:12]}: "
        "tokscan ci reads no policy through a link, so it is not used"
    ) in said
    assert (code, found(report)) == (1, [("app.py", 1, head)])


# --- Baselines in CI ------------------------------------------------------------------


def rewrite_history_with_a_baseline(forge: Forge, keys, run_tokscan, tmp_path: Path):
    """main holds an old, rotated key; the team commits a baseline listing it. Then the
    branch's history is rewritten and force-pushed with a new key: the range holds the old
    commits again."""
    dev = forge.dev
    old = keys()
    dev.write("settings.py", f"OLD = '{old}'\n")
    dev.commit("the old key (rotated long ago)")
    dev.write("settings.py", "OLD = None\n")
    dev.commit("take it out")
    written = run_tokscan(["history", "--write-baseline", "tokscan-baseline.json"], cwd=dev.path)
    assert written.code == 0
    before = dev.commit("adopt tokscan: baseline of the old, rotated key")
    forge.push("main")
    dev.git("checkout", "-q", "--orphan", "rewritten")
    dev.git("commit", "-q", "-m", "squashed history")
    new = keys()
    dev.write("settings.py", f"OLD = '{old}'\nNEW = '{new}'\n")
    after = dev.commit("the old key again, and a new one")
    forge.push("HEAD:main", force=True)
    repo = forge.checkout(after)
    forge.github_event("push", push_event(before, after, forced=True), sha=after)
    return repo, old, new, after


def test_baseline_in_the_base_accepts_old_keys_and_fails_new_ones(
    forge, keys, run_tokscan, tmp_path
):
    repo, old, new, _after = rewrite_history_with_a_baseline(forge, keys, run_tokscan, tmp_path)
    code, report, _, result = ci(run_tokscan, repo, "--baseline", "tokscan-baseline.json")
    assert [f["fingerprint"] for f in report["findings"]] == [fp(new)]
    assert report["summary"]["suppressed"] == 1
    assert code == 1
    code, report, _, _ = ci(run_tokscan, repo)  # without the baseline both keys fail
    assert sorted(f["fingerprint"] for f in report["findings"]) == sorted([fp(old), fp(new)])
    no_leak(result, old, new)


def test_baseline_added_by_the_change_itself_is_not_used(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    (forge.dev.path / "baseline.json").write_text(
        json.dumps(
            {"version": 1, "findings": [{"fingerprint": fp(key), "path": "app.py", "commit": None}]}
        )
    )
    head = forge.dev.commit("and a baseline that accepts it")
    forge.push("feature")
    code, report, said, _ = ci(
        run_tokscan, pull_request(forge, base, head), "--baseline", "baseline.json"
    )
    assert said[0] == (
        f"baseline baseline.json is not in the base {base[:12]}: it comes with "
        "the commits under review, so it is not used"
    )
    assert (code, found(report)) == (1, [("app.py", 2, leaky)])


def test_baseline_kept_outside_the_repository_is_read_from_disk(forge, keys, run_tokscan):
    main, old = start_main(forge, keys)
    repo = forge.checkout(main)
    forge.github_event("push", push_event(ZERO, main), sha=main)
    outside = forge.base / "accepted.json"
    outside.write_text(json.dumps({"findings": [{"fingerprint": fp(old)}]}))
    code, report, _, _ = ci(run_tokscan, repo, "--baseline", str(outside))
    assert (code, report["summary"]["suppressed"]) == (0, 1)
    missing = run_tokscan(["ci", "--baseline", str(forge.base / "nope.json")], cwd=repo.path)
    assert missing.code == 2 and "cannot read baseline file" in missing.stderr


def test_write_baseline_from_ci_then_pass(forge, keys, run_tokscan):
    base, _ = start_main(forge, keys)
    (_clean, leaky), key = feature(forge, keys)
    forge.push("feature")
    repo = pull_request(forge, base, leaky)
    out = forge.base / "new-baseline.json"
    result = run_tokscan(["ci", "--write-baseline", str(out)], cwd=repo.path)
    assert result.code == 0
    assert key not in out.read_text()
    assert run_tokscan(["ci", "--baseline", str(out)], cwd=repo.path).code == 0


# --- Reading the environment (no git) --------------------------------------------------


@pytest.mark.parametrize(
    ("env", "kind", "head", "base"),
    [
        (
            {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "web", "CI_COMMIT_SHA": "a" * 40},
            "head-only",
            "a" * 40,
            None,
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_PIPELINE_SOURCE": "push",
                "CI_COMMIT_SHA": "a" * 40,
                "CI_COMMIT_BEFORE_SHA": "b" * 40,
            },
            "range",
            "a" * 40,
            "b" * 40,
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_PIPELINE_SOURCE": "push",
                "CI_COMMIT_SHA": "a" * 40,
                "CI_COMMIT_TAG": "v1",
                "CI_COMMIT_BEFORE_SHA": ZERO,
            },
            "new-branch",
            "a" * 40,
            None,
        ),
    ],
)
def test_request_reads_gitlab_variables(env, kind, head, base):
    asked = source.request(env)
    assert (asked.kind, asked.head, asked.base) == (kind, head, base)
