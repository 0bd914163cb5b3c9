"""The acceptance test of issue 2, with our own corpus (tests/support/corpus.py): every planted key
found at the right path, line and column, and nothing else reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import corpus, jsonreport, process
from support.gitrepo import GitRepo

from tokscan import keyformat


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> corpus.Corpus:
    return corpus.generate(tmp_path_factory.mktemp("corpus") / "tree")


def expected(made: corpus.Corpus, prefix: str = "") -> list[tuple[str, int, int, str]]:
    return sorted(
        (prefix + p.path, p.line, p.column, keyformat.fingerprint(p.key))
        for p in made.planted
        if not p.suppressed
    )


def found(report: dict) -> list[tuple[str, int, int, str]]:
    return sorted((f["path"], f["line"], f["column"], f["fingerprint"]) for f in report["findings"])


def test_the_corpus_is_broad(made):
    files = [p for p in made.root.rglob("*") if p.is_file()]
    assert len(files) >= 150
    suffixes = {p.suffix or p.name for p in files}
    for kind in (".py", ".js", ".ts", ".go", ".rs", ".java", ".rb", ".php", ".sh", ".yaml",
                 ".toml", ".json", ".env", ".ini", "Dockerfile", ".ipynb", ".md", ".csv",
                 ".html", ".sql", ".log", ".c", ".xml"):
        assert kind in suffixes, kind
    assert any(b"\r\n" in p.read_bytes() for p in files)
    assert any(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in files)
    assert len(made.planted) > 500
    assert made.decoys > 500
    assert sum(p.suppressed for p in made.planted) > 0


def test_every_planted_key_and_nothing_else(made):
    result = process.run(["scan", "--format", "json"], made.root)
    report = jsonreport.load(result.stdout)
    assert result.code == 1
    assert report["scan"]["errors"] == []
    assert found(report) == expected(made)
    assert report["summary"]["suppressed"] == sum(p.suppressed for p in made.planted)
    assert report["scan"]["root"] == str(made.root)
    everything = result.stdout + result.stderr
    leaked = [p.key for p in made.planted if p.key in everything or p.key[3:] in everything]
    assert leaked == []


@pytest.mark.slow
def test_the_same_corpus_in_git_and_twice_over_in_parallel(made, tmp_path):
    """Committed to a repository, the corpus gives the same findings; two copies (over 256
    files) are spread over processes and still give exactly both sets."""
    repo = GitRepo(tmp_path / "repo")
    shutil.copytree(made.root, repo.path / "one", symlinks=True)
    shutil.copytree(made.root, repo.path / "two", symlinks=True)
    repo.commit("corpus")
    result = process.run(["scan", "-f", "json", "--jobs", "2"], repo.path)
    report = jsonreport.load(result.stdout)
    assert found(report) == sorted(expected(made, "one/") + expected(made, "two/"))
    assert report["scan"]["objects_scanned"] == 2 * sum(
        1 for p in made.root.rglob("*") if p.is_file()
    )


def test_text_report_of_the_corpus_names_every_place(made):
    result = process.run(["scan"], made.root)
    assert result.code == 1
    for path, line, column, _ in expected(made):
        assert f"{path}:{line}:{column}" in result.stdout
    assert not [p for p in made.planted if p.key in result.stdout]


def test_generator_records_what_it_writes(made):
    for planted in made.planted[:200]:
        data = Path(made.root, planted.path).read_bytes()
        lines = data.split(b"\n")
        line = lines[planted.line - 1].decode("utf-8", "surrogateescape")
        assert line[planted.column - 1 : planted.column - 1 + 35] == planted.key
