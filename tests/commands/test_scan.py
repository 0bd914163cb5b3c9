"""`tokscan scan` end to end (tokscan/commands/scan.py and the CLI around it): arguments,
stdin, output options, colour, exit codes, parallel scanning, and the project itself."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import jsonreport, process
from support.gitrepo import GitRepo
from support.jsonreport import places
from support.paths import ROOT

from tokscan import keyformat

ANSI = "\x1b["


def key_line(key: str) -> str:
    return f'TOKMODEL_API_KEY = "{key}"\n'  # the key at column 21


def assert_never_shown(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text
        assert key[3:] not in text


# --- arguments ------------------------------------------------------------------------


def test_stdin(keys, run_tokscan, tmp_path):
    key = keys()
    result = run_tokscan(["scan", "-f", "json", "-"], cwd=tmp_path,
                         stdin=f"line one\n  {key}\n".encode())
    assert result.code == 1
    report = jsonreport.load(result.stdout)
    assert places(report) == {("<stdin>", 2, 3)}
    assert report["findings"][0]["fingerprint"] == keyformat.fingerprint(key)
    assert report["scan"]["objects_scanned"] == 1
    assert_never_shown(key, result.stdout, result.stderr)


def test_stdin_through_a_real_pipe(keys, tmp_path):
    key = keys()
    result = process.run(["scan", "-"], tmp_path, stdin=b"x\n" * 3 + key.encode())
    assert result.code == 1
    assert "<stdin>:4:1" in result.stdout
    assert ANSI not in result.stdout + result.stderr
    assert_never_shown(key, result.stdout, result.stderr)


def test_closed_stdin_is_an_error_not_a_traceback(tmp_path):
    """Regression: `tokscan scan - <&-` crashed with a traceback and exit 1."""
    result = process.run(["scan", "-f", "json", "-"], tmp_path, preexec_fn=lambda: os.close(0))
    assert result.code == 2
    assert "Traceback" not in result.stderr
    report = jsonreport.load(result.stdout)
    assert report["scan"]["errors"] == [
        {"path": "<stdin>", "message": "standard input is closed"}
    ]


def test_stdin_binary_is_searched_unless_told_not_to(keys, run_tokscan, tmp_path):
    data = b"\0\x01" + b" " + keys().encode()
    assert run_tokscan(["scan", "-"], cwd=tmp_path, stdin=data).code == 1
    assert run_tokscan(["scan", "--binary", "-"], cwd=tmp_path, stdin=data).code == 1
    assert run_tokscan(["scan", "--no-binary", "-"], cwd=tmp_path, stdin=data).code == 0


def test_stdin_and_paths_together(repo, keys, run_tokscan):
    repo.write("a.py", key_line(keys()))
    result = run_tokscan(["scan", "-f", "json", "-", "a.py"], cwd=repo.path,
                         stdin=keys().encode())
    assert places(jsonreport.load(result.stdout)) == {("<stdin>", 1, 1), ("a.py", 1, 21)}


def test_several_path_arguments(repo, keys, run_tokscan):
    for name in ("a.py", "src/b.py", "src/c.py", "docs/d.md", "other/e.py"):
        repo.write(name, key_line(keys()))
    result = run_tokscan(["scan", "-f", "json", "a.py", "src", "docs/d.md", "src/b.py", "a.py"],
                         cwd=repo.path)
    report = jsonreport.load(result.stdout)
    # Each file once, however many times it was named.
    assert sorted(f["path"] for f in report["findings"]) == [
        "a.py", "docs/d.md", "src/b.py", "src/c.py"
    ]


def test_directory_outside_the_repository_beside_one_inside(tmp_path, keys, run_tokscan):
    """Regression: a second directory outside the first one's repository made git fail
    (`outside repository`), so the whole scan stopped with exit 2."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("in.py", key_line(keys()))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "out.py").write_text(key_line(keys()))
    result = run_tokscan(["scan", "-f", "json", ".", str(elsewhere)], cwd=repo.path)
    assert result.code == 1
    report = jsonreport.load(result.stdout)
    assert places(report) == {("in.py", 1, 21), (f"{elsewhere}/out.py", 1, 21)}


