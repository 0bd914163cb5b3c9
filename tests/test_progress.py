"""The progress line: what it says, that it fits the terminal, that it counts as the summary
does, and that it leaves nothing behind."""

from __future__ import annotations

import io
import re

import pytest
from support.process import run

from tokscan.progress import Progress, render


def test_render_with_totals():
    line = render("scanning blobs", 500, 50_000_000, 1000, 100_000_000, 2.0, width=200)
    assert line.startswith("scanning blobs [##########----------] 50%")
    assert "500/1,000 objects" in line
    assert "50.0 MB/100.0 MB" in line  # the summary's own number format
    assert "25.0 MB/s" in line
    assert line.endswith("0:02 left")


def test_render_without_totals():
    line = render("reading", 12, 3_000_000, None, None, 0.1)
    assert line == "reading · 12 objects · 3.0 MB"


@pytest.mark.parametrize("width", [200, 100, 79, 59, 40, 30])
def test_render_fits_the_width_and_keeps_speed_and_time_left(width):
    line = render("scanning blobs", 81_889, 1_234_567_890, 100_000, 2_000_000_000, 12.0, width)
    assert len(line) <= width
    assert line.endswith("102.9 MB/s · 0:07 left")  # shortened elsewhere first
    assert "62%" in line


def test_render_drops_the_bar_and_label_before_the_count():
    line = render("scanning blobs", 81_889, 1_234_567_890, 100_000, 2_000_000_000, 12.0, 59)
    assert line == "62% · 81,889 objects · 1.2 GB · 102.9 MB/s · 0:07 left"


def _lines(text: str) -> list[str]:
    """What the terminal shows, redraw by redraw."""
    return [part.removesuffix("\033[K") for part in text.split("\r") if part.strip("\033[K")]


def test_progress_fits_a_60_column_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    stream = io.StringIO()
    progress = Progress(stream)
    progress.start("scanning blobs", 100_000, 2_000_000_000)
    progress._started -= 12  # as if 12 s had passed
    progress.update(81_889, 1_234_567_890, force=True)
    [*_, last] = _lines(stream.getvalue())
    assert len(last) <= 59
    assert last.endswith("MB/s · 0:07 left")


def test_progress_lists_before_it_counts_and_carries_counts_across_phases():
    stream = io.StringIO()
    progress = Progress(stream)
    progress.listing("scanning blobs")
    progress.scanned(0, 0, 0, 0)  # still listing: nothing to count yet
    progress.scanned(10, 1000, 40, 4000)
    progress.start("attributing keys to commits")
    progress.update(5, 500, force=True)
    lines = _lines(stream.getvalue())
    assert lines[0] == "listing objects…"
    assert not any(re.search(r"(?<![\d,/])0 objects", line) for line in lines)
    assert lines[-3].startswith("scanning blobs [#####---------------] 25% · 10/40 objects")
    assert lines[-2] == "attributing keys to commits · 10 objects · 1.0 KB"
    assert lines[-1] == "attributing keys to commits · 15 objects · 1.5 KB"


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


@pytest.mark.slow
def test_history_progress_counts_what_the_summary_counts(repo):
    for n in range(30):
        repo.write(f"f{n % 7}.txt", f"line {n}\n" * (n + 1))
        repo.commit(f"commit {n}")
    repo.git("tag", "-a", "v1", "-m", "a tag")
    done = run(["history", "--progress"], repo.path, env={"COLUMNS": "60"})
    assert done.code == 0, done.stderr
    scope, _, drawing = done.stderr.partition("\n")  # the scope line comes first
    assert scope.startswith("tokscan history: scanning every ref")
    drawn = _lines(drawing.split("\r\033[K")[0] + "\r")
    assert drawn[0] == "listing objects…"
    assert all(len(line) <= 59 for line in drawn)
    [summary] = [line for line in done.stdout.splitlines() if "scanned" in line]
    total = re.search(r"([\d,]+) objects, ([\d.]+ [KM]?B) scanned", summary)
    assert total is not None, summary
    assert re.search(rf"\b{total[1]} objects · {total[2]}", drawn[-1]), (drawn[-1], summary)


def test_render_counts_any_unit_and_says_more():
    """`tokscan audit`'s line: repositories done of total, bytes, keys so far, time left."""
    line = render("auditing", 3, 30_000_000, 10, None, 6.0, unit="repositories",
                  extra="4 keys")
    assert "3/10 repositories" in line
    assert "30%" in line
    assert "30.0 MB · 4 keys · 5.0 MB/s · 0:14 left" in line
