"""Suppression: the `tokscan:allow` pragma, the allowlist and baselines (SPEC §7).

A suppressed finding is counted in the summary but not shown and does not fail the run.
Baselines identify keys by fingerprint and never hold a raw key.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from tokscan import __version__, keyformat, outfile
from tokscan.errors import TokscanError
from tokscan.model import Finding

BASELINE_VERSION = 1


class Suppressor:
    def __init__(
        self, allowed: frozenset[str] = frozenset(), baseline: frozenset[str] = frozenset()
    ) -> None:
        # Fingerprints from the config's allowlist and from --baseline: whole, or prefixes
        # of at least keyformat.PREFIX_MIN characters (the text report prints 12).
        self.allowed = allowed
        self.baseline = baseline
        # prefix -> the first fingerprint it matched: a second one makes it ambiguous
        self._matched: dict[tuple[str, str], str] = {}

    def reason(self, finding: Finding, pragma: bool) -> str | None:
        """Why this finding is suppressed ("pragma", "allowlist", "baseline"), or None.
        Raises TokscanError for a prefix that matches the fingerprints of two keys."""
        if pragma:
            return "pragma"
        return self.listed(finding.fingerprint)

    def listed(self, fingerprint: str) -> str | None:
        """"allowlist" or "baseline" when one lists this fingerprint (or a prefix of it)."""
        for why, listed in (("allowlist", self.allowed), ("baseline", self.baseline)):
            if fingerprint in listed or self._by_prefix(why, listed, fingerprint):
                return why
        return None

    def _by_prefix(self, why: str, listed: frozenset[str], fingerprint: str) -> bool:
        found = False
        for length in _prefix_lengths(listed):
            prefix = fingerprint[:length]
            if prefix not in listed:
                continue
            first = self._matched.setdefault((why, prefix), fingerprint)
            if first != fingerprint:
                where = "the 'allow' list" if why == "allowlist" else "the baseline"
                raise TokscanError(
                    f"fingerprint prefix {prefix} in {where} is ambiguous: it matches more "
                    "than one key found; give more of the fingerprint (or all 64 characters)"
                )
            found = True
        return found


@lru_cache(maxsize=16)
def _prefix_lengths(listed: frozenset[str]) -> tuple[int, ...]:
    """The lengths of the prefixes (not whole fingerprints) in a list, longest first."""
    return tuple(sorted({len(f) for f in listed if len(f) < 64}, reverse=True))


def read_baseline(path: Path) -> frozenset[str]:
    """The fingerprints in a baseline file written by `--write-baseline`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TokscanError(f"cannot read baseline {path}: {error.strerror}") from None
    return parse_baseline(data, str(path))


def parse_baseline(data: bytes, path: str) -> frozenset[str]:
    """The fingerprints in baseline text; `path` names where it came from, for messages."""
    import json  # only with a baseline: not on every scan's path

    try:
        document = json.loads(data)
    except ValueError as error:
        raise TokscanError(f"baseline {path} is not valid JSON: {error}") from None
    except RecursionError:
        raise TokscanError(f"baseline {path} is not valid JSON: it is nested too deeply") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise TokscanError(
            f"baseline {path} has no 'findings' list; write one with --write-baseline"
        )
    fingerprints = set()
    for number, entry in enumerate(entries, 1):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not keyformat.is_fingerprint_prefix(value.lower()):
            raise TokscanError(
                f"baseline {path}: entry {number} has no valid 'fingerprint' (a SHA-256 in "
                f"hex: all 64 characters, or the first {keyformat.PREFIX_MIN} or more)"
            )
        fingerprints.add(value.lower())
    return frozenset(fingerprints)


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write the findings' fingerprints (with path and commit, never the key, nor anything
    key-shaped); returns count."""
    entries = sorted(
        {
            (f.fingerprint, f.path or "", f.commit or ""): {
                "fingerprint": f.fingerprint,
                "path": f.path,
                "commit": f.commit,
            }
            for f in findings
        }.items()
    )
    document = {
        "version": BASELINE_VERSION,
        "tool": {"name": "tokscan", "version": __version__},
        "findings": [entry for _, entry in entries],
    }
    # Paths are for people; a key in one (a file named after it) is redacted like any
    # other. Baselines never hold a key, --show-secrets or not.
    import json

    text = keyformat.redact_all(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    outfile.write_text(path, text, "baseline ")  # atomically, and only as a regular file
    return len(entries)