def test_directory_option_works_like_git_dash_c(repo, keys, run_tokscan, tmp_path):
    repo.write("sub/a.py", key_line(keys()))
    result = run_tokscan(["-C", str(repo.path / "sub"), "scan", "-f", "json"], cwd=tmp_path)
    assert places(jsonreport.load(result.stdout)) == {("sub/a.py", 1, 21)}
    result = run_tokscan(["-C", str(tmp_path / "nowhere"), "scan"], cwd=tmp_path)
    assert result.code == 2
    assert "cannot change to" in result.stderr


def test_explicit_config_file(repo, keys, run_tokscan, tmp_path):
    repo.write("a.py", key_line(keys()))
    repo.write("b.py", key_line(keys()))
    config = tmp_path / "elsewhere.yaml"
    config.write_text("exclude: [a.py]\n")
    result = run_tokscan(["--config", str(config), "scan", "-f", "json"], cwd=repo.path)
    assert {f["path"] for f in jsonreport.load(result.stdout)["findings"]} == {"b.py"}
    result = run_tokscan(["--config", str(tmp_path / "missing.yaml"), "scan"], cwd=repo.path)
    assert result.code == 2
    assert "cannot read config file" in result.stderr


# --- output options -------------------------------------------------------------------


def test_output_file_gets_the_report_and_stderr_the_summary(repo, keys, run_tokscan, tmp_path):
    key = keys()
    repo.write("a.py", key_line(key))
    out = tmp_path / "report.json"
    result = run_tokscan(["scan", "-f", "json", "-o", str(out)], cwd=repo.path)
    assert result.code == 1
    assert result.stdout == ""
    report = jsonreport.load(out.read_text(encoding="utf-8"))
    assert places(report) == {("a.py", 1, 21)}
    assert "1 key in 1 place" in result.stderr
    assert_never_shown(key, out.read_text(encoding="utf-8"), result.stdout, result.stderr)

    text_out = tmp_path / "report.txt"
    result = run_tokscan(["scan", "--output", str(text_out)], cwd=repo.path)
    text = text_out.read_text(encoding="utf-8")
    assert "a.py:1:21" in text
    assert ANSI not in text
    assert_never_shown(key, text, result.stdout, result.stderr)

    quiet = run_tokscan(["scan", "-q", "-f", "json", "-o", str(out)], cwd=repo.path)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (1, "", "")


def test_output_to_an_unwritable_place_is_an_error(repo, run_tokscan, tmp_path):
    result = run_tokscan(["scan", "-o", str(tmp_path / "no" / "such" / "dir" / "r.txt")],
                         cwd=repo.path)
    assert result.code == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stderr


def test_quiet(repo, keys, run_tokscan):
    repo.write("clean.py", "x = 1\n")
    clean = run_tokscan(["scan", "-q"], cwd=repo.path)
    assert (clean.code, clean.stdout, clean.stderr) == (0, "", "")
    repo.write("a.py", key_line(keys()))
    found = run_tokscan(["scan", "--quiet"], cwd=repo.path)
    assert found.code == 1
    assert "a.py:1:21" in found.stdout
    assert "scanned" not in found.stdout  # no summary line
    loud = run_tokscan(["scan"], cwd=repo.path)
    assert "1 key in 1 place" in loud.stdout


