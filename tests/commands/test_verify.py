"""`tokscan verify`: keys on standard input, a table of statuses, exit 1 unless all revoked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.tokmodel_server import Reply

from tokscan import keyformat

PLACEHOLDER = "tm-" + "x" * 32  # the form TokModel's docs use; built here, not written out


def test_table_and_exit_code(keys, tokmodel, run_tokscan):
    live, revoked, forbidden = keys(), keys(), keys()
    tokmodel.reply(live, 400)
    tokmodel.reply(forbidden, 403)
    stdin = f"{live}\n{revoked}\n{forbidden}\n".encode()
    result = run_tokscan(["verify"], stdin=stdin)
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "STATUS", "DETAIL"]
    assert lines[1].split() == [keyformat.redact(live), "live", "HTTP", "400"]
    assert lines[2].split() == [keyformat.redact(revoked), "revoked", "HTTP", "401"]
    assert lines[3].split() == [keyformat.redact(forbidden), "live", "HTTP", "403"]
    assert "2 live keys: rotate them now." in lines
    assert "How to rotate a leaked key (in this order, so nothing breaks):" in lines
    for key in (live, revoked, forbidden):
        assert key not in result.stdout + result.stderr


def test_all_revoked_exits_0(keys, tokmodel, run_tokscan):
    result = run_tokscan(["verify"], stdin=f"{keys()}\n{keys()}\n".encode())
    assert result.code == 0
    assert "All 2 keys are revoked: harmless" in result.stdout
    assert "How to rotate" not in result.stdout


def test_unknown_exits_1(keys, tokmodel, run_tokscan, monkeypatch):
    key = keys()
    tokmodel.reply(key, Reply(hang=True))
    monkeypatch.setenv("TOKSCAN_VERIFY_TIMEOUT", "0.2")
    result = run_tokscan(["verify"], stdin=f"{key}\n".encode())
    assert result.code == 1
    assert "unknown  no answer within 0.2 s" in result.stdout


def test_surrounding_text_is_tolerated(keys, tokmodel, run_tokscan):
    """grep output, .env lines and JSON can be piped in as they are."""
    a, b, c, d = keys(), keys(), keys(), keys()
    stdin = (
        f'src/settings.py:12:API_KEY = "{a}"  # prod\n'
        f"TOKMODEL_API_KEY={b}\n"
        f'{{"key": "{c}", "again": "{a}"}}\n'
        "\n   \n"
        f"\t{d}\r\n"
        f"{PLACEHOLDER} and utm-source and tm-short\n"
    ).encode()
    result = run_tokscan(["verify", "-f", "json"], stdin=stdin)
    document = json.loads(result.stdout)
    assert [k["fingerprint"] for k in document["keys"]] == [
        keyformat.fingerprint(key) for key in (a, b, c, d)
    ]
    assert len(tokmodel.requests) == 4  # `a` appears twice, asked once; no placeholder sent


def test_json_report(keys, tokmodel, run_tokscan):
    key = keys()
    tokmodel.reply(key, 402)
    result = run_tokscan(["verify", "--format", "json"], stdin=f"{key}\n".encode())
    assert result.code == 1
    assert json.loads(result.stdout) == {
        "version": 1,
        "tool": {"name": "tokscan", "version": "0.1.0"},
        "api_base": tokmodel.url,
        "keys": [
            {
                "fingerprint": keyformat.fingerprint(key),
                "secret": keyformat.redact(key),
                "status": "live",
                "status_detail": "HTTP 402",
            }
        ],
        "summary": {"keys": 1, "live": 1, "unknown": 0, "revoked": 0},
    }


def test_show_secrets_and_output_file(keys, tokmodel, run_tokscan, tmp_path):
    key = keys()
    out = tmp_path / "verdicts.txt"
    result = run_tokscan(["verify", "--show-secrets", "-o", str(out)], stdin=f"{key}\n".encode())
    assert result.code == 0
    assert key in out.read_text()
    assert result.stdout == ""


def test_always_asks_afresh(keys, tokmodel, run_tokscan):
    """It is how a user confirms a revocation: a cached `live` must not hide it."""
    key = keys()
    tokmodel.reply(key, 400, 401)
    assert run_tokscan(["verify"], stdin=f"{key}\n".encode()).code == 1
    assert run_tokscan(["verify"], stdin=f"{key}\n".encode()).code == 0
    assert len(tokmodel.requests) == 2


@pytest.mark.parametrize("stdin", [b"", b"no keys here\n", PLACEHOLDER.encode() + b"\n"])
def test_no_key_on_stdin_is_a_usage_error(tokmodel, run_tokscan, stdin):
    """`echo "$KEY" | tokscan verify` with an empty $KEY must not look like success."""
    result = run_tokscan(["verify"], stdin=stdin)
    assert result.code == 2
    assert "no TokModel API key found on standard input" in result.stderr
    assert tokmodel.requests == []


def test_a_key_as_an_argument_is_refused(keys, tokmodel, run_tokscan):
    key = keys()
    result = run_tokscan(["verify", key], stdin=f"{keys()}\n".encode())
    assert result.code == 2
    assert "never from arguments" in result.stderr
    assert "shell history" in result.stderr and "process lists" in result.stderr
    assert key not in result.stdout + result.stderr
    assert tokmodel.requests == []


@pytest.mark.parametrize("argument", ["--key=KEYVALUE", "--tm-something", "tm-partial"])
def test_other_arguments_are_refused_too(tokmodel, run_tokscan, argument):
    result = run_tokscan(["verify", argument], stdin=b"")
    assert result.code == 2
    assert "never from arguments" in result.stderr
    if "tm-" in argument:
        assert argument not in result.stderr


def test_bad_api_base_exits_2(keys, run_tokscan):
    args = ["verify", "--api-base", "http://example.com"]
    result = run_tokscan(args, stdin=f"{keys()}\n".encode())
    assert result.code == 2
    assert "invalid API base" in result.stderr


def test_help_says_stdin(run_tokscan):
    result = run_tokscan(["verify", "--help"])
    assert result.code == 0
    assert "standard input" in result.stdout


def test_from_a_real_pipe(keys, tokmodel, tmp_path):
    key = keys()
    tokmodel.reply(key, 404)
    done = subprocess.run(
        [sys.executable, "-m", "tokscan", "verify"],
        input=f"x={key}\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "live     HTTP 404" in done.stdout
    assert key not in done.stdout + done.stderr


@pytest.mark.slow
def test_a_mixed_crowd_through_a_rate_limit(keys, tokmodel, run_tokscan):
    """Live, revoked, forbidden and flaky keys behind latency and a per-second rate limit:
    every key gets its real status, and apart from retries each is asked once."""
    tokmodel.delay = 0.02
    tokmodel.per_second = 40
    scripts = {
        "live": [400],
        "live422": [422],
        "forbidden": [403],
        "payment": [402],
        "flaky": [503, 400],
        "flakier": [500, 502, 401],
        "revoked": [401],
    }
    expected = {
        "live": "live",
        "live422": "live",
        "forbidden": "live",
        "payment": "live",
        "flaky": "live",
        "flakier": "revoked",
        "revoked": "revoked",
    }
    crowd = [(kind, keys()) for kind in scripts for _ in range(8)]
    for kind, key in crowd:
        tokmodel.reply(key, *scripts[kind])
    stdin = "".join(f"{kind}: {key}\n" for kind, key in crowd).encode()
    result = run_tokscan(["verify", "-f", "json"], stdin=stdin)
    statuses = [entry["status"] for entry in json.loads(result.stdout)["keys"]]
    assert statuses == [expected[kind] for kind, _ in crowd]
    assert result.code == 1
    for kind, key in crowd:
        answered = len(tokmodel.requests_for(key)) - tokmodel.rate_limited.count(key)
        assert answered == len(scripts[kind])
    assert tokmodel.max_in_flight <= 8
    assert {r.path for r in tokmodel.requests} == {"/v1/chat/completions"}


def _verify_typed(args: list[str], key: str) -> subprocess.CompletedProcess[str]:
    """`tokscan verify ARGS` with a terminal on standard input, the key typed, then Ctrl-D."""
    import os
    import pty

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "tokscan", "verify", *args],
        stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(follower)
    os.write(leader, f"{key}\n".encode() + b"\x04")
    out, err = child.communicate(timeout=60)
    os.close(leader)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.mark.slow
def test_quiet_means_print_less_and_no_prompt_only_skips_the_prompt(keys, tokmodel):
    key = keys()
    tokmodel.reply(key, 400)
    asked = _verify_typed([], key)
    assert asked.returncode == 1
    assert "paste keys, one a line" in asked.stderr
    assert "How to rotate a leaked key" in asked.stdout
    no_prompt = _verify_typed(["--no-prompt"], key)
    assert no_prompt.returncode == 1
    assert "paste keys" not in no_prompt.stderr
    assert "How to rotate a leaked key" in no_prompt.stdout  # only the prompt goes
    quiet = _verify_typed(["-q"], key)  # as in every command: print less
    assert quiet.returncode == 1
    assert "paste keys" not in quiet.stderr
    assert "How to rotate a leaked key" not in quiet.stdout
    assert "1 live key: rotate it now." in quiet.stdout
    assert key not in asked.stdout + asked.stderr + quiet.stdout + no_prompt.stdout
