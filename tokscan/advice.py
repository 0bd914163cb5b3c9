"""What to do about a finding (SPEC §8), written for someone who has never rotated a key."""

from __future__ import annotations

from tokscan.model import Finding, Status, Where

ENV_VAR = "TOKMODEL_API_KEY"
CONSOLE = "https://tokmodel.com/console"

_WHERE = {
    Where.STAGED: (
        f"Take the key out of this file and load it from the {ENV_VAR} environment variable. "
        "It has not been committed yet; if you shared it anywhere else, rotate it."
    ),
    Where.WORKTREE: (
        f"Take the key out of this file and load it from the {ENV_VAR} environment variable. "
        "If the file was ever committed, pushed or shared, rotate the key: anyone with a copy "
        "has it."
    ),
}
_AT_HEAD = (
    "Rotate this key: it is committed, so anyone with a clone has it. Deleting the line or "
    f"rewriting history does not un-leak it; after rotating, load the new key from {ENV_VAR}."
)
_IN_HISTORY = (
    "Rotate this key: the file no longer holds it, but it is in the history, so anyone with a "
    "clone has it. Rewriting history does not un-leak it."
)


def advise(finding: Finding) -> str:
    """One or two sentences fitted to where the key was found and what TokModel said."""
    if finding.status is Status.REVOKED:
        return "This key is revoked (TokModel answers 401), so it is harmless; remove it to keep scanners quiet."
    if finding.status is Status.LIVE:
        return "This key is live: rotate it now. " + _location(finding)
    if finding.status is Status.UNKNOWN:
        why = f" ({finding.status_detail})" if finding.status_detail else ""
        return f"Could not tell whether this key is live{why}: treat it as live. " + _location(finding)
    return _location(finding)


def _location(finding: Finding) -> str:
    if finding.where in _WHERE:
        return _WHERE[finding.where]
    return _IN_HISTORY if finding.present_at_head is False else _AT_HEAD


ROTATION_STEPS = (
    f"Create a new key in the TokModel console ({CONSOLE}, API Keys, Create key) and name it "
    "for where it will run, e.g. prod-api-server. Copy it at once: it is shown only once.",
    f"Deploy the new key where the old one was used, from a secret store or the {ENV_VAR} "
    "environment variable, never from a file in git.",
    "Check that your application works with the new key.",
    "Revoke the leaked key (API Keys, find it by name, Revoke). From then on it gets "
    "401 Unauthorized; `tokscan verify` confirms it.",
)