def test_show_secrets_is_the_only_way_to_see_a_key(repo, keys, run_tokscan, tmp_path):
    key = keys()
    repo.write("a.py", key_line(key))
    for args in (["scan"], ["scan", "-f", "json"], ["scan", "-q"]):
        result = run_tokscan(args, cwd=repo.path)
        assert_never_shown(key, result.stdout, result.stderr)
        assert keyformat.redact(key) in result.stdout
    for args in (["scan", "--show-secrets"], ["scan", "-f", "json", "--show-secrets"]):
        result = run_tokscan(args, cwd=repo.path)
        assert key in result.stdout
        assert key not in result.stderr
    report = jsonreport.load(run_tokscan(["scan", "-f", "json", "--show-secrets"],
                                         cwd=repo.path).stdout)
    assert report["findings"][0]["secret"] == key


def test_baseline_and_written_files_never_hold_a_key(repo, keys, run_tokscan, tmp_path):
    key = keys()
    repo.write("a.py", key_line(key))
    baseline = tmp_path / "baseline.json"
    out = tmp_path / "out.json"
    run_tokscan(["scan", "-f", "json", "-o", str(out), "--write-baseline", str(baseline)],
                cwd=repo.path)
    for written in (baseline, out):
        assert_never_shown(key, written.read_text(encoding="utf-8"))


# --- colour ---------------------------------------------------------------------------


