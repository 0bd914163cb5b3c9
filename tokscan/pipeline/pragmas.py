"""The `tokscan:allow` pragmas a CI range adds, listed for review (SPEC §6).

A pragma suppresses the findings on its line, so a change could hide its own leak with
one. `tokscan ci` therefore lists, for a reviewer to check:

- every key in the range that a pragma suppressed (from the scan: the commit that added
  the line, and the key, redacted);
- every line that the range's changes add with a pragma on it (sources/range_diff.py),
  including pragmas added next to a key that was already there and pragmas with no key on
  their line yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tokscan.model import Candidate, Finding, PragmaSite, Report, Where


def to_review(
    report: Report,
    added: Iterable[tuple[str, int, list[Candidate]]],
    excluded: Callable[[str], bool],
) -> list[PragmaSite]:
    """The pragmas to review: those that hid a key in the scan, then the added lines'
    (path, line, the keys on it: sources/range_diff.py's PragmaLine)."""
    sites = [
        PragmaSite(f.path, f.line, f.commit, f) for why, f in report.suppressed if why == "pragma"
    ]
    listed = {(site.path, f.fingerprint) for site in sites if (f := site.finding)}
    for path, line, keys in added:
        if excluded(path):
            continue
        if not keys:
            sites.append(PragmaSite(path, line))
        for candidate in keys:
            finding = Finding(candidate.key, path, line, candidate.column, Where.HISTORY)
            if (path, finding.fingerprint) not in listed:
                sites.append(PragmaSite(path, line, None, finding))
    sites.sort(key=lambda s: (s.path is None, s.path or "", s.line, s.commit or ""))
    return sites
