"""Attribution details that the end-to-end audits in test_scan.py do not pin down."""

from __future__ import annotations

from tokscan.sources.history.attribution import signature


def test_tagger_dates_keep_their_offset():
    assert signature(b"Rel <rel@example.com> 1700000000 -0530") == (
        "Rel <rel@example.com>",
        "2023-11-14T16:43:20-05:30",
    )
    assert signature(b"garbage") == ("garbage", "")