def _scan_on_a_terminal(cwd: Path, env: dict[str, str]) -> str:
    """Run `tokscan scan` with stdout on a pseudo-terminal; returns what it printed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "tokscan", "scan"],
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
        env={**os.environ, **env},
    ) as child:
        os.close(follower)
        output = b""
        while True:
            try:
                block = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not block:
                break
            output += block
        child.wait(timeout=60)
    os.close(leader)
    return output.decode("utf-8", "replace")


def test_colour_on_a_terminal_and_never_otherwise(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", key_line(key))
    on_tty = _scan_on_a_terminal(repo.path, {"TERM": "xterm"})
    assert ANSI in on_tty
    assert "a.py:1:21" in on_tty
    assert_never_shown(key, on_tty)
    no_color = _scan_on_a_terminal(repo.path, {"TERM": "xterm", "NO_COLOR": "1"})
    assert ANSI not in no_color and "a.py:1:21" in no_color
    dumb = _scan_on_a_terminal(repo.path, {"TERM": "dumb"})
    assert ANSI not in dumb and "a.py:1:21" in dumb
    piped = process.run(["scan"], repo.path, env={"TERM": "xterm"})
    assert ANSI not in piped.stdout + piped.stderr
    assert "a.py:1:21" in piped.stdout


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "0"}, True),  # force-color.org: any non-empty value
        ({"FORCE_COLOR": ""}, False),
        ({"CLICOLOR_FORCE": "1"}, True),
        ({"CLICOLOR_FORCE": "0"}, False),  # bixense.com/clicolors: "0" does not force
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
        ({"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_colour_forced_off_a_terminal(repo, keys, env, coloured):
    key = keys()
    repo.write("a.py", key_line(key))
    piped = process.run(["scan"], repo.path, env={"TERM": "xterm", **env})
    assert piped.code == 1
    assert (ANSI in piped.stdout) is coloured
    assert "a.py:1:21" in piped.stdout.replace("\033[2m", "")
    assert_never_shown(key, piped.stdout + piped.stderr)
    staged = process.run(["staged"], repo.path, env={"TERM": "xterm", **env})  # fast route
    assert staged.code == 0 and staged.stdout == ""  # nothing staged: nothing to paint
    repo.git("add", "a.py")
    staged = process.run(["staged"], repo.path, env={"TERM": "xterm", **env})
    assert staged.code == 1
    assert (ANSI in staged.stdout) is coloured


def test_readme_says_forcing_colour_beats_term_dumb():
    """The README said colour is "never" used with TERM=dumb, then that FORCE_COLOR turns
    it on off a terminal; tokscan (as the test above checks) lets FORCE_COLOR win over
    TERM=dumb too, and the README must say so."""
    from support.paths import ROOT

    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "never with `TERM=dumb`" not in readme
    assert "unless `FORCE_COLOR` or `CLICOLOR_FORCE` forces it" in readme


# --- exit codes -----------------------------------------------------------------------


def test_exit_zero_reports_keys_but_never_fails_on_them(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", key_line(key))
    for args in (["scan", "--exit-zero"], ["scan", "--exit-zero", "-f", "json"]):
        done = run_tokscan(args, cwd=repo.path)  # the fast route
        assert done.code == 0, done.stderr
        assert "a.py" in done.stdout
    repo.git("add", "a.py")
    staged = run_tokscan(["staged", "--exit-zero"], cwd=repo.path)
    assert staged.code == 0 and "a.py:1:21" in staged.stdout
    repo.git("commit", "-qm", "a key")
    history = run_tokscan(["history", "--exit-zero", "-f", "json"], cwd=repo.path)  # click
    assert history.code == 0 and '"path": "a.py"' in history.stdout
    assert run_tokscan(["history"], cwd=repo.path).code == 1
    import gzip

    repo.write("b.gz", gzip.compress(b"x = 1\n" * 1000)[:30])  # truncated: scan incomplete
    incomplete = run_tokscan(["scan", "--exit-zero"], cwd=repo.path)
    assert incomplete.code == 2 and "a.py:1:21" in incomplete.stdout
    repo.write(".tokscan.yaml", "exclude: [a.py\n")  # a bad config: the run cannot start
    assert run_tokscan(["scan", "--exit-zero"], cwd=repo.path).code == 2


def test_exit_codes(repo, keys, run_tokscan):
    repo.write("clean.py", "x = 1\n")
    assert run_tokscan(["scan"], cwd=repo.path).code == 0
    repo.write("a.py", key_line(keys()))
    assert run_tokscan(["scan"], cwd=repo.path).code == 1
    repo.write(".tokscan.yaml", "exclude: [a.py\n")
    bad_config = run_tokscan(["scan"], cwd=repo.path)
    assert bad_config.code == 2
    assert ".tokscan.yaml:2: malformed YAML" in bad_config.stderr
    (repo.path / ".tokscan.yaml").unlink()
    usage = run_tokscan(["scan", "--no-such-option"], cwd=repo.path)
    assert usage.code == 2
    assert "No such option" in usage.stderr
    assert run_tokscan(["scan", "--format", "xml"], cwd=repo.path).code == 2
    assert run_tokscan(["scan", "--jobs", "0"], cwd=repo.path).code == 2
    assert run_tokscan(["scan", "missing.py"], cwd=repo.path).code == 2


def test_an_incomplete_scan_never_exits_0_even_with_a_baseline(repo, keys, run_tokscan, tmp_path):
    repo.write("a.py", key_line(keys()))
    baseline = tmp_path / "b.json"
    result = run_tokscan(["scan", "missing.py", ".", "--write-baseline", str(baseline)],
                         cwd=repo.path)
    assert result.code == 2


def test_version_and_help(run_tokscan, tmp_path):
    version = run_tokscan(["--version"], cwd=tmp_path)
    assert version.code == 0
    assert version.stdout.startswith("tokscan, version 0.1.0 (matcher: ")  # tests/cli/test_main.py
    helped = run_tokscan(["scan", "--help"], cwd=tmp_path)
    assert helped.code == 0
    assert "--all-files" in helped.stdout


def test_python_dash_m_and_the_console_script(repo, keys):
    repo.write("a.py", key_line(keys()))
    assert process.run(["scan"], repo.path).code == 1
    script = Path(sys.executable).parent / "tokscan"
    if script.exists():
        done = subprocess.run([str(script), "scan", "-q"], cwd=repo.path, capture_output=True)
        assert done.returncode == 1


# --- parallel scanning ----------------------------------------------------------------


def test_both_cores_give_the_same_report_as_one(repo, keys, run_tokscan):
    """300 files is past the point where scan spreads files over processes."""
    for i in range(300):
        lines = [f"line {n} of file {i}" for n in range(i % 7)]
        if i % 11 == 0:
            lines.insert(i % 3, f"  key = '{keys()}'  # number {i}")
        if i % 50 == 0:
            lines.append(f"  other = '{keys()}'; again = '{keys()}'")
        repo.write(f"pkg{i % 9}/module_{i}.py", "\n".join(lines) + "\n")
    repo.write("blob.bin", b"\0" * 10)
    os.symlink("pkg0", repo.path / "link")

    def report(jobs: str) -> dict:
        result = run_tokscan(["scan", "-f", "json", "--jobs", jobs], cwd=repo.path)
        assert result.code == 1
        document = jsonreport.load(result.stdout)
        del document["scan"]["started_at"], document["scan"]["duration_s"]
        return document

    one, two = report("1"), report("2")
    assert one == two
    assert one["scan"]["objects_scanned"] == 301  # blob.bin too: binary files are read
    assert len(one["findings"]) == 28 + 2 * 6
    # The findings come out ordered, whatever order the processes finished in.
    order = [(f["path"], f["line"], f["column"]) for f in two["findings"]]
    assert order == sorted(order)
    text_one = run_tokscan(["scan", "--jobs", "1"], cwd=repo.path).stdout
    text_two = run_tokscan(["scan"], cwd=repo.path).stdout
    assert text_one.rsplit("·", 1)[0] == text_two.rsplit("·", 1)[0]


# --- the project itself ---------------------------------------------------------------


def test_scanning_this_repository_passes(run_tokscan):
    """The project keeps no key-shaped literal outside fixtures/, which its own
    .tokscan.yaml excludes."""
    result = run_tokscan(["scan", "-f", "json"], cwd=ROOT)
    report = jsonreport.load(result.stdout)
    assert (result.code, report["findings"], report["scan"]["errors"]) == (0, [], [])
    assert report["scan"]["objects_scanned"] > 20
    # The fixtures hold placeholders and golden files only: even unexcluded, nothing fails.
    assert report["summary"]["suppressed"] == 0
    result = run_tokscan(["--config", os.devnull, "scan", "-f", "json"], cwd=ROOT)
    assert result.code == 0, json.loads(result.stdout)["findings"]


def test_no_key_shaped_literal_outside_fixtures():
    """Stricter than a scan: any `tm-` + 32 alphanumerics, glued or not, on a pragma line
    or not. Test keys are made at run time (tests/support/keys.py)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.split(b"\0")
    shaped = re.compile(rb"tm-[A-Za-z0-9]{32}")
    offenders = [
        name for name in filter(None, listed)
        if not name.startswith(b"fixtures/") and (ROOT / os.fsdecode(name)).is_file()
        and shaped.search((ROOT / os.fsdecode(name)).read_bytes())
    ]
    assert offenders == []


