"""Verification wired into every scanning command through `session.conclude` (SPEC §3, §5)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.tokmodel_server import Reply

from tokscan.commands import session
from tokscan.model import Finding, Report, Status, Where
from tokscan.options import Options


def project(path: Path, files: dict[str, str], config: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    if config is not None:
        (path / ".tokscan.yaml").write_text(config)
    return path


def test_verify_fills_status_and_detail(tmp_path, keys, tokmodel, run_tokscan, monkeypatch):
    monkeypatch.setenv("TOKSCAN_VERIFY_TIMEOUT", "0.3")
    live, revoked, unknown = keys(), keys(), keys()
    tokmodel.reply(live, 422)
    tokmodel.reply(unknown, Reply(hang=True))
    root = project(
        tmp_path / "p", {"a.py": f"A = '{live}'\nB = '{revoked}'\n", "b.py": f"C = '{unknown}'\n"}
    )
    result = run_tokscan(["scan", "--verify", "-f", "json", "."], cwd=root)
    report = json.loads(result.stdout)
    statuses = {
        f["path"] + ":" + str(f["line"]): (f["status"], f["status_detail"])
        for f in report["findings"]
    }
    assert statuses == {
        "a.py:1": ("live", "HTTP 422"),
        "a.py:2": ("revoked", "HTTP 401"),
        "b.py:1": ("unknown", "no answer within 0.3 s"),
    }
    assert report["summary"] == {
        "findings": 3,
        "failing": 2,
        "suppressed": 0,
        "live": 1,
        "revoked": 1,
        "unknown": 1,
        "unverified": 0,
    }
    assert result.code == 1
    for key in (live, revoked, unknown):
        assert key not in result.stdout + result.stderr


def test_revoked_keys_do_not_fail_the_run(tmp_path, keys, tokmodel, run_tokscan):
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\nB = '{keys()}'\n"})
    result = run_tokscan(["scan", "--verify", "."], cwd=root)
    assert result.code == 0
    assert "All 2 keys are revoked: harmless" in result.stdout
    assert "How to rotate" not in result.stdout  # nothing to rotate
    assert run_tokscan(["scan", "--verify", "--fail-on-revoked", "."], cwd=root).code == 1


@pytest.mark.slow
def test_unknown_fails_the_run(tmp_path, keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 503)
    root = project(tmp_path / "p", {"a.py": f"A = '{key}'\n"})
    result = run_tokscan(["scan", "--verify", "."], cwd=root)
    assert result.code == 1
    assert "unknown (HTTP 503, 4 attempts)" in result.stdout
    assert "treat it as working" in result.stdout
    assert "1 key that could not be checked (treat as live): rotate it now." in result.stdout


def test_live_key_text_report(tmp_path, keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 400)
    root = project(tmp_path / "p", {"a.py": f"A = '{key}'\n", "b.py": f"B = '{key}'\n"})
    result = run_tokscan(["scan", "--verify", "."], cwd=root)
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert "live (HTTP 400)" in result.stdout
    numbered = ("  1. ", "  2. ", "  3. ", "  4. ")
    steps = [n for n, line in enumerate(lines) if line.startswith(numbered)]
    assert len(steps) == 4
    assert "Create a new key" in lines[steps[0]] and "Revoke the leaked key" in lines[steps[3]]
    assert "1 live key: rotate it now." in lines
    assert lines.index("1 live key: rotate it now.") > steps[3]
    assert len(tokmodel.requests) == 1


def test_without_verify_statuses_stay_unverified(tmp_path, keys, tokmodel, run_tokscan):
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\n"})
    result = run_tokscan(["scan", "-f", "json", "."], cwd=root)
    assert json.loads(result.stdout)["findings"][0]["status"] == "unverified"
    assert tokmodel.requests == []
    text = run_tokscan(["scan", "."], cwd=root).stdout
    assert "Run again with --verify" in text


def test_a_scanned_repository_cannot_turn_verification_on(repo, keys, tokmodel, run_tokscan):
    repo.write("a.py", f"A = '{keys()}'\n")
    repo.write(".tokscan.yaml", "verify: true\n")
    repo.commit("a key, and a config that asks to send it")
    root = repo.path
    for command in (["scan", "-f", "json", "."], ["history", "-f", "json"]):
        result = run_tokscan(command, cwd=root)
        assert json.loads(result.stdout)["findings"][0]["status"] == "unverified"
        assert "`verify: true` in " in result.stderr and "is ignored" in result.stderr
    assert tokmodel.requests == []  # the loopback API never heard a thing
    quiet = run_tokscan(["scan", "-q", "."], cwd=root)
    assert quiet.code == 1 and "is ignored" not in quiet.stderr
    assert tokmodel.requests == []


def test_verify_true_from_the_users_own_word(tmp_path, keys, tokmodel, run_tokscan, monkeypatch):
    monkeypatch.setenv("TOKSCAN_VERIFY_CACHE", "off")  # each run asks the loopback API
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\n"}, config="verify: true\n")
    mine = tmp_path / "mine.yaml"  # --config FILE: the user's own file
    mine.write_text("verify: true\n")
    result = run_tokscan(["--config", str(mine), "scan", "-f", "json", "."], cwd=root)
    assert json.loads(result.stdout)["findings"][0]["status"] == "revoked"
    assert len(tokmodel.requests) == 1
    result = run_tokscan(["--config", str(mine), "scan", "--no-verify", "-f", "json", "."],
                         cwd=root)  # fmt: skip
    assert json.loads(result.stdout)["findings"][0]["status"] == "unverified"
    assert len(tokmodel.requests) == 1
    user = tmp_path / "home" / ".config" / "tokscan" / "config.yaml"  # $XDG_CONFIG_HOME
    user.parent.mkdir(parents=True)
    user.write_text("verify: true\n")
    result = run_tokscan(["scan", "-f", "json", "."], cwd=root)
    assert json.loads(result.stdout)["findings"][0]["status"] == "revoked"
    assert "is ignored" not in result.stderr
    assert len(tokmodel.requests) == 2
    user.write_text("verify: false\nexclude: [a.py]\n")  # the user's file holds `verify` only
    wrong = run_tokscan(["scan", "."], cwd=root)
    assert wrong.code == 2 and "config.yaml:2: unknown key 'exclude'" in wrong.stderr


def test_the_same_key_in_50_places_is_one_request(tmp_path, keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 403)
    root = project(tmp_path / "p", {f"f{n}.py": f"K = '{key}'\n" for n in range(50)})
    result = run_tokscan(["scan", "--verify", "-f", "json", "."], cwd=root)
    findings = json.loads(result.stdout)["findings"]
    assert len(findings) == 50 and {f["status"] for f in findings} == {"live"}
    assert len(tokmodel.requests) == 1


def test_a_second_run_uses_the_cache(tmp_path, keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 400)
    root = project(tmp_path / "p", {"a.py": f"A = '{key}'\n"})
    run_tokscan(["scan", "--verify", "."], cwd=root)
    result = run_tokscan(["scan", "--verify", "-f", "json", "."], cwd=root)
    assert len(tokmodel.requests) == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["status"] == "live"
    assert finding["status_detail"].startswith("HTTP 400, checked")
    cache_dir = Path(os.environ["XDG_CACHE_HOME"]) / "tokscan"
    for path in cache_dir.iterdir():
        assert key not in path.read_text()


def test_nothing_found_nothing_sent(tmp_path, tokmodel, run_tokscan):
    root = project(tmp_path / "p", {"a.py": "nothing here\n"})
    assert run_tokscan(["scan", "--verify", "."], cwd=root).code == 0
    assert tokmodel.requests == []


def test_an_incomplete_scan_still_exits_2(tmp_path, keys, tokmodel, run_tokscan):
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\n"})
    result = run_tokscan(["scan", "--verify", "a.py", "missing.py"], cwd=root)
    assert result.code == 2
    assert len(tokmodel.requests) == 1


def test_output_file_holds_no_key(tmp_path, keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 400)
    root = project(tmp_path / "p", {"a.py": f"A = '{key}'\n"})
    out = tmp_path / "report.json"
    result = run_tokscan(["scan", "--verify", "-f", "json", "-o", str(out), "."], cwd=root)
    assert result.code == 1
    assert json.loads(out.read_text())["findings"][0]["status"] == "live"
    assert key not in out.read_text() + result.stdout + result.stderr
    shown = run_tokscan(["scan", "--verify", "--show-secrets", "-f", "json", "."], cwd=root)
    assert json.loads(shown.stdout)["findings"][0]["secret"] == key


@pytest.mark.slow
def test_verify_without_network_is_not_a_crash(tmp_path, keys, run_tokscan, monkeypatch):
    """No DNS, no connections: every key is `unknown` with the reason, and the run fails."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    root = project(tmp_path / "p", {"a.py": "".join(f"K{n} = '{keys()}'\n" for n in range(20))})
    result = run_tokscan(["scan", "--verify", "-f", "json", "."], cwd=root)
    assert result.code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {f["status"] for f in findings} == {"unknown"}
    assert all("unreachable" in f["status_detail"] for f in findings)
    assert "Traceback" not in result.stderr


