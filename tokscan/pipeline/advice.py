"""What to do about a finding (SPEC §8), written for someone who has never rotated a key.

The advice depends on two things: where the key was found (a staged change that was never
committed, a file on disk, a commit that is still at HEAD, or only the history) and what
TokModel said about it (live, revoked, could not tell, or not asked). A key that reached a
commit has leaked to everyone with a clone: deleting the line or rewriting history does
not take it back, only rotating does.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from tokscan.model import Finding, Report, Status, Where
from tokscan.terminal import plural

ENV_VAR = "TOKMODEL_API_KEY"
CONSOLE = "https://tokmodel.com/console"

_FROM_ENV = f"have your code read it from the {ENV_VAR} environment variable instead"
_UNPUSHED = (
    "This key is in a commit that has not been pushed yet: take it out of that commit before "
    f"pushing (change the file so that your code reads the key from {ENV_VAR}, then "
    "`git commit --amend` for the last commit or `git rebase -i` for an older one; for a "
    "tag message or a file a tag points to, delete and recreate the tag)."
)

_RECEIVED = (
    "The server refused this push, but the key has left your machine: rotate it. Then take "
    "it out of the commit that added it (change the file so that your code reads the key "
    f"from {ENV_VAR}, then `git commit --amend` for the last commit or `git rebase -i` for an "
    "older one; for a tag, delete and recreate it) and push again."
)
_MESSAGE = (
    "This key is in the message of the commit you are making, which was not made: write the "
    "message again without it (`git commit` keeps it in .git/COMMIT_EDITMSG; edit it out). "
    "If you ever shared the key anywhere else, rotate it."
)


_STILL_AT_A_TIP = (
    "It is gone from the default branch, but other branches or tags still hold it at "
    "their tip (\"still in\"): remove it there too, or delete those refs. Anyone with a "
    "clone has it either way, and rewriting history does not take it back."
)


def advise(finding: Finding) -> str:
    """One or two sentences fitted to where the key was found and what TokModel said, and
    one more for a key that was packed or encoded (SPEC §10). Findings alike share one
    string: a report of a hundred thousand findings holds a handful of advice texts."""
    return _advice(
        finding.status, finding.status_detail, finding.where, finding.present_at_head,
        finding.archive, finding.encoding, finding.in_name, bool(finding.refs_at_tip),
        _names_a_pushed_ref(finding),
    )  # fmt: skip


def _names_a_pushed_ref(finding: Finding) -> bool:
    """A key in the name of a ref a push brings (commands/prereceive.py: its path is the
    ref's name), not in a file's."""
    pushed = finding.where is Where.RECEIVED and finding.in_name
    return pushed and (finding.path or "").startswith("refs/")


@lru_cache(maxsize=1024)
def _advice(
    status: Status,
    status_detail: str | None,
    where: Where,
    present_at_head: bool | None,
    archive: str | None,
    encoding: tuple[str, ...],
    in_name: bool,
    at_a_tip: bool,
    ref_name: bool = False,
) -> str:
    # `at_a_tip`: some ref's tip still holds the key; only whether, so advice stays shared
    # (the report names the refs: "still in: old-leak, v1.2").
    finding = Finding(key="", path=None, line=1, column=1, where=where, status=status,
                      status_detail=status_detail, present_at_head=present_at_head,
                      archive=archive, encoding=encoding, in_name=in_name,
                      refs_at_tip=("",) if at_a_tip else None)
    if ref_name and status is not Status.REVOKED:
        return (
            "The name of this branch or tag holds the key, and every clone lists it: the "
            "server refused this push, but the key has left your machine, so rotate it; then "
            "push under another name (`git push origin HEAD:refs/heads/<name>`)."
        )
    if finding.in_name:
        return _in_name(finding)
    said = _advise(finding)
    if finding.status is Status.REVOKED:
        return said
    if finding.archive is not None:
        return (
            f"{said} It is inside {finding.archive}: rebuild that archive without it, and "
            "replace any copy already published."
        )
    if finding.encoding:
        return f"{said} Encoding ({', '.join(finding.encoding)}) does not hide a key."
    return said


def _advise(finding: Finding) -> str:
    if finding.status is Status.REVOKED:
        return _revoked(finding)
    if finding.status is Status.LIVE:
        lead = "TokModel accepted this key, so it works"
    elif finding.status is Status.UNKNOWN:
        why = f" ({finding.status_detail})" if finding.status_detail else ""
        lead = f"tokscan could not check this key{why}, so treat it as working"
    else:
        return _unverified(finding)
    if finding.where is Where.STAGED:
        return (
            f"{lead}. It is not committed yet: take it out of the file and {_FROM_ENV}; "
            "if you ever shared it anywhere else, rotate it now."
        )
    if finding.where is Where.WORKTREE:
        return (
            f"{lead}. Take it out of the file and {_FROM_ENV}; if the file was ever "
            "committed, pushed or shared, rotate the key now."
        )
    if finding.where is Where.UNPUSHED:
        return f"{lead}. {_UNPUSHED} If the commit was shared anywhere else, rotate it now."
    if finding.where is Where.RECEIVED:
        return f"{lead}. {_RECEIVED}"
    if finding.where is Where.MESSAGE:
        return f"{lead}. {_MESSAGE}"
    if finding.present_at_head is False and finding.refs_at_tip:
        return f"{lead}: rotate it now. {_STILL_AT_A_TIP}"
    if finding.present_at_head is False:
        return (
            f"{lead}: rotate it now. It is no longer in the file, but it is in the history, "
            "so anyone with a clone can still use it."
        )
    return (
        f"{lead}: rotate it now. It is committed, so anyone with a clone can use it; "
        "deleting the line or rewriting history does not take it back."
    )


def _unverified(finding: Finding) -> str:
    if finding.where is Where.STAGED:
        return (
            f"This key is not committed yet: take it out of the file and {_FROM_ENV}. "
            "If you ever shared it anywhere else (chat, a ticket, another repository), rotate it."
        )
    if finding.where is Where.WORKTREE:
        return (
            f"Take the key out of the file and {_FROM_ENV}. If the file was ever committed, "
            "pushed or shared, rotate the key: anyone with a copy can use it."
        )
    if finding.where is Where.RECEIVED:
        return _RECEIVED
    if finding.where is Where.MESSAGE:
        return _MESSAGE
    if finding.where is Where.UNPUSHED:
        return (
            f"{_UNPUSHED} If that commit was shared anywhere else (another remote, a colleague's "
            "clone), rotate the key: anyone with a copy can use it."
        )
    if finding.present_at_head is False and finding.refs_at_tip:
        return f"Rotate this key. {_STILL_AT_A_TIP}"
    if finding.present_at_head is False:
        return (
            "Rotate this key: it is no longer in the file, but it is in the history, so anyone "
            "with a clone has it. Rewriting history does not take it back."
        )
    return (
        "Rotate this key: it is committed, so anyone with a clone has it, and deleting the "
        "line or rewriting history does not take it back."
    )


def _in_name(finding: Finding) -> str:
    """A key in the name of a file or folder: renaming takes it out, rotating un-leaks it."""
    if finding.status is Status.REVOKED:
        return (
            "This key is revoked (TokModel answers 401 Unauthorized), so it is harmless; "
            "rename the file or folder anyway to keep secret scanners quiet."
        )
    named = "The name of this file or folder holds the key, and names travel with the tree"
    if finding.where is Where.STAGED:
        return (
            f"{named}: rename it before committing, and keep the key in {ENV_VAR}. If you "
            "ever shared it anywhere else, rotate it."
        )
    if finding.where is Where.WORKTREE:
        return (
            f"{named} (listings, archives, build logs): rename it, and keep the key in "
            f"{ENV_VAR}. If the name was ever committed, pushed or shared, rotate the key."
        )
    if finding.where is Where.UNPUSHED:
        return (
            f"{named}: rename it in that commit before pushing (`git commit --amend`, or "
            "`git rebase -i` for an older one). If the commit was shared anywhere else, "
            "rotate the key."
        )
    if finding.where is Where.RECEIVED:
        return (
            f"{named}: the server refused this push, but the key has left your machine, so "
            "rotate it; then rename the file or folder in that commit (`git commit --amend`, "
            "or `git rebase -i` for an older one) and push again."
        )
    return (
        "Rotate this key: the name of a file or folder in a commit holds it, so anyone with "
        "a clone has it; renaming or rewriting history does not take it back."
    )


def _revoked(finding: Finding) -> str:
    said = "This key is revoked (TokModel answers 401 Unauthorized), so it is harmless"
    if finding.where is Where.HISTORY and finding.refs_at_tip and not finding.present_at_head:
        return (
            f"{said}, but branches or tags still hold it at their tip (\"still in\"): remove "
            "it there too to keep secret scanners quiet."
        )
    if finding.where is Where.HISTORY and finding.present_at_head is False:
        return (
            f"{said} and no longer in the file: nothing to do. To keep tokscan quiet about "
            "it, record it in a baseline (--write-baseline) rather than rewriting history."
        )
    return f"{said}; remove it from the file anyway to keep secret scanners quiet."


ROTATION_STEPS = (
    f"Create a new key: in the TokModel console ({CONSOLE}) open API Keys, click Create key "
    "and name it for where it will run (e.g. prod-api-server). Copy it right away: it is "
    "shown only once.",
    "Deploy the new key wherever the leaked one is used, through your secret store or the "
    f"{ENV_VAR} environment variable, never in a file in git.",
    "Check that your application works with the new key.",
    "Revoke the leaked key: on the API Keys page, find it by name and click Revoke. From "
    "then on it gets 401 Unauthorized; `tokscan verify` (key on standard input) confirms it.",
)


def needs_rotation(statuses: Iterable[Status]) -> bool:
    """Whether any key is not known to be revoked, so the rotation steps apply."""
    return any(status is not Status.REVOKED for status in statuses)


def rotation_advised(findings: Iterable[Finding]) -> bool:
    """Whether the advice for any finding is to rotate, so the rotation steps belong in the
    report: a key that may still work and has reached a commit or a file. A key only in
    a staged change, the message of a commit being made or an unpushed commit is taken
    out, not rotated (their advice says to rotate only if it was shared elsewhere), so a
    blocked commit or push does not print the procedure. A push the server refused did
    carry the key off the machine: rotate."""
    kept_local = (Where.STAGED, Where.MESSAGE, Where.UNPUSHED)
    return any(f.status is not Status.REVOKED and f.where not in kept_local for f in findings)


def verdict(report: Report) -> str | None:
    """One line after verification, counting keys (not places): what the user must do."""
    if not report.verified or not report.findings:
        return None
    status: dict[str, Status] = {}
    staged_only: dict[str, bool] = {}
    for finding in report.findings:
        status[finding.fingerprint] = finding.status
        staged = finding.where is Where.STAGED
        staged_only[finding.fingerprint] = staged_only.get(finding.fingerprint, True) and staged
    exposed = [fp for fp, s in status.items() if s is not Status.REVOKED]
    return verdict_line(list(status.values()), staged=all(staged_only[fp] for fp in exposed))


def verdict_line(statuses: list[Status], staged: bool = False) -> str:
    """The verdict for distinct keys with these statuses; `staged` when every key that is
    not revoked was found only in the staged change (so it has not leaked through git)."""
    live = statuses.count(Status.LIVE)
    unknown = statuses.count(Status.UNKNOWN) + statuses.count(Status.UNVERIFIED)
    if not live and not unknown:
        revoked = len(statuses)
        return (
            "The key is revoked: harmless, remove it to keep scanners quiet."
            if revoked == 1
            else f"All {revoked} keys are revoked: harmless, remove them to keep scanners quiet."
        )
    parts = []
    if live:
        parts.append(plural(live, "live key"))
    if unknown:
        parts.append(plural(unknown, "key") + " that could not be checked (treat as live)")
    them = "it" if live + unknown == 1 else "them"
    if staged:
        return f"{' and '.join(parts)} in the staged change: take {them} out before committing."
    return f"{' and '.join(parts)}: rotate {them} now."