@pytest.mark.parametrize("args", [["scan", "-f", "json"], ["scan", "-f", "json", "-"]])
def test_empty_input(args, run_tokscan, tmp_path):
    result = run_tokscan(args, cwd=tmp_path)
    assert result.code == 0
    assert jsonreport.load(result.stdout)["findings"] == []


def test_a_report_with_raw_keys_is_written_private(repo, keys, run_tokscan, tmp_path):
    import stat

    key = keys()
    repo.write("a.py", f"K = '{key}'\n")
    out = tmp_path / "report.json"
    out.write_text("old")
    out.chmod(0o644)
    result = run_tokscan(["scan", "--show-secrets", "-f", "json", "-o", str(out)], cwd=repo.path)
    assert result.code == 1
    assert key in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_excluded_files_are_counted_not_hidden(repo, keys, run_tokscan, tmp_path):
    repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n  - '*.min.js'\n")
    repo.write("vendor/lib.py", f"K = '{keys()}'\n")
    repo.write("app.min.js", f"var k='{keys()}';\n")
    repo.write("app.py", "x = 1\n")
    result = run_tokscan(["scan"], cwd=repo.path)
    assert result.code == 0
    assert "skipped 2 excluded" in result.stdout
    plain = tmp_path / "plain"
    (plain / "vendor").mkdir(parents=True)
    (plain / "vendor" / "a.py").write_text("x\n")
    (plain / ".tokscan.yaml").write_text("exclude:\n  - 'vendor/'\n")
    assert "skipped 1 excluded" in run_tokscan(["scan", str(plain)]).stdout


