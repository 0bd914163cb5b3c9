"""tokscan/report/text.py: the report for people, checked against golden files."""

from __future__ import annotations

import pytest
from support.keys import KeyFactory
from support.reports import FakeClock, check_golden, files_report, history_report

from tokscan import terminal
from tokscan.model import Report
from tokscan.pipeline import advice, collect
from tokscan.report import text


def test_golden_scan_through_the_cli(repo, keys, run_tokscan, monkeypatch):
    """A real `tokscan scan` of a small repository, with a clock that says 1.25 s."""
    first, second = keys(), keys()
    repo.write("src/settings.py", f"import os\n\nAPI_KEY = '{first}'\n")
    repo.write(".env", f"TOKMODEL_API_KEY={first}\n")
    repo.write("config/prod.yaml", f"tokmodel:\n  key: \"{second}\"  # tokscan:allow\n"
                                   f"  backup: {second}\n")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0")
    repo.write("README.md", "# project\n")
    monkeypatch.setattr(collect, "time", FakeClock())
    result = run_tokscan(["scan"], cwd=repo.path)
    assert result.code == 1
    assert result.stderr == ""
    for key in (first, second):
        assert key not in result.stdout
    check_golden("scan.txt", result.stdout)


def test_golden_clean_scan(repo, run_tokscan, monkeypatch):
    repo.write("a.py", "print('hello')\n")
    monkeypatch.setattr(collect, "time", FakeClock())
    result = run_tokscan(["scan"], cwd=repo.path)
    assert result.code == 0
    assert result.stdout == "No TokModel API keys found · 1 file, 15 B scanned · 1.25s\n"


@pytest.mark.parametrize("color", [False, True])
def test_golden_history_report(color):
    report = history_report(KeyFactory())
    rendered = text.render(report, color=color)
    check_golden(f"report-history{'-color' if color else ''}.txt", rendered)
    assert ("\x1b[" in rendered) is color


def test_golden_files_report_quiet():
    report = files_report(KeyFactory(seed=7))
    rendered = text.render(report, quiet=True)
    check_golden("report-files-quiet.txt", rendered)
    assert "scanned" not in rendered


def test_report_shape(keys):
    report = files_report(keys)
    rendered = text.render(report)
    lines = rendered.splitlines()
    assert lines[0] == "tokscan found 2 TokModel API keys in 3 places."
    # Findings are grouped by key: each key's header, then every place it was found.
    first = report.findings[0]
    header = next(i for i, line in enumerate(lines) if line.startswith(first.redacted))
    assert lines[header + 1] == "  .env:1:18"
    assert lines[header + 2] == "  src/settings.py:12:15"
    assert lines[header + 3].startswith("  → Take the key out")
    # The rotation steps come in TokModel's order, then the one-line summary.
    steps: list[str] = []
    for line in lines:
        if line[:5] in ("  1. ", "  2. ", "  3. ", "  4. "):
            steps.append(line[5:])
        elif steps and line.startswith("     ") and len(steps) < 5:
            steps[-1] += " " + line.strip()  # a step wrapped onto the next line
    assert steps[:4] == list(advice.ROTATION_STEPS)
    assert all(len(line) <= text.WIDTH for line in lines[:-1])
    assert lines[-1] == (
        "2 keys in 3 places · 12 files, 2.0 KB scanned · skipped 1 binary file · 0.04s"
    )
    assert text.render(report, show_secrets=True).count(first.key) == 1
    assert first.key not in rendered


def test_quiet_clean_scan_prints_nothing():
    report = Report(mode="files", root="/r", started_at="2026-01-01T00:00:00+00:00")
    assert text.render(report, quiet=True) == ""


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (2_500_000, "2.5 MB"),
     (7_300_000_000, "7.3 GB"), (12_000_000_000_000, "12,000.0 GB"), (999_960, "1.0 MB")],
)
def test_sizes(size, shown):
    report = Report(mode="staged", root="/r", started_at="x", bytes_scanned=size,
                    objects_scanned=1)
    assert text.summary(report) == f"No TokModel API keys found · 1 object, {shown} scanned · 0.00s"


def test_printable_escapes_control_characters_in_names():
    assert terminal.printable("plain/naïve 中文.py") == "plain/naïve 中文.py"
    assert terminal.printable("a\nb\tc\x1b[31m.py") == "a\\nb\\tc\\x1b[31m.py"


def test_painter():
    assert terminal.Painter(False)("x", "red") == "x"
    assert terminal.Painter(True)("x") == "x"
    assert terminal.Painter(True)("x", "red", "bold") == "\x1b[31;1mx\x1b[0m"


def test_strings_from_the_repository_cannot_drive_the_terminal(keys):
    from tokscan.model import Finding, ScanError, Where

    evil = "Mallory \x1b]0;pwned\x07\x1b[2J <m@example.com>"
    finding = Finding(key=keys(), path="a\x1b[31m.py", line=1, column=1, where=Where.HISTORY,
                      commit="a" * 40, author=evil, date="2026-01-01T00:00:00+00:00")
    report = Report(mode="history", root="/r", started_at="x", findings=[finding],
                    errors=[ScanError("b.py", "bad \x1b[2J object")], notes=["n\x1b[2J"])
    rendered = text.render(report)
    assert "\x1b" not in rendered and "\x07" not in rendered


def test_summary_counts_skipped_things_in_english(keys):
    """flask's history said "skipped 14 submodule": each reason is a noun counted as
    English counts it, or an adjective left alone ("2 excluded")."""
    report = files_report(keys)
    report.skipped = {"submodule": 14, "binary": 3, "symlink": 1, "special file": 2,
                      "excluded": 500, "git directory": 1}
    line = text.summary(report)
    assert (
        "skipped 3 binary files, 500 excluded, 1 git directory, 2 special files, "
        "14 submodules, 1 symlink ·"
    ) in line
