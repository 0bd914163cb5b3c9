"""`--format github`: workflow commands escaped as GitHub's toolkit does, so paths with
`,`, `:`, `%` and line breaks land on the right file and nothing from the repository can
start a command; and the Markdown job summary in GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.formats import check_github, check_summary, unescape
from support.reports import finding, report

from tokscan.model import ScanError, Status
from tokscan.report import github
from tokscan.terminal import printable

ODD_PATHS = ["a,b.py", "c:d.py", "50%.py", "line\nbreak.py", "cr\rname.py", "x::y.py"]


def test_escaping_follows_the_toolkit():
    assert github.escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert github.escape_property("50% a:b,c\n") == "50%25 a%3Ab%2Cc%0A"
    assert github.command("error", "m:1,2", file="a,b:c", line=3) == (
        "::error file=a%2Cb%3Ac,line=3::m:1,2"
    )
    assert github.command("notice", "plain") == "::notice::plain"


@pytest.mark.slow
@given(st.text(), st.text())
def test_any_text_makes_one_command_that_decodes_back(path, message):
    line = github.command("error", message, file=path, title=path)
    assert "\n" not in line and "\r" not in line
    assert not controls(line)
    [(command, properties, text)] = check_github(line + "\n", secrets=True)
    # Line breaks decode back; other control characters are shown escaped, as text does.
    path, message = printable(path, keep="\r\n"), printable(message, keep="\r\n")
    assert (command, properties, text) == ("error", {"file": path, "title": path}, message)


def test_scan_of_odd_paths_annotates_each_file(repo, keys, run_tokscan):
    made = {}
    for path in ODD_PATHS:
        made[path] = keys()
        repo.write(path, f"one\ntoken: {made[path]}\n")
    result = run_tokscan(["scan", "-f", "github"], cwd=repo.path)
    assert result.code == 1
    commands = check_github(result.stdout)
    errors = [
        (props["file"], props["line"], props["col"], props["endColumn"])
        for name, props, _ in commands
        if name == "error"
    ]
    assert sorted(errors) == sorted((path, "2", "8", "43") for path in ODD_PATHS)
    # Every line is one of ours: an annotation per finding, then the summary line.
    lines = result.stdout.splitlines()
    assert len(lines) == len(ODD_PATHS) + 1
    assert lines[-1].startswith("tokscan: 6 keys in 6 places")
    for key in made.values():
        assert key not in result.stdout + result.stderr


def test_text_from_the_repository_cannot_start_a_command(keys):
    hostile = finding(keys(), path="x\n::add-mask::boom\n::error::fake.py", commit="c" * 40)
    hostile.author = "Eve\n::stop-commands::token <eve@example.com>"
    output = github.render(report(hostile))
    lines = output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=x%0A%3A%3Aadd-mask%3A%3Aboom")
    assert "%0A::stop-commands::token" in lines[0]
    check_github(output)


HOSTILE_PATH = "e\x1b[31mvil\x07\x9b\x7f.py"  # ESC, BEL, a C1 CSI and DEL
HOSTILE_AUTHOR = "Eve\x1b]0;owned\x07 <eve@example.com>"


def controls(text: str) -> list[str]:
    """The control characters in `text` other than the line breaks that end its lines."""
    return [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]


def test_control_characters_from_the_repository_are_escaped_as_text_does(keys):
    """Regression: `-f github` wrote ESC, BEL and C1 controls from file and author names to
    standard output raw, where a terminal (or the job log) would obey them."""
    hostile = finding(keys(), path=HOSTILE_PATH, commit="c" * 40)
    hostile.author = HOSTILE_AUTHOR
    made = report(hostile, errors=(ScanError("x\x1b[2Jy", "bad\x85thing"),))
    output = github.render(made)
    assert not controls(output)
    commands = check_github(output)
    assert commands[0][1]["file"] == "e\\x1b[31mvil\\x07\\x9b\\x7f.py" == printable(HOSTILE_PATH)
    assert printable(HOSTILE_AUTHOR) in commands[0][2]
    assert commands[1][2] == "x\\x1b[2Jy: bad\\x85thing"
    summary = github.summary(made)
    assert not controls(summary)
    check_summary(summary)
    assert "e\\\\x1b\\[31mvil\\\\x07" in summary  # `\x1b`, its backslash escaped for Markdown


def test_scan_of_a_hostile_name_prints_no_control_character(
    repo, keys, run_tokscan, monkeypatch, tmp_path
):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    repo.write(HOSTILE_PATH, f"K = '{keys()}'\n")
    result = run_tokscan(["scan", "-f", "github"], cwd=repo.path)
    assert result.code == 1
    assert not controls(result.stdout + result.stderr)
    assert not controls(summary.read_text(encoding="utf-8"))
    assert printable(HOSTILE_PATH) in result.stdout


def test_a_key_in_a_name_annotates_the_file_as_a_whole(keys):
    named = finding(keys(), path="conf/secret.env", line=1, column=6)
    named.in_name = True
    [(name, properties, message)] = check_github(github.render(report(named)))
    assert name == "error" and sorted(properties) == ["file", "title"]
    assert properties["file"] == "conf/secret.env"
    assert "(in the name) in conf/secret.env. The name of this file" in message
    assert "conf/secret.env:1:6 \\(in the name\\)" in github.summary(report(named))


def test_levels_titles_and_commit_messages(keys):
    revoked = finding(keys(), path="r.py", status=Status.REVOKED)
    message = finding(keys(), path=None, line=2, commit="d" * 40)
    broken = ScanError("big.bin", "permission denied")
    commands = check_github(github.render(report(revoked, message, errors=(broken,))))
    assert [(name, sorted(props)) for name, props, _ in commands] == [
        ("warning", ["col", "endColumn", "file", "line", "title"]),
        ("error", ["title"]),
        ("error", ["title"]),
    ]
    assert commands[1][2].startswith("In a commit message: TokModel API key tm-")
    assert "in commit dddddddddddd by Dev <dev@example.com>" in commands[1][2]
    assert commands[2] == (
        "error",
        {"title": "tokscan could not finish the scan"},
        "big.bin: permission denied",
    )


def test_more_than_ten_errors_adds_a_notice(keys):
    many = [finding(keys(), path=f"f{n}.py") for n in range(11)]
    commands = check_github(github.render(report(*many)))
    assert [c for c, _, _ in commands].count("error") == 11
    assert commands[-1] == (
        "notice",
        {},
        "GitHub shows 10 error annotations a step; all 11 "
        "findings are in this log and in the job summary.",
    )
    assert "notice" not in [c for c, _, _ in check_github(github.render(report(*many[:10])))]


def test_job_summary_is_appended_when_github_asks(repo, keys, run_tokscan, monkeypatch, tmp_path):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    key = keys()
    repo.write("a|b.py", f"K = '{key}'\n")
    assert run_tokscan(["scan", "-f", "github"], cwd=repo.path).code == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n## tokscan\n")
    check_summary(text)
    assert "| `tm-" in text and "a\\|b.py:1:6" in text
    assert "**Rotate every leaked key**" in text
    assert key not in text
    # Other formats leave it alone.
    assert run_tokscan(["scan", "-f", "json"], cwd=repo.path).code == 1
    assert summary.read_text() == text


def test_job_summary_that_cannot_be_written_is_an_error(repo, run_tokscan, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    repo.write("a.py", "nothing\n")
    result = run_tokscan(["scan", "-f", "github"], cwd=repo.path)
    assert result.code == 2
    assert "cannot write the job summary" in result.stderr


def test_summary_escapes_markdown_and_lists_errors(keys):
    odd = finding(keys(), path="a|b\n<script>*x*.py", commit="e" * 40)
    odd.author = "Mallory | <m@example.com>"
    made = report(odd, errors=(ScanError("x|y", "bad\nthing"),))
    text = github.summary(made)
    check_summary(text)
    assert "a\\|b↵\\<script\\>\\*x\\*.py:1:1" in text
    assert "Mallory \\| \\<m@example.com\\>" in text
    assert "- x\\|y: bad↵thing" in text
    assert github.summary(report()).splitlines()[2] == "No TokModel API keys found."


def test_markdown_escapes_a_hyphen_only_where_it_could_start_something():
    assert github.md("-x - y") == "\\-x \\- y"
    # After a letter or digit it starts nothing, and a key-shaped name stays key-shaped, so
    # that output.py can redact it (`tm\\-…` would hide it).
    assert github.md("utf-16le tm-x") == "utf-16le tm-x"


def test_unescape_helper_is_one_pass():
    assert unescape("%250A") == "%0A"
