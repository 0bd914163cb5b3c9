"""tokscan/config.py: `.tokscan.yaml` (SPEC §7): what it may say, and clear errors (file and
line, exit 2) for everything else, without ever echoing a key."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from support import jsonreport

from tokscan import config, keyformat
from tokscan.errors import ExitCode, TokscanError


def parse(text: str | bytes) -> config.Config:
    return config.parse(text.encode() if isinstance(text, str) else text, "cfg.yaml")


def error_of(text: str | bytes) -> str:
    with pytest.raises(TokscanError) as raised:
        parse(text)
    assert raised.value.exit_code is ExitCode.ERROR
    return raised.value.message


def test_full_config(keys):
    fingerprint = keyformat.fingerprint(keys())
    parsed = parse(
        "# tokscan settings\n"
        "exclude:\n"
        '  - "fixtures/**"\n'
        "  - '*.snap'\n"
        "allow:\n"
        f"  - fingerprint: {fingerprint.upper()}\n"
        "    reason: documented example key, never valid\n"
        f"  - fingerprint: '{fingerprint}'\n"
        "verify: true\n"
    )
    assert parsed.exclude == ("fixtures/**", "*.snap")
    assert parsed.allow == (
        config.AllowEntry(fingerprint, "documented example key, never valid"),
        config.AllowEntry(fingerprint, None),
    )
    assert parsed.allowed == frozenset({fingerprint})
    assert parsed.verify is True
    assert parsed.source == "cfg.yaml"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "exclude: []\nallow: []\n"])
def test_empty_config_means_defaults(text):
    parsed = parse(text)
    assert (parsed.exclude, parsed.allow, parsed.verify) == ((), (), None)  # None: not said


def test_missing_config_file_means_defaults(tmp_path):
    assert config.load(tmp_path) == config.Config()


def test_load_reads_the_root_file_or_the_explicit_one(tmp_path):
    (tmp_path / ".tokscan.yaml").write_text("verify: true\n")
    other = tmp_path / "other.yaml"
    other.write_text("exclude: [x]\n")
    assert config.load(tmp_path).verify is True
    assert config.load(tmp_path, other).exclude == ("x",)
    with pytest.raises(TokscanError, match="cannot read config file"):
        config.load(tmp_path, tmp_path / "missing.yaml")
    with pytest.raises(TokscanError, match="cannot read config file"):
        config.load(tmp_path, tmp_path)  # a directory


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("exclude: [a\n", 2, "malformed YAML"),
        ("exclude:\n  - a\n - b\n", 3, "malformed YAML"),
        ("verify: true\nverify: false\n", 2, "appears twice"),
        ("excludes:\n  - a\n", 1, "unknown key 'excludes' (known keys: allow, exclude, verify, "
         "binary, archive_max_bytes, archive_max_members, archive_max_depth)"),
        ("verify: false\n\nallowlist: []\n", 3, "unknown key 'allowlist'"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("just text\n", 1, "must be a mapping"),
        ("verify: maybe\n", 1, "'verify' must be true or false"),
        ("verify: [true]\n", 1, "'verify' must be true or false"),
        ("verify: 1\n", 1, "'verify' must be true or false"),
        ("exclude: fixtures/**\n", 1, "'exclude' must be a list"),
        ("exclude:\n  - ''\n", 2, "non-empty pattern"),
        ("exclude:\n  - [a, b]\n", 2, "non-empty pattern"),
        ("allow: abc\n", 1, "'allow' must be a list"),
        ("allow:\n  - abc\n", 2, "must be a mapping with a 'fingerprint'"),
        ("allow:\n  - reason: why\n", 2, "needs a 'fingerprint'"),
        ("allow:\n  - fingerprint: abc\n", 2, "all 64 characters, or the first 12"),
        ("allow:\n  - fingerprint: " + "g" * 64 + "\n", 2, "all 64 characters, or the first 12"),
        ("allow:\n  - fingerprint: [a]\n", 2, "'fingerprint' must be a string"),
        ("allow:\n  - fingerprint: " + "a" * 64 + "\n    why: x\n", 3, "unknown key 'why'"),
        ("api_base: https://evil.example\n", 1, "only be set with --api-base"),
        ("verify: true\napi-base: https://evil.example\n", 2, "only be set with --api-base"),
        ("apiBase: https://evil.example\n", 1, "cannot send keys to a host"),
    ],
)
def test_errors_name_the_file_and_line(text, line, words):
    message = error_of(text)
    assert message.startswith(f"cfg.yaml:{line}: ")
    assert words in message


def test_not_utf8():
    assert error_of(b"exclude: [\xff]\n") == "cfg.yaml: config file is not UTF-8 text"


def test_raw_key_in_the_allowlist_is_rejected_without_echoing_it(keys):
    key = keys()
    for text in (
        f"allow:\n  - fingerprint: {key}\n",
        f"allow:\n  - fingerprint: '{key}'\n    reason: oops\n",
        f"allow:\n  - fingerprint: {key.upper()}\n",
    ):
        message = error_of(text)
        assert message.startswith("cfg.yaml:2: this 'allow' entry holds a raw key")
        assert key not in message and key[3:] not in message
        assert key.upper()[3:] not in message


def test_raw_key_anywhere_in_the_file_is_never_echoed(keys):
    """Regression: an unknown key's name was quoted whole in the message, so a raw key typed
    as a key name (or an alias) reached the terminal and CI logs."""
    key = keys()
    for text in (
        f"{key}: true\n",
        f"allow:\n  - {key}: documented\n",
        f"exclude: *{key}\n",
        f"exclude: [{key}\n",
    ):
        message = error_of(text)
        assert key not in message and key[3:] not in message, message


def test_cli_reports_config_errors_with_exit_2(repo, keys, run_tokscan):
    key = keys()
    repo.write("a.py", f"x = '{key}'\n")
    repo.write(".tokscan.yaml", f"verify: false\nallow:\n  - fingerprint: {key}\n")
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    assert result.code == 2
    assert result.stdout == ""
    assert f"{repo.path}/.tokscan.yaml:3: this 'allow' entry holds a raw key" in result.stderr
    assert key not in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_allowlist_and_excludes_apply(repo, keys, run_tokscan):
    allowed, other, excluded = keys(), keys(), keys()
    repo.write("a.py", f"x = '{allowed}'\ny = '{other}'\n")
    repo.write("gen/b.py", f"z = '{excluded}'\n")
    repo.write(
        ".tokscan.yaml",
        f"exclude: ['gen/']\nallow:\n  - fingerprint: {keyformat.fingerprint(allowed)}\n"
        "    reason: a revoked demo key\n",
    )
    result = run_tokscan(["scan", "-f", "json"], cwd=repo.path)
    report = jsonreport.load(result.stdout)
    assert result.code == 1
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("a.py", 2)]
    assert report["summary"]["suppressed"] == 1
    text = run_tokscan(["scan"], cwd=repo.path).stdout
    assert "1 suppressed (1 by allowlist)" in text


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "exclude: " + "[" * 100_000,
        "{a: " * 100_000,
        "".join(f"{'  ' * i}- \n" for i in range(3_000)),  # block style
    ],
)
def test_deeply_nested_config_is_a_clear_error(text, tmp_path, run_tokscan):
    """Regression: "internal error: RecursionError … this is a bug"."""
    assert error_of(text) == "cfg.yaml: malformed YAML: it is nested too deeply"
    (tmp_path / ".tokscan.yaml").write_text(text)
    result = run_tokscan(["scan"], cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith("tokscan: ") and ".tokscan.yaml: malformed YAML" in (
        result.stderr
    )
    assert "internal error" not in result.stderr


def test_excluder_uses_gitignore_rules():
    excluded = config.excluder(("fixtures/**", "*.min.js", "/top.txt", "build/", "!keep.min.js"))
    assert excluded("fixtures/a/b.py")
    assert excluded("web/app.min.js")
    assert not excluded("web/keep.min.js")
    assert excluded("top.txt")
    assert not excluded("sub/top.txt")
    assert excluded("build/")
    assert excluded("build/x.py")
    assert not excluded("src/app.py")
    assert not config.excluder(())("anything")


@pytest.mark.parametrize("pattern", ["[z-a]", "a\\"])
def test_an_invalid_exclude_pattern_is_a_clear_error(tmp_path, pattern):
    path = tmp_path / ".tokscan.yaml"
    path.write_text(f"exclude:\n  - 'ok/**'\n  - '{pattern}'\n")
    with pytest.raises(TokscanError, match=r"\.tokscan\.yaml:3: 'exclude' pattern .* is invalid"):
        config.load(tmp_path)


# Patterns that make a backtracking regular expression engine take exponential time, each
# with a long path that almost matches and one that matches.
HOSTILE = [
    ("*a" * 14 + "*b", "a" * 200, "a" * 199 + "b"),
    ("**/" + "*a" * 14 + "*b", "d/" * 50 + "a" * 100, "d/" * 50 + "a" * 99 + "b"),
    ("a/**/" * 12 + "b", "a/" * 100 + "c", "a/" * 100 + "b"),
    ("*" + "[ab]*" * 12 + "c", "ba" * 100, "ba" * 100 + "c"),
]


def test_hostile_exclude_patterns_do_not_hang_a_scan(tmp_path):
    """Regression: a scanned repository's `.tokscan.yaml` with `*a*a*a…*b` made `scan` hang
    on one long file name where pathspec matches with Python's backtracking `re` (every
    platform without Hyperscan or RE2). The scan runs in a subprocess without those
    modules, so that a hang fails the test instead of stalling the suite."""
    root = tmp_path / "project"
    root.mkdir()
    lines = ["exclude:"] + [f'  - "{pattern}"' for pattern, _, _ in HOSTILE]
    (root / ".tokscan.yaml").write_text("\n".join(lines) + "\n")
    for _, miss, hit in HOSTILE:
        for path in (miss, hit):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text("x = 1\n")
    script = (
        "import sys\n"
        "sys.modules['hyperscan'] = sys.modules['re2'] = None  # the portable matchers only\n"
        "from tokscan.cli.main import main\n"
        "sys.exit(main(['scan', '-f', 'json']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    report = jsonreport.load(done.stdout)
    assert report["scan"]["objects_scanned"] == len(HOSTILE) + 1  # the misses and the config


@pytest.mark.parametrize(("pattern", "miss", "hit"), HOSTILE)
def test_hostile_exclude_patterns_are_matched_in_linear_time(pattern, miss, hit):
    excluded = config.excluder((pattern,))
    started = time.perf_counter()
    assert not excluded(miss) and not excluded(miss + "/") and not excluded("x/" + miss)
    assert excluded(hit) and excluded(hit + "/") and excluded(hit + "/y")
    assert time.perf_counter() - started < 1
