"""The progress line: what it says, and that it leaves nothing behind."""

from __future__ import annotations

import io

from tokscan.progress import Progress, render


def test_render_with_totals():
    line = render("scanning blobs", 500, 50_000_000, 1000, 100_000_000, 2.0)
    assert line.startswith("scanning blobs [##########----------]  50%")
    assert "500/1,000 objects" in line
    assert "50/100 MB" in line
    assert "25 MB/s" in line
    assert "0:02 left" in line


def test_render_without_totals():
    line = render("listing", 12, 3_000_000, None, None, 0.1)
    assert line == "listing 12 objects · 3.0 MB"


def test_progress_draws_throttled_and_clears():
    stream = io.StringIO()
    progress = Progress(stream)
    progress.start("scanning", 10, 1000)
    for n in range(100):
        progress.update(n % 10, n * 10)  # too fast to draw each
    progress.scanned(10, 1000, 10, 1000)
    progress.update(10, 1000, force=True)
    progress.clear()
    text = stream.getvalue()
    assert text.count("\r") < 10
    assert "10/10 objects" in text
    assert text.endswith("\r\033[K")


def test_progress_without_a_stream_draws_nothing(capfd):
    progress = Progress(None)
    progress.start("scanning", 10, 1000)
    progress.update(5, 500, force=True)
    progress.scanned(10, 1000, 10, 1000)
    progress.clear()  # nothing to clear, nothing raised
    assert progress.stream is None  # it did not fall back to a stream of its own
    assert capfd.readouterr() == ("", "")  # not a byte on stdout or stderr


def test_render_counts_any_unit_and_says_more():
    """`tokscan audit`'s line: repositories done of total, bytes, keys so far, time left."""
    line = render("auditing", 3, 30_000_000, 10, None, 6.0, unit="repositories",
                  extra="4 keys")
    assert "3/10 repositories" in line
    assert "30%" in line
    assert "30 MB · 4 keys · 5 MB/s · 0:14 left" in line
