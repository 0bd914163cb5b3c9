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
# Between the archive and the member in a finding's path: `dist/app.whl!app/settings.py`.
MEMBER_SEPARATOR = "!"


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
    if in_archive(finding):  # the location names the archive: say where in the member
        place += f":{finding.line}:{finding.column}"
    found = f"{title(finding, show_secrets)}{how(finding)} {place}{where(finding)}"
    return f"{found}. {finding.advice}".strip()


def found_as(finding: Finding) -> str:
    """How the key was found, when not as plain text in a file: in the name of the file or
    folder (`in the name`), its encodings, outer first (`base64 → base64`), and its byte
    offset in a binary file (`byte 1234`); else ""."""
    parts = ["in the name"] if finding.in_name else []
    if finding.encoding:
        parts.append(" → ".join(finding.encoding))
    if finding.byte_offset is not None:
        parts.append(f"byte {finding.byte_offset}")
    return ", ".join(parts)


def how(finding: Finding) -> str:
    """`found_as` in parentheses after a space, to append to a place or a title; ""
    for a key found as plain text (so plain findings read as they always have)."""
    found = found_as(finding)
    return f" ({found})" if found else ""


def in_archive(finding: Finding) -> bool:
    """Whether the finding is in a member of an archive (`dist/app.whl!app/settings.py`)."""
    return finding.archive is not None


def file_path(finding: Finding) -> str:
    """The file in the repository that holds a finding: for an archive member, the
    archive's own path; else the path itself (a file named `a!b.txt` included)."""
    return finding.archive or finding.path or ""


def span(finding: Finding) -> int | None:
    """Characters the key spans from its column, for a region's end: None when it was
    found encoded (the column is where the encoded text starts, and its end is not known)."""
    return None if finding.encoding else SPAN


def in_content(finding: Finding) -> bool:
    """Whether the line and column are a place in the file's content, which a region can
    point at: not for a key in an archive's member (the location is the archive) or in
    the name of the file or folder (the column is in its path)."""
    return not in_archive(finding) and not finding.in_name
