"""cli/main.py: the one error boundary, for both routes: expected failures are messages
with their exit code, a bug exits 2 (never 1) with a redacted message, and any terminal
gets the report."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tokscan import keyformat
from tokscan.commands import scan, session


def test_click_gives_the_usage_error(run_tokscan, repo):
    result = run_tokscan(["staged", "--format", "xml"], cwd=repo.path)
    assert result.code == 2
    assert "xml" in result.stderr


def test_fast_route_bad_directory(run_tokscan, tmp_path):
    result = run_tokscan(["-C", str(tmp_path / "missing"), "staged"])
    assert result.code == 2
    assert "cannot change to" in result.stderr


def test_a_bug_exits_2_not_1_and_redacts(monkeypatch, run_tokscan, repo, keys):
    key = keys()

    def broken(options, paths, all_files=False, binary=False):
        raise ValueError(f"something went wrong near {key}")

    monkeypatch.setattr(scan, "run", broken)
    result = run_tokscan(["scan", "."], cwd=repo.path)
    assert result.code == 2
    assert "internal error: ValueError" in result.stderr
    assert key not in result.stderr and f"tm-{key[3:7]}…" in result.stderr


def test_a_terminal_that_is_not_utf8_still_gets_the_report(repo, keys):
    import json
    import os
    import subprocess
    import sys

    repo.write("a.py", f"K = '{keys()}'\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for fmt in ("text", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "tokscan", "scan", "-f", fmt], cwd=repo.path, env=env,
            capture_output=True, text=True, encoding="ascii",
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        if fmt == "json":
            assert json.loads(done.stdout)["findings"][0]["secret"].count("…") == 1
        else:
            assert "\\u2026" in done.stdout


# --- Arguments echoed back are redacted ------------------------------------------------
#
# A key pasted into the wrong argument must not be printed back: every message goes out
# through report/output.py, click's usage errors included.

ECHOED = [
    pytest.param(["scan", "{key}"], id="missing-scan-path"),
    pytest.param(["scan", "-f", "json", "{key}"], id="missing-scan-path-json"),
    pytest.param(["--config", "{tmp}/{key}.yaml", "scan"], id="config"),
    pytest.param(["--config", "{tmp}/{key}.yaml", "history"], id="config-click-route"),
    pytest.param(["scan", "--baseline", "{tmp}/{key}.json"], id="baseline"),
    pytest.param(["scan", "-o", "{tmp}/{key}/report.txt"], id="output"),
    pytest.param(["-C", "{tmp}/{key}", "scan"], id="directory"),
    pytest.param(["-C", "{tmp}/{key}", "history"], id="directory-click-route"),
    pytest.param(["scan", "--write-baseline", "{tmp}/{key}.json"], id="wrote-baseline"),
    pytest.param(["ci", "--base", "{key}"], id="ci-base"),
    pytest.param(["history", "--{key}"], id="history-option"),
    pytest.param(["history", "{key}"], id="history-revision"),
    pytest.param(["scan", "--format", "{key}"], id="click-choice"),
    pytest.param(["history", "--jobs", "{key}"], id="click-number"),
    pytest.param(["staged", "--{key}"], id="click-unknown-option"),
    pytest.param(["{key}"], id="click-unknown-command"),
]


@pytest.mark.parametrize("template", ECHOED)
def test_arguments_echoed_back_are_redacted(template, run_tokscan, repo, keys, tmp_path):
    repo.write("a.txt", "nothing\n")
    repo.commit("one")
    key = keys()
    args = [arg.format(key=key, tmp=tmp_path) for arg in template]
    result = run_tokscan(args, cwd=repo.path)
    said = result.stdout + result.stderr
    assert not re.findall(r"tm-[A-Za-z0-9]{32}", said), said
    assert keyformat.redact(key) in said  # the message still says what it is about


def test_config_and_directory_after_the_command(repo, keys, run_tokscan, tmp_path):
    """An auditor overrides an untrusted repository's own allowlist, options placed as a
    gitleaks user places them; on the click route (history) and the fast one (scan)."""
    from support.keys import fingerprint

    key = keys()
    repo.write("app.py", f"KEY = '{key}'\n")
    repo.write(".tokscan.yaml", f"allow:\n  - fingerprint: {fingerprint(key)}\n")
    repo.commit("allowlisted leak")
    trusted = tmp_path / "empty.yaml"
    trusted.write_text("{}\n")
    assert run_tokscan(["history", "--no-progress"], cwd=repo.path).code == 0
    audit = run_tokscan(["history", "--no-progress", "--config", str(trusted)], cwd=repo.path)
    assert audit.code == 1, audit.stderr
    assert run_tokscan(["scan", "-C", "repo"], cwd=tmp_path).code == 0
    outside = run_tokscan(["scan", "-C", "repo", "--config", "empty.yaml"], cwd=tmp_path)
    assert outside.code == 1, outside.stderr
    assert "app.py:1:8" in outside.stdout
    pushed = run_tokscan(["history", "-C", "repo", "--config=empty.yaml", "--no-progress"],
                         cwd=tmp_path)
    assert pushed.code == 1, pushed.stderr


@pytest.mark.parametrize("columns", ["80", "60", "200"])
def test_help_gives_each_command_a_whole_summary(run_tokscan, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    done = run_tokscan(["--help"])
    assert done.code == 0
    commands = done.stdout.split("Commands:\n", 1)[1]
    assert "..." not in commands and "…" not in commands
    summaries = re.findall(r"^  (\S+) +(.*(?:\n {4,}.*)*)", commands, re.MULTILINE)
    from tokscan.cli.app import cli

    assert {name for name, _ in summaries} == set(cli.commands)
    for name, summary in summaries:
        assert " ".join(summary.split()).endswith("."), (name, summary)


def test_scan_help_says_what_scan_alone_reads(run_tokscan):
    """The help said "default: ." but `tokscan scan` alone reads what git knows, while
    `tokscan scan .` reads ignored files too (README: they differ)."""
    summary = run_tokscan(["--help"]).stdout.split("Commands:\n", 1)[1]
    text = " ".join(summary.split()) + " ".join(run_tokscan(["scan", "--help"]).stdout.split())
    assert "default: .)" not in text and "default: .;" not in text
    assert text.count("default: the repository as git sees it") == 2


def test_quiet_is_listed_with_one_meaning(run_tokscan):
    helps = {command: run_tokscan([command, "--help"]).stdout for command in ("scan", "verify")}
    for command, text in helps.items():
        assert "-q, --quiet" in text
        assert "Print less" in " ".join(text.split()), command
    assert "--no-prompt" in helps["verify"]


@pytest.mark.parametrize("choice", ["python", "hyperscan"])
def test_version_names_the_needle_search_in_use(choice, run_tokscan, monkeypatch, tmp_path):
    if choice == "hyperscan":
        pytest.importorskip("hyperscan")
    from tokscan.detect import matcher

    monkeypatch.setattr(matcher, "_search", None)
    monkeypatch.setenv("TOKSCAN_MATCHER", choice)
    result = run_tokscan(["--version"], cwd=tmp_path)
    assert (result.code, result.stdout) == (0, f"tokscan, version 0.1.0 (matcher: {choice})\n")


def test_a_scan_run_as_a_program_exits_at_once_with_everything_written(repo, keys):
    """The console script leaves right after a scan (os._exit, no teardown): the whole
    report is written first and the exit code is the scan's, also when the reader of its
    output stops early."""
    for i in range(300):
        repo.write(f"m{i}.py", f"value = {i}\n" + (f"k = '{keys()}'\n" if i % 100 == 0 else ""))
    done = subprocess.run([sys.executable, "-m", "tokscan", "scan", "-f", "json"],
                          cwd=repo.path, capture_output=True)  # fmt: skip
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert len(report["findings"]) == 3 and report["scan"]["objects_scanned"] == 300
    head = subprocess.Popen([sys.executable, "-m", "tokscan", "scan"], cwd=repo.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert head.stdout is not None and head.stderr is not None
    head.stdout.read(10)
    head.stdout.close()  # the reader goes away, as `| head -c 10` does
    assert head.wait(timeout=60) == 1
    assert b"Traceback" not in head.stderr.read()


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_closed_standard_streams_keep_the_scans_exit_code(repo, keys, closed):
    """`tokscan scan >&-`: nowhere to write, as with >/dev/null; the exit code is still the
    scan's (1: a key), not an internal error."""
    repo.write("a.py", f"K = '{keys()}'\n")
    command = f'"{sys.executable}" -m tokscan scan {closed}'
    done = subprocess.run(["sh", "-c", command], cwd=repo.path, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr


def test_a_scan_leaves_no_reference_cycles_for_the_collector_it_runs_without(
    run_tokscan, tmp_path, keys, monkeypatch
):
    """The console script runs the fast route with CPython's cycle collector off
    (cli/main.py): a scan, archives and unreadable ones included, must leave nothing that
    only the collector would free, or a tree of many archives would grow without bound."""
    import gc
    import io
    import lzma
    import tarfile
    import zipfile

    folder = tmp_path / "tree"
    folder.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.py", f"k = '{keys()}'\n")
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        member = tarfile.TarInfo("in.zip")
        member.size = len(inner.getvalue())
        archive.addfile(member, io.BytesIO(inner.getvalue()))
    (folder / "nested.tar.gz").write_bytes(packed.getvalue())
    (folder / "cut.zip").write_bytes(inner.getvalue()[:-20])
    (folder / "key.xz").write_bytes(lzma.compress(f"{keys()}\n".encode()))
    for n in range(300):
        (folder / f"m{n}.py").write_text(f"value = {n}\n")
    run_tokscan(["scan", str(folder)])  # imports and caches settle first
    gc.collect()
    gc.disable()
    leaked: list[int] = []
    # what the scan left when the report begins: the collector is on again from there
    monkeypatch.setattr(session, "conclude", _counting_garbage(leaked, session.conclude))
    try:
        result = run_tokscan(["scan", str(folder), "--jobs", "1", "-f", "json"])
    finally:
        gc.enable()
    assert result.code == 2  # the keys, and the cut archive: incomplete
    assert "nested.tar.gz!in.zip!a.py" in result.stdout
    assert leaked == [0]
    assert gc.isenabled()


def _counting_garbage(leaked, conclude):
    import gc

    def counted(*args, **kwargs):
        leaked.append(gc.collect())
        return conclude(*args, **kwargs)

    return counted
