"""The one rule tokscan reports, described once for the formats that carry rule metadata
(SARIF, GitLab, GitHub annotations): its id, its help and a one-line title per finding."""

from __future__ import annotations

from tokscan.keyformat import KEY_LENGTH
from tokscan.model import Finding
from tokscan.pipeline import advice

ID = "tokmodel-api-key"
NAME = "TokModelApiKey"
TITLE = "TokModel API key"
SHORT = "TokModel API key in the repository"
FULL = (
    "A TokModel API key (tm- followed by 32 letters and digits) is written in a file or a "
    "commit. Anyone who can read the repository, or any clone of it, can use the key and "
    "spend its owner's quota."
)
HOME = "https://github.com/tokscan/tokscan"
CWE = "CWE-798"  # Use of Hard-coded Credentials
CWE_URL = "https://cwe.mitre.org/data/definitions/798.html"
# How code scanning ranks it: 9.0 and above is "critical" (a usable credential).
SECURITY_SEVERITY = "9.0"

# Characters a key spans, for regions that have an end.
SPAN = KEY_LENGTH


def help_text() -> str:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(advice.ROTATION_STEPS, 1))
    return (
        f"{FULL}\n\nRemoving the line or rewriting history does not un-leak a committed key: "
        f"rotate it, in this order so that nothing breaks:\n{steps}\n\n"
        "Not a real key? Put `tokscan:allow` in a comment on that line, or add the key's "
        "fingerprint to `allow` in .tokscan.yaml on the base branch."
    )


def help_markdown() -> str:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(advice.ROTATION_STEPS, 1))
    return (
        f"**{SHORT}.** {FULL}\n\n"
        "Removing the line or rewriting history does not un-leak a committed key. "
        f"**Rotate it**, in this order so that nothing breaks:\n\n{steps}\n\n"
        "Not a real key? Put `tokscan:allow` in a comment on that line, or add the key's "
        "fingerprint to `allow` in `.tokscan.yaml` on the base branch."
    )


def title(finding: Finding, show_secrets: bool) -> str:
    """A one-line title naming the key, e.g. `TokModel API key tm-Ab3d…C1dE`."""
    return f"{TITLE} {finding.secret(show_secrets)}"


def where(finding: Finding) -> str:
    """Where the key was committed, in words: `in commit 1a2b3c4d5e6f by Name <mail>`."""
    if finding.commit is None:
        return ""
    text = f" in commit {finding.commit[:12]}"
    if finding.author:
        text += f" by {finding.author}"
    return text


def message(finding: Finding, show_secrets: bool) -> str:
    """One sentence saying what was found where, then the finding's advice."""
    place = "in a commit message" if finding.path is None else f"in {finding.path}"
    return f"{title(finding, show_secrets)} {place}{where(finding)}. {finding.advice}".strip()
