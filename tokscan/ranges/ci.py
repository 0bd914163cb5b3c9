"""Which commits a CI run brings (`tokscan ci`), found from the CI's environment.

Two steps. `request` reads the environment (variables and, on GitHub, the event payload)
and says what is asked, without running git:

- GitHub Actions `push`: the commits in before..after. A new branch (before is all zeros):
  the commits that the default branch does not have (only the default branch counts as
  scanned: another branch may have come in the same push, see `resolve_new_branch`). A
  forced push: the commits after has and before does not (`after --not before`); if before
  has gone from the remote too, as for a new branch. A deleted branch: nothing.
- GitHub `pull_request`, `pull_request_target` (and `merge_group`): base.sha..head.sha.
- GitLab merge request pipelines: `CI_MERGE_REQUEST_DIFF_BASE_SHA`..the source commit.
  Branch pipelines: `CI_COMMIT_BEFORE_SHA`..`CI_COMMIT_SHA`, and a new branch (all zeros)
  as on GitHub, with `CI_DEFAULT_BRANCH` as the trusted base.
- Any other event: the HEAD commit alone. Outside GitHub and GitLab: `--base REF`, which
  also overrides what the environment says.

`resolve` then asks git: it makes sure the commits are in the clone, fetching what is
missing and deepening a shallow clone step by step until the range is whole (or failing
with the exact setting that fixes the checkout), and counts the commits. A range is whole
when no commit it lists is a shallow boundary (something older could be missing) and no
commit on the excluded side is one (the range could include commits the base has).

The **base** of the range is the trusted revision: the configuration, allowlist and
baseline are read from it, never from the commits under review (SPEC §6).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tokscan import git
from tokscan.errors import TokscanError
from tokscan.ranges import shallow

REMOTE = shallow.REMOTE  # the remote a CI checkout fetches from
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

NEED_BASE = (
    "tokscan ci cannot tell which commits to scan: this is not a GitHub Actions or GitLab CI "
    "run it understands. Pass the revision the change starts from, e.g. "
    "`tokscan ci --base origin/main`."
)
FIXES = {
    "github": "give actions/checkout `with: fetch-depth: 0` in the workflow",
    "gitlab": "set `GIT_DEPTH: 0` in the job's `variables`",
    "local": "run `git fetch --unshallow` first, or clone without --depth",
}


@dataclass(frozen=True)
class Request:
    """What the environment asks to scan, before git is asked anything."""

    provider: str  # github | gitlab | local
    event: str  # push, pull_request, merge_request_event, --base, ...
    kind: str  # range | new-branch | head-only | nothing
    head: str  # the tip: a commit id, or a revision such as HEAD
    base: str | None = None  # range: the revision the change starts from
    branch: str | None = None  # the pushed branch (a new one is not its own base)
    default_branch: str | None = None  # new branch: the trusted base
    label: str = ""  # the event in words, e.g. "pull request #12"
    forced: bool = False
    fallback: bool = False  # a push whose base may be gone: scan as a new branch instead


@dataclass
class Plan:
    """The range to scan, resolved to commits."""

    request: Request
    revisions: list[str]  # `git rev-list` arguments; empty: nothing to scan
    head: str  # commit id
    base: str | None  # commit id of the trusted revision, or None
    diff_base: str | None  # where the range's changes start (for pragmas added), or None
    commits: int
    reason: str
    notes: list[str] = field(default_factory=list)  # what was fetched, and other news


# --- Reading the environment -------------------------------------------------------------


def request(env: Mapping[str, str], base: str | None = None) -> Request:
    provider = "github" if env.get("GITHUB_ACTIONS") == "true" else "local"
    if provider == "local" and env.get("GITLAB_CI") == "true":
        provider = "gitlab"
    if base:
        return Request(provider, "--base", "range", "HEAD", base=base, label=f"--base {base}")
    if provider == "github":
        return _github(env)
    if provider == "gitlab":
        return _gitlab(env)
    raise TokscanError(NEED_BASE)


def _github(env: Mapping[str, str]) -> Request:
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    sha = env.get("GITHUB_SHA") or "HEAD"
    if event == "push":
        ref = str(payload.get("ref") or env.get("GITHUB_REF", ""))
        branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        label = f"push to {ref or 'an unnamed ref'}"
        before, after = _sha(payload, "before"), _sha(payload, "after") or sha
        repository = payload.get("repository")
        default = repository.get("default_branch") if isinstance(repository, dict) else None
        default = default if isinstance(default, str) else None
        if payload.get("deleted") is True or git.is_null(after):
            return Request("github", event, "nothing", sha, label=label)
        if before is None or git.is_null(before):
            return Request(
                "github",
                event,
                "new-branch",
                after,
                branch=branch,
                default_branch=default,
                label=label,
            )
        forced = payload.get("forced") is True
        return Request(
            "github",
            event,
            "range",
            after,
            base=before,
            branch=branch,
            default_branch=default,
            label=("forced " if forced else "") + label,
            forced=forced,
            fallback=True,
        )
    if event in ("pull_request", "pull_request_target"):
        pull = payload.get("pull_request")
        pull = pull if isinstance(pull, dict) else {}
        base, head = _sha(pull.get("base"), "sha"), _sha(pull.get("head"), "sha")
        if base is None or head is None:
            raise TokscanError(f"the {event} event payload has no base.sha and head.sha")
        number = pull.get("number", payload.get("number"))
        return Request(
            "github",
            event,
            "range",
            head,
            base=base,
            label=f"pull request #{number}" if number else "pull request",
        )
    if event == "merge_group":
        group = payload.get("merge_group")
        base, head = _sha(group, "base_sha"), _sha(group, "head_sha")
        if base is None or head is None:
            raise TokscanError("the merge_group event payload has no base_sha and head_sha")
        return Request("github", event, "range", head, base=base, label="merge queue")
    return Request("github", event or "unknown", "head-only", sha, label=f"{event or 'a'} event")


def _payload(env: Mapping[str, str]) -> dict[str, object]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        raise TokscanError("GITHUB_EVENT_PATH is not set: cannot read the GitHub event")
    try:
        document = json.loads(Path(path).read_bytes())
    except OSError as error:
        raise TokscanError(f"cannot read the GitHub event {path}: {error.strerror}") from None
    except ValueError as error:
        raise TokscanError(f"the GitHub event {path} is not valid JSON: {error}") from None
    except RecursionError:
        raise TokscanError(
            f"the GitHub event {path} is not valid JSON: it is nested too deeply"
        ) from None
    if not isinstance(document, dict):
        raise TokscanError(f"the GitHub event {path} is not a JSON object")
    return document


def _sha(container: object, name: str) -> str | None:
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        return None
    return value


def _gitlab(env: Mapping[str, str]) -> Request:
    source = env.get("CI_PIPELINE_SOURCE", "")
    sha = env.get("CI_COMMIT_SHA") or "HEAD"
    diff_base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    if diff_base:
        iid = env.get("CI_MERGE_REQUEST_IID")
        # A merged-results pipeline runs on a merge of the source into the target; the
        # change under review is the source branch's own tip.
        head = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or sha
        label = f"merge request !{iid}" if iid else "merge request"
        return Request(
            "gitlab", source or "merge_request_event", "range", head, base=diff_base, label=label
        )
    if source == "push":
        before = env.get("CI_COMMIT_BEFORE_SHA", "")
        branch = env.get("CI_COMMIT_BRANCH") or None
        ref = branch or env.get("CI_COMMIT_TAG") or "an unnamed ref"
        default = env.get("CI_DEFAULT_BRANCH") or None
        label = f"push to {ref}"
        if not before or git.is_null(before):
            return Request(
                "gitlab",
                source,
                "new-branch",
                sha,
                branch=branch,
                default_branch=default,
                label=label,
            )
        return Request(
            "gitlab",
            source,
            "range",
            sha,
            base=before,
            branch=branch,
            default_branch=default,
            label=label,
            fallback=True,
        )
    return Request(
        "gitlab", source or "unknown", "head-only", sha, label=f"{source or 'a'} pipeline"
    )



# --- Resolving the range with git --------------------------------------------------------


def resolve(root: Path, asked: Request) -> Plan:
    """The commits to scan, with the clone made complete enough to scan them."""
    notes: list[str] = []
    if asked.kind == "nothing":
        return Plan(
            asked, [], asked.head, None, None, 0, f"{asked.label}: deletes it, nothing to scan"
        )
    head = _commit(root, asked.head, asked, notes, "the commit under review")
    if asked.kind == "range":
        assert asked.base is not None
        base = _find(root, asked.base, asked, notes)
        if base is None and asked.fallback:
            notes.append(
                f"the previous tip {asked.base[:12]} is not in the clone and could "
                "not be fetched (a forced push?): scanning as for a new branch"
            )
            return resolve_new_branch(root, replace(asked, kind="new-branch"), head, notes)
        if base is None:
            fix = FIXES[asked.provider]
            if asked.provider == "local" or not _SHA.fullmatch(asked.base):
                fix = "fetch it first (e.g. `git fetch origin main`)"
            raise TokscanError(
                f"the base {asked.base} of this {asked.label} is not in the clone and "
                f"could not be fetched; {fix}"
            )
        return _range(root, asked, head, base, notes)
    if asked.kind == "new-branch":
        return resolve_new_branch(root, asked, head, notes)
    return _head_only(root, asked, head, notes)


def _range(root: Path, asked: Request, head: str, base: str, notes: list[str]) -> Plan:
    revisions = [head, "--not", base]
    shallow.make_whole(root, FIXES[asked.provider], revisions, [head, base], [base], notes)
    if asked.event == "--base":
        how = f"the commits on HEAD that {asked.base} ({base[:12]}) does not have"
    elif asked.forced:
        how = f"the commits on {head[:12]} that the previous tip {base[:12]} does not have"
    else:
        how = f"the commits in {base[:12]}..{head[:12]}"
    return _plan(root, asked, revisions, head, base, f"{asked.label}: {how}", notes)


def resolve_new_branch(root: Path, asked: Request, head: str, notes: list[str]) -> Plan:
    """A new branch (or tag): its commits that the default branch does not have.

    Only the default branch counts as scanned already. Any other branch on the remote may
    have arrived in the same push (`git push origin feat feat-backup` starts a run for
    each, and each finds the other already there), and neither GitHub's push event nor
    GitLab's pipeline says when another ref appeared: trusting them would let two new
    branches hide each other's keys. The default branch is the event's (GitHub's
    `repository.default_branch`, GitLab's `CI_DEFAULT_BRANCH`), else the one `origin/HEAD`
    names; without one, every commit of the branch is scanned."""
    default = _default_branch(root, asked)
    trusted = None
    if default is not None and default != asked.branch:
        tracking = f"refs/remotes/{REMOTE}/{default}"
        depth = ["--depth=1"] if shallow.is_shallow(root) else []
        problem = git.fetch(root, REMOTE, *depth, f"+refs/heads/{default}:{tracking}")
        if problem is None:
            notes.append(f"fetched the default branch {default} of {REMOTE} to compare with")
        # Only a fresh fetch says what the default branch holds now: a tracking ref left
        # from before may predate a rewrite that took a key out of it.
        trusted = _resolve(root, tracking) if problem is None else None
        if trusted is None:
            why = problem or "it has no such branch"
            notes.append(f"could not fetch the default branch {default} of {REMOTE}: {why}")
    revisions = [head, "--not", trusted] if trusted else [head]
    shallow.make_whole(
        root,
        FIXES[asked.provider],
        revisions,
        [head, *([trusted] if trusted else [])],
        [trusted] if trusted else [],
        notes,
    )
    if trusted:
        how = (
            f"the commits on {head[:12]} that the default branch {default} does not have "
            "(a new branch)"
        )
    elif default is None:
        how = f"every commit of {head[:12]}: no default branch to compare with"
    elif default == asked.branch:
        how = f"every commit of {head[:12]}: the default branch itself is new"
    else:
        how = f"every commit of {head[:12]}: the default branch {default} could not be fetched"
    return _plan(root, asked, revisions, head, trusted, f"{asked.label}: {how}", notes)


def _default_branch(root: Path, asked: Request) -> str | None:
    """The default branch's name: the CI's, else the one `origin/HEAD` points at."""
    if asked.default_branch:
        return asked.default_branch
    found = git.try_run(root, "symbolic-ref", "--quiet", f"refs/remotes/{REMOTE}/HEAD")
    prefix = f"refs/remotes/{REMOTE}/"
    name = found.decode("utf-8", "replace").strip() if found else ""
    return name.removeprefix(prefix) if name.startswith(prefix) else None


def _head_only(root: Path, asked: Request, head: str, notes: list[str]) -> Plan:
    revisions = [head, "--not", f"{head}^@"]
    shallow.make_whole(root, FIXES[asked.provider], revisions, [head], [], notes)
    parent = _resolve(root, f"{head}^")
    how = f"the commit {head[:12]} alone"
    return _plan(root, asked, revisions, head, parent, f"{asked.label}: {how}", notes)


def _plan(
    root: Path,
    asked: Request,
    revisions: list[str],
    head: str,
    base: str | None,
    reason: str,
    notes: list[str],
) -> Plan:
    commits = int(git.run(root, "rev-list", "--count", *revisions).strip() or 0)
    diff_base = None
    if base is not None:
        found = git.try_run(root, "merge-base", base, head)
        diff_base = found.decode().strip() if found else None
    return Plan(asked, revisions if commits else [], head, base, diff_base, commits, reason, notes)


# --- Making sure the clone holds the range -----------------------------------------------


def _commit(root: Path, revision: str, asked: Request, notes: list[str], what: str) -> str:
    found = _find(root, revision, asked, notes)
    kind = git.try_run(root, "cat-file", "-t", "--end-of-options", revision) if not found else None
    if kind:  # a tag straight at a blob or tree: no commits; it fails, never passes unscanned
        raise TokscanError(
            f"{what} ({revision}) is a {kind.decode().strip()}, not a commit, so it has no "
            "commits to scan; audit what it holds with `tokscan history --all`"
        )
    if found is None:
        raise TokscanError(
            f"{what} ({revision}) is not in the clone and could not be fetched; "
            f"{FIXES[asked.provider]}"
        )
    return found


def _find(root: Path, revision: str, asked: Request, notes: list[str]) -> str | None:
    """The commit id of `revision`, fetching it by id from the remote when it is missing."""
    found = _resolve(root, revision)
    if found is not None or not _SHA.fullmatch(revision):
        return found
    depth = ["--depth=1"] if shallow.is_shallow(root) else []
    if git.fetch(root, REMOTE, *depth, revision) is None:
        notes.append(f"fetched {revision[:12]} from {REMOTE}")
    return _resolve(root, revision)


def _resolve(root: Path, revision: str) -> str | None:
    found = git.try_run(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
    )
    return found.decode().strip() if found else None