# --- keys in names ----------------------------------------------------------------------


def test_a_key_in_a_file_or_folder_name_is_a_finding(keys, run_tokscan, repo):
    """Regression: a key in a name leaks with the tree (listings, archives, clones), yet
    only content was scanned."""
    in_file, in_folder, glued = keys(), keys(), keys()
    repo.write(f"docs/{in_file}.txt", "nothing secret inside\n")
    repo.write(f"conf/{in_folder}/a.py", "x = 1\n")
    repo.write(f"conf/{in_folder}/b.py", "y = 2\n")  # one folder: one finding
    repo.write(f"x{glued}9.txt", "not a key's boundaries\n")
    repo.write(f"docs/tm-{'x' * 32}.md", "a placeholder\n")
    result = run_tokscan(["scan", "-f", "json", "--show-secrets"], cwd=repo.path)
    assert result.code == 1
    report = jsonreport.load(result.stdout)
    found = places(report, ("path", "line", "column", "in_name", "fingerprint"))
    assert found == {
        (f"conf/{in_folder}", 1, 6, True, keyformat.fingerprint(in_folder)),
        (f"docs/{in_file}.txt", 1, 6, True, keyformat.fingerprint(in_file)),
    }
    assert all("rename" in f["advice"] for f in report["findings"])
    text = run_tokscan(["scan"], cwd=repo.path).stdout
    assert f"conf/{keyformat.redact(in_folder)}:1:6 (in the name)" in text
    assert_never_shown(in_file, text)


def test_a_key_in_a_name_and_the_same_key_inside_are_two_findings(keys, run_tokscan, repo):
    key = keys()
    repo.write(f"{key}", f"{key}\n")
    report = jsonreport.load(run_tokscan(["scan", "-f", "json"], cwd=repo.path).stdout)
    assert [(f["line"], f["column"], f.get("in_name")) for f in report["findings"]] == [
        (1, 1, True),
        (1, 1, None),
    ]
    for fmt in ("sarif", "gitlab"):  # still two results, with ids of their own (checked)
        assert run_tokscan(["scan", "-f", fmt], cwd=repo.path).code == 1


def test_a_key_in_an_excluded_name_is_counted_as_suppressed(keys, run_tokscan, repo):
    repo.write(".tokscan.yaml", "exclude:\n  - 'vendor/**'\n")
    repo.write(f"vendor/{keys()}.txt", "x\n")
    report = jsonreport.load(run_tokscan(["scan", "-f", "json"], cwd=repo.path).stdout)
    assert (report["findings"], report["summary"]["suppressed"]) == ([], 1)


def test_archives_go_first_on_the_shared_queue_and_nothing_is_lost():
    """The order only: files named like archives first, one a batch (the first few
    hundred), then the rest in batches; every target exactly once."""
    from tokscan.commands import scan
    from tokscan.sources.files import Target

    names = [f"src/m{i}.py" for i in range(200)] + ["a.ZIP", "t/x.tar.gz", "lib.jar"]
    names += [f"many/{i}.gz" for i in range(300)]
    targets = [Target(name, "/nowhere/" + name) for name in names]
    batches = scan._batches(targets)
    assert [b[0].path for b in batches[:3]] == ["a.ZIP", "t/x.tar.gz", "lib.jar"]
    assert all(len(b) == 1 for b in batches[:256])
    assert sorted(t.path for b in batches for t in b) == sorted(names)
    assert max(len(b) for b in batches) == 64