_AUDIT = """
import sys
events = []
sys.addaudithook(lambda event, args: event.startswith("socket.") and events.append(event))
from tokscan.cli.main import main
code = main(sys.argv[1:])
print("SOCKET EVENTS", sorted(set(events)), "httpx" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _audited(args: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", _AUDIT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("config", [None, "verify: false\n"])
def test_without_verify_no_socket_is_opened(tmp_path, keys, config):
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\n"}, config=config)
    code, stderr = _audited(["scan", "."], root)
    assert code == 1
    assert "SOCKET EVENTS [] False" in stderr  # no socket call at all, httpx never imported


def test_the_socket_audit_sees_verification(tmp_path, keys, tokmodel):
    """The control for the test above: with --verify the same audit does see sockets."""
    root = project(tmp_path / "p", {"a.py": f"A = '{keys()}'\n"})
    code, stderr = _audited(["scan", "--verify", "."], root)
    assert code == 0  # revoked
    assert "socket.connect" in stderr and "True" in stderr
    assert len(tokmodel.requests) == 1


@pytest.mark.parametrize(
    ("where", "at_head", "expected"),
    [
        (Where.STAGED, None, "not committed yet"),
        (Where.HISTORY, True, "anyone with a clone can use it"),
        (Where.HISTORY, False, "no longer in the file, but it is in the history"),
    ],
)
def test_conclude_verifies_for_every_command(
    tmp_path, keys, tokmodel, monkeypatch, capsys, where, at_head, expected
):
    """staged, history, pre-push and ci end in the same `conclude`: it verifies for them."""
    key = keys()
    tokmodel.reply(key, 400)
    report = Report(mode="history", root=str(tmp_path), started_at="now")
    report.findings = [
        Finding(key=key, path="a.py", line=1, column=1, where=where, present_at_head=at_head)
    ]
    code = session.conclude(report, Options(verify=True, format="json", api_base=tokmodel.url))
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (code, finding["status"]) == (1, "live")
    assert expected in finding["advice"]
    assert report.findings[0].status is Status.LIVE


def _commit_through_hook(repo, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = repo.env()
    environment.update(env)
    return subprocess.run(
        ["git", "commit", "-q", "-m", "change"],
        cwd=repo.path,
        env=environment,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_staged_hook_with_verify(repo, keys, tokmodel, run_tokscan):
    """A real `git commit` through the installed hook, with `verify: true` in the user's
    config: a revoked key lets the commit through, a live one blocks it."""
    repo.write("README.md", "hello\n")
    repo.commit("initial")
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "tokscan" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("verify: true\n")
    assert run_tokscan(["install"], cwd=repo.path).code == 0
    revoked, live = keys(), keys()
    tokmodel.reply(live, 400)
    env = {"TOKSCAN_API_BASE": tokmodel.url}

    repo.write("old.py", f"OLD = '{revoked}'\n")
    repo.add()
    done = _commit_through_hook(repo, env)
    assert done.returncode == 0, done.stderr
    assert "revoked" in done.stdout + done.stderr
    assert repo.git("rev-list", "--count", "HEAD").strip() == "2"

    repo.write("new.py", f"NEW = '{live}'\n")
    repo.add()
    done = _commit_through_hook(repo, env)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "live (HTTP 400)" in output and "not committed yet" in output
    assert "1 live key in the staged change: take it out before committing." in output
    assert live not in output and revoked not in output
    assert repo.git("rev-list", "--count", "HEAD").strip() == "2"
    assert len(tokmodel.requests) == 2


def test_staged_fast_path_verifies(repo, keys, tokmodel, capsys, monkeypatch):
    from tokscan.cli import main

    key = keys()
    tokmodel.reply(key, 403)
    repo.write("a.py", f"A = '{key}'\n")
    repo.add()
    monkeypatch.chdir(repo.path)
    code = main.main(["staged", "--verify", "-f", "json"])
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (code, finding["status"], finding["status_detail"]) == (1, "live", "HTTP 403")


def test_staged_fast_path_rejects_a_bad_api_base(repo, keys, capsys, monkeypatch):
    from tokscan.cli import main

    repo.write("a.py", f"A = '{keys()}'\n")
    repo.add()
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("TOKSCAN_API_BASE", "http://evil.example")
    assert main.main(["staged", "--verify"]) == 2
    assert "invalid API base" in capsys.readouterr().err
