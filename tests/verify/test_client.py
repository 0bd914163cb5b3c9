"""The probe against a real HTTP server on 127.0.0.1 standing in for TokModel (SPEC §5)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.tokmodel_server import Reply, TokModelServer

from tokscan import __version__
from tokscan.errors import TokscanError
from tokscan.model import Status, Verdict
from tokscan.verify import client
from tokscan.verify.client import Settings

# Quick retries, so the tests of retrying take a fraction of a second.
FAST = Settings(timeout=2.0, backoff=0.02, retry_after_cap=2.0)


def probe(api: TokModelServer, key: str, settings: Settings = FAST) -> Verdict:
    return client.probe_all([key], api.url, settings)[key]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, Status.LIVE),
        (422, Status.LIVE),
        (402, Status.LIVE),
        (403, Status.LIVE),
        (404, Status.LIVE),
        (200, Status.LIVE),
        (204, Status.LIVE),
        (401, Status.REVOKED),
        (405, Status.UNKNOWN),
        (418, Status.UNKNOWN),
    ],
)
def test_status_mapping(tokmodel, keys, status, expected):
    key = keys()
    tokmodel.reply(key, Reply(status, body=b"" if status == 204 else b"{}"))
    verdict = probe(tokmodel, key)
    assert verdict.status is expected
    assert str(status) in verdict.detail
    assert len(tokmodel.requests) == 1


def test_a_key_the_server_does_not_know_is_revoked(tokmodel, keys):
    assert probe(tokmodel, keys()) == Verdict(Status.REVOKED, "HTTP 401")


def test_the_request_can_never_be_billed(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, 400)
    probe(tokmodel, key)
    [request] = tokmodel.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {key}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"tokscan/{__version__}"
    # Nothing to complete: no messages, a model that does not exist, one token at most.
    assert json.loads(request.body) == {
        "model": "tokscan/key-check",
        "messages": [],
        "max_tokens": 1,
    }
    assert "cookie" not in request.headers


def test_api_base_with_a_path_and_trailing_slash(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, 400)
    client.probe_all([key], tokmodel.url + "/proxy/", FAST)
    assert tokmodel.requests[0].path == "/proxy/v1/chat/completions"


def test_each_key_is_probed_once(tokmodel, keys):
    key, other = keys(), keys()
    verdicts = client.probe_all([key] * 50 + [other] * 3, tokmodel.url, FAST)
    assert set(verdicts) == {key, other}
    assert len(tokmodel.requests_for(key)) == 1
    assert len(tokmodel.requests_for(other)) == 1


def test_no_keys_no_request(tokmodel):
    assert client.probe_all([], tokmodel.url) == {}
    assert tokmodel.requests == []


@pytest.mark.slow
def test_429_with_retry_after_then_success(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(429, {"Retry-After": "1"}), 400)
    verdict = probe(tokmodel, key)
    assert verdict == Verdict(Status.LIVE, "HTTP 400")
    first, second = tokmodel.requests_for(key)
    assert second.at - first.at >= 1.0  # Retry-After was honoured


def test_retry_after_is_capped(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(429, {"Retry-After": "3600"}), 401)
    started = time.monotonic()
    verdict = probe(tokmodel, key, Settings(backoff=0.02, retry_after_cap=0.1))
    assert verdict.status is Status.REVOKED
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_a_rate_limit_holds_back_every_request(tokmodel, keys):
    limited, slow, later = keys(), keys(), keys()
    tokmodel.reply(limited, Reply(429, {"Retry-After": "1"}), 400)
    tokmodel.reply(slow, Reply(400, delay=0.3))
    tokmodel.reply(later, 400)
    settings = Settings(concurrency=2, backoff=0.02)
    verdicts = client.probe_all([limited, slow, later], tokmodel.url, settings)
    assert all(v.status is Status.LIVE for v in verdicts.values())
    # `later` waited for the Retry-After that `limited` got, though it was not limited.
    assert tokmodel.requests_for(later)[0].at - tokmodel.requests_for(limited)[0].at >= 1.0


@pytest.mark.parametrize("failures", [[500], [503], [500, 503], [502, 429, 504]])
def test_5xx_then_success(tokmodel, keys, failures):
    key = keys()
    tokmodel.reply(key, *failures, 422)
    assert probe(tokmodel, key) == Verdict(Status.LIVE, "HTTP 422")
    assert len(tokmodel.requests_for(key)) == len(failures) + 1


def test_persistent_5xx_is_unknown(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, 503)
    verdict = probe(tokmodel, key)
    assert verdict.status is Status.UNKNOWN
    assert verdict.detail == "HTTP 503, 4 attempts"
    assert len(tokmodel.requests_for(key)) == FAST.attempts


def test_persistent_429_is_unknown_never_revoked(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(429, {"Retry-After": "0"}))
    verdict = probe(tokmodel, key)
    assert verdict.status is Status.UNKNOWN
    assert "429" in verdict.detail


def test_a_server_that_hangs_is_unknown(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(hang=True))
    verdict = probe(tokmodel, key, Settings(timeout=0.3))
    assert verdict == Verdict(Status.UNKNOWN, "no answer within 0.3 s")
    assert len(tokmodel.requests_for(key)) == 1  # a timeout is not retried


def test_a_hanging_api_does_not_keep_everyone_waiting(tokmodel, keys):
    many = [keys() for _ in range(30)]
    tokmodel.default = Reply(hang=True)
    verdicts = client.probe_all(many, tokmodel.url, Settings(timeout=0.3))
    assert {v.status for v in verdicts.values()} == {Status.UNKNOWN}
    # The first wave timed out; the rest were not sent to an API that never answered.
    assert len(tokmodel.requests) <= Settings().concurrency
    assert sum(v.detail.startswith("not checked: API unreachable") for v in verdicts.values()) >= 22


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_unknown(keys):
    key = keys()
    verdict = client.probe_all([key], f"http://127.0.0.1:{_closed_port()}", FAST)[key]
    assert verdict.status is Status.UNKNOWN
    assert verdict.detail.startswith("connection failed")
    assert key not in verdict.detail


def test_an_unreachable_api_fails_fast_for_many_keys(keys):
    many = [keys() for _ in range(40)]
    verdicts = client.probe_all(many, f"http://127.0.0.1:{_closed_port()}", FAST)
    assert {v.status for v in verdicts.values()} == {Status.UNKNOWN}
    skipped = [v for v in verdicts.values() if v.detail.startswith("not checked")]
    assert len(skipped) >= 40 - FAST.concurrency


def test_tls_failure_is_unknown_and_not_retried(tokmodel, keys):
    key = keys()
    https = tokmodel.url.replace("http://", "https://")  # a plain-http server: TLS fails
    verdict = client.probe_all([key], https, FAST)[key]
    assert verdict.status is Status.UNKNOWN
    assert verdict.detail.startswith("TLS error")


def test_a_redirect_is_not_followed_to_another_host(tokmodel, keys):
    key = keys()
    with TokModelServer(host="127.0.0.2") as elsewhere:
        location = elsewhere.url + "/v1/chat/completions"
        tokmodel.reply(key, Reply(307, {"Location": location}))
        verdict = probe(tokmodel, key)
        assert elsewhere.requests == []  # the key never reached the other host
    assert verdict == Verdict(Status.UNKNOWN, "HTTP 307: redirect not followed")


def test_a_huge_body_is_not_read(tokmodel, keys):
    key, after = keys(), keys()
    tokmodel.reply(key, Reply(400, huge=200 << 20))
    tokmodel.reply(after, 401)
    started = time.monotonic()
    verdicts = client.probe_all([key, after], tokmodel.url, Settings(concurrency=1))
    assert verdicts[key] == Verdict(Status.LIVE, "HTTP 400")
    assert verdicts[after] == Verdict(Status.REVOKED, "HTTP 401")  # the client recovered
    assert time.monotonic() - started < 10  # 200 MB was not downloaded


@pytest.mark.parametrize(
    "body", [b"<html><body>Forbidden</body></html>", b"\xff\xfe\x00garbage", b"", b"{" * 10000]
)
def test_a_body_that_is_not_json(tokmodel, keys, body):
    key = keys()
    tokmodel.reply(key, Reply(403, {"Content-Type": "text/html"}, body=body))
    assert probe(tokmodel, key) == Verdict(Status.LIVE, "HTTP 403")


def test_a_key_echoed_by_the_server_never_reaches_the_verdict(tokmodel, keys):
    key = keys()
    echo = json.dumps({"error": f"bad key {key}"}).encode()
    tokmodel.reply(key, Reply(418, {"X-Key": key}, body=echo))
    verdict = probe(tokmodel, key)
    assert key not in verdict.detail


def test_requests_in_flight_never_exceed_the_concurrency(tokmodel, keys):
    tokmodel.delay = 0.05
    many = [keys() for _ in range(40)]
    verdicts = client.probe_all(many, tokmodel.url)
    assert len(verdicts) == 40 and len(tokmodel.requests) == 40
    assert 4 <= tokmodel.max_in_flight <= Settings().concurrency == 8


def test_a_lower_concurrency_is_respected(tokmodel, keys):
    tokmodel.delay = 0.05
    client.probe_all([keys() for _ in range(12)], tokmodel.url, Settings(concurrency=3))
    assert tokmodel.max_in_flight <= 3


def test_loopback_ipv6(keys):
    key = keys()
    with TokModelServer(host="::1") as api:
        api.reply(key, 402)
        assert client.probe_all([key], api.url)[key] == Verdict(Status.LIVE, "HTTP 402")


@given(st.integers(min_value=100, max_value=599))
def test_only_a_401_ever_means_revoked(status):
    outcome = client.classify(status)
    revoked = isinstance(outcome, Verdict) and outcome.status is Status.REVOKED
    assert revoked == (status == 401)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("5", 5.0),
        (" 0 ", 0.0),
        ("soon", None),
        ("-3", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header, seconds):
    assert client.parse_retry_after(header) == seconds


def test_parse_retry_after_as_a_future_date():
    from email.utils import formatdate

    wait = client.parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert wait is not None and 25 <= wait <= 31


@pytest.mark.parametrize("value", ["0", "-1", "soon", "601"])
def test_timeout_from_the_environment_must_make_sense(monkeypatch, value):
    monkeypatch.setenv(client.TIMEOUT_ENV, value)
    with pytest.raises(TokscanError, match=client.TIMEOUT_ENV):
        Settings.from_env()


def test_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv(client.TIMEOUT_ENV, "0.5")
    assert Settings.from_env().timeout == 0.5
    monkeypatch.delenv(client.TIMEOUT_ENV)
    assert Settings.from_env() == Settings()


@pytest.mark.slow
def test_a_concurrency_limited_api_still_gets_every_key_right(tokmodel, keys):
    """An API that answers 429 (without Retry-After) above 2 requests in flight: tokscan
    backs off and lowers its concurrency until every key has its real answer."""
    tokmodel.delay = 0.03
    tokmodel.allow_in_flight = 2
    live = [keys() for _ in range(20)]
    revoked = [keys() for _ in range(20)]
    for key in live:
        tokmodel.reply(key, 403)
    verdicts = client.probe_all(live + revoked, tokmodel.url, Settings(backoff=0.05))
    assert tokmodel.rate_limited  # the limit was hit, and survived
    assert all(verdicts[key].status is Status.LIVE for key in live)
    assert all(verdicts[key].status is Status.REVOKED for key in revoked)


@pytest.mark.slow
def test_a_per_second_rate_limit_is_waited_out(tokmodel, keys):
    tokmodel.per_second = 15
    many = [keys() for _ in range(40)]
    for key in many[::2]:
        tokmodel.reply(key, 400)
    verdicts = client.probe_all(many, tokmodel.url, Settings(backoff=0.05))
    assert tokmodel.rate_limited
    assert [v.status for v in map(verdicts.get, many)] == [Status.LIVE, Status.REVOKED] * 20
    assert tokmodel.max_in_flight <= 8


def test_a_dropped_connection_is_retried(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(drop=True), Reply(drop=True), 401)
    assert probe(tokmodel, key) == Verdict(Status.REVOKED, "HTTP 401")
    assert len(tokmodel.requests_for(key)) == 3


def test_always_dropped_is_unknown(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(drop=True))
    verdict = probe(tokmodel, key)
    assert verdict.status is Status.UNKNOWN
    assert verdict.detail.startswith("connection failed") and verdict.detail.endswith("4 attempts")


@pytest.mark.slow
def test_a_body_that_never_comes_does_not_hide_the_status(tokmodel, keys):
    key = keys()
    tokmodel.reply(key, Reply(403, stall=True))
    started = time.monotonic()
    assert probe(tokmodel, key, Settings(timeout=5)) == Verdict(Status.LIVE, "HTTP 403")
    assert time.monotonic() - started < 4  # the body was given up on, not waited for


def test_cookies_never_link_one_key_to_the_next(tokmodel, keys):
    first, second = keys(), keys()
    tokmodel.reply(first, Reply(400, {"Set-Cookie": "session=abc; Path=/"}))
    client.probe_all([first, second], tokmodel.url, Settings(concurrency=1))
    assert "cookie" not in tokmodel.requests_for(second)[0].headers


@pytest.mark.slow
def test_requests_that_time_out_keep_their_slot(tokmodel, keys):
    """The API may still be working on a request tokscan gave up on: counted by the server
    as in flight until its handler returns, it must not let tokscan exceed the limit."""
    hanging = [keys() for _ in range(3)]
    others = [keys() for _ in range(30)]
    for key in hanging:
        tokmodel.reply(key, Reply(hang=True))
    for key in others:
        tokmodel.reply(key, Reply(400, delay=0.05))
    settings = Settings(concurrency=4, timeout=0.3)
    verdicts = client.probe_all([*hanging, *others], tokmodel.url, settings)
    assert tokmodel.max_in_flight <= 4
    assert all(verdicts[key].status is Status.UNKNOWN for key in hanging)
    assert all(verdicts[key].status is Status.LIVE for key in others)


def test_when_every_slot_hangs_the_rest_is_unknown_not_stuck(tokmodel, keys):
    answered, hanging, later = keys(), [keys() for _ in range(2)], [keys() for _ in range(5)]
    tokmodel.reply(answered, 400)
    for key in hanging:
        tokmodel.reply(key, Reply(hang=True))
    for key in later:
        tokmodel.reply(key, 400)
    settings = Settings(concurrency=2, timeout=0.3)
    verdicts = client.probe_all([answered, *hanging, *later], tokmodel.url, settings)
    assert verdicts[answered].status is Status.LIVE
    assert all(verdicts[key].status is Status.UNKNOWN for key in hanging)
    assert all(
        verdicts[key].detail == "not checked: the API stopped answering" for key in later
    )
    assert tokmodel.max_in_flight <= 2


@pytest.mark.parametrize("value", ["0", "never", "86401"])
def test_deadline_from_the_environment_must_make_sense(monkeypatch, value):
    monkeypatch.setenv(client.DEADLINE_ENV, value)
    with pytest.raises(TokscanError, match=client.DEADLINE_ENV):
        Settings.from_env()


def test_deadline_from_the_environment(monkeypatch):
    monkeypatch.setenv(client.DEADLINE_ENV, "45")
    assert Settings.from_env().deadline == 45.0


def test_an_api_that_always_rate_limits_cannot_hold_the_run_past_its_deadline(tokmodel, keys):
    """Each 429 asks for an hour (capped at 10 s per wait) and each key may try 8 times: without
    a deadline for the whole run, 40 keys one at a time would take the better part of an hour."""
    tokmodel.default = Reply(429, {"Retry-After": "3600"})
    many = [keys() for _ in range(40)]
    settings = Settings(backoff=0.02, deadline=1.0)
    started = time.monotonic()
    verdicts = client.probe_all(many, tokmodel.url, settings)
    assert time.monotonic() - started < 1.0 + settings.timeout
    assert {v.status for v in verdicts.values()} == {Status.UNKNOWN}
    details = {v.detail for v in verdicts.values()}
    assert all("deadline" in d and client.DEADLINE_ENV in d for d in details)
    # Requests stopped at the deadline: far fewer than 8 attempts for each of the 40 keys.
    assert len(tokmodel.requests) < 40
