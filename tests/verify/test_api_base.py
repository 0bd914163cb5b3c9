"""Where keys may be sent: only where the user says, and only encrypted (SPEC §5, §6)."""

from __future__ import annotations

import pytest
from support.tokmodel_server import TokModelServer

from tokscan.errors import ExitCode, TokscanError
from tokscan.verify import api_base


@pytest.mark.parametrize(
    ("value", "resolved"),
    [
        ("https://tokmodel.com", "https://tokmodel.com"),
        ("https://tokmodel.com/", "https://tokmodel.com"),
        ("https://gateway.example.com:8443/tokmodel/", "https://gateway.example.com:8443/tokmodel"),
        ("HTTPS://TokModel.com", "HTTPS://TokModel.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.1.2.3", "http://127.1.2.3"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://LOCALHOST", "http://LOCALHOST"),
    ],
)
def test_accepted(value, resolved):
    assert api_base.check(value) == resolved


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("http://tokmodel.com", "unencrypted"),
        ("http://10.0.0.1", "unencrypted"),
        ("http://128.0.0.1", "unencrypted"),
        ("http://localhost.evil.example", "unencrypted"),
        ("http://127.0.0.1.nip.io", "unencrypted"),
        ("http://[::ffff:10.0.0.1]", "unencrypted"),
        ("ftp://tokmodel.com", "https://"),
        ("tokmodel.com", "https://"),
        ("https://", "https://"),
        ("", "https://"),
        ("https://user:pass@tokmodel.com", "user name"),
        ("https://tokmodel.com@evil.example", "user name"),
        ("https://tokmodel.com/?x=1", "query"),
        ("https://tokmodel.com/#x", "fragment"),
        ("https://tokmodel.com:port", "not a valid URL"),
        ("https://tokmodel.com:99999", "not a valid URL"),
    ],
)
def test_rejected(value, why):
    with pytest.raises(TokscanError, match=why) as raised:
        api_base.check(value)
    assert raised.value.exit_code is ExitCode.ERROR


def test_default_and_given(monkeypatch):
    """resolve() never reads the environment: the command line does (one place for both
    parsers, tokscan/options.py), so a value that reaches here was chosen by the user."""
    monkeypatch.setenv("TOKSCAN_API_BASE", "http://evil.example")
    assert api_base.resolve(None) == "https://tokmodel.com"
    assert api_base.resolve("http://127.0.0.1:1234/") == "http://127.0.0.1:1234"
    assert api_base.resolve("https://other.example") == "https://other.example"


@pytest.mark.parametrize("command", [["staged"], ["scan", "."], ["history"], ["verify"]])
def test_an_unsafe_environment_base_fails_on_every_route(monkeypatch, run_tokscan, repo, command):
    monkeypatch.setenv("TOKSCAN_API_BASE", "http://evil.example")
    repo.write("a.py", "x = 1\n")
    repo.commit("first")
    result = run_tokscan(command, cwd=repo.path)
    assert result.code == 2
    assert "invalid API base" in result.stderr


def test_an_error_never_shows_a_key(keys):
    key = keys()
    with pytest.raises(TokscanError) as raised:
        api_base.check(f"http://evil.example/{key}")
    assert key not in raised.value.message
    assert "tm-" in raised.value.message  # redacted, still recognisable


@pytest.mark.parametrize("value", ["http://evil.example", "https://user@x.example"])
def test_bad_api_base_on_the_command_line_exits_2(tmp_path, run_tokscan, value):
    result = run_tokscan(["scan", "--verify", "--api-base", value, str(tmp_path)])
    assert result.code == 2
    assert "invalid API base" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_api_base_in_the_environment_exits_2(tmp_path, run_tokscan, monkeypatch):
    monkeypatch.setenv("TOKSCAN_API_BASE", "http://evil.example")
    result = run_tokscan(["scan", "--verify", str(tmp_path)])
    assert result.code == 2
    assert "invalid API base 'http://evil.example'" in result.stderr


@pytest.mark.parametrize(
    "setting",
    [
        "api_base: {url}",
        "api-base: {url}",
        "apiBase: {url}",
        "API_BASE: {url}",
        "verify: {{api_base: {url}}}",
        "base: &b {url}\n<<: {{api_base: *b}}",
        "verify: true\nallow: []\napi_base: {url}",
    ],
)
def test_a_hostile_config_cannot_redirect_verification(tmp_path, keys, run_tokscan, setting):
    """A repository that names its own API base would receive every key scanned in it
    (and, with `tokscan ci`, a secret of the CI's). tokscan refuses to run instead."""
    key = keys()
    with TokModelServer() as evil:
        project = tmp_path / "project"
        project.mkdir()
        (project / ".tokscan.yaml").write_text(setting.format(url=evil.url) + "\n")
        (project / "settings.py").write_text(f'KEY = "{key}"\n')
        result = run_tokscan(["scan", "--verify", "."], cwd=project)
        assert evil.requests == []
    assert result.code == 2
    assert ".tokscan.yaml:" in result.stderr
    assert key not in result.stdout + result.stderr


def test_the_forbidden_key_error_says_why(tmp_path, run_tokscan):
    (tmp_path / ".tokscan.yaml").write_text("verify: true\napi_base: https://evil.example\n")
    result = run_tokscan(["scan", "."], cwd=tmp_path)
    assert result.code == 2
    assert ".tokscan.yaml:2: 'api_base' is not allowed here" in result.stderr
    assert "--api-base or TOKSCAN_API_BASE" in result.stderr
