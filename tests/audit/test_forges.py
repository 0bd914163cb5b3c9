"""Listing an organisation's repositories through GitHub's and GitLab's APIs, against a
stand-in for both on 127.0.0.1 (tests/support/forge_api.py) that serves file:// URLs of
real bare repositories."""

from __future__ import annotations

import email.utils
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.forge_api import ForgeAPI, Reply, github_repo, gitlab_project
from support.gitrepo import GitRepo

from tokscan.audit import forges
from tokscan.errors import ExitCode, TokscanError

TOKEN = "ghp_" + "Q7x2" * 9  # shaped like a GitHub token; nothing may ever print it
QUICK = forges.Limits(min_wait=0.0, server_error_backoff=0.01)


@pytest.fixture
def origins(tmp_path: Path) -> list[str]:
    """file:// URLs of five bare repositories, each with one commit."""
    urls = []
    for index in range(5):
        work = GitRepo(tmp_path / f"work{index}")
        work.write("README", f"repository {index}\n")
        work.commit("first")
        bare = tmp_path / f"repo{index}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(bare)], check=True)
        urls.append(bare.as_uri())
    return urls


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForgeAPI]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    with ForgeAPI(token=TOKEN) as server:
        yield server


def listed(
    kind: str, name: str, api: str, *, forks: bool = False, archived: bool = False,
    limits: forges.Limits = QUICK, waits: list[str] | None = None,
) -> list[str]:
    on_wait = (waits if waits is not None else []).append
    return list(forges.list_sources(
        kind, name, api, forks=forks, archived=archived, on_wait=on_wait, limits=limits
    ))


def failure(kind: str, name: str, api: str, **options: object) -> str:
    with pytest.raises(TokscanError) as caught:
        listed(kind, name, api, **options)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.ERROR
    assert TOKEN not in caught.value.message
    return caught.value.message


def github_org(api: ForgeAPI, origins: list[str]) -> None:
    """Five repositories over three pages: 1 a fork, 3 archived."""
    api.github["acme"] = [
        github_repo(origins[0]), github_repo(origins[1], fork=True), github_repo(origins[2]),
        github_repo(origins[3], archived=True), github_repo(origins[4]),
    ]


def test_github_pages_through_an_organisation_with_the_token(api, origins):
    github_org(api, origins)
    urls = listed("github", "acme", api.url)
    assert urls == [origins[0], origins[2], origins[4]]
    assert [r.path.split("?")[1] for r in api.requests] == [
        "per_page=100&type=all", "per_page=100&type=all&page=2", "per_page=100&type=all&page=3"
    ]
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    assert all(r.headers["user-agent"].startswith("tokscan/") for r in api.requests)
    # what it yields are clone URLs git can use: these are real repositories
    heads = subprocess.run(["git", "ls-remote", urls[1], "HEAD"], capture_output=True, text=True)
    assert heads.returncode == 0 and len(heads.stdout.split()[0]) == 40


def test_forks_and_archived_repositories_come_when_asked(api, origins):
    github_org(api, origins)
    assert listed("github", "acme", api.url, forks=True) == [origins[i] for i in (0, 1, 2, 4)]
    assert listed("github", "acme", api.url, archived=True) == [origins[i] for i in (0, 2, 3, 4)]
    assert listed("github", "acme", api.url, forks=True, archived=True) == origins


def test_gitlab_pages_through_a_group_and_its_subgroups(api, origins):
    api.gitlab["team/platform"] = [
        gitlab_project(origins[0]), gitlab_project(origins[1], fork=True),
        gitlab_project(origins[2], archived=True), gitlab_project(origins[3]),
        gitlab_project(origins[4]),
    ]
    api.gitlab_link = False  # X-Next-Page alone carries the pages
    assert listed("gitlab", "team/platform", api.gitlab_url) == [origins[i] for i in (0, 3, 4)]
    paths = [r.path for r in api.requests]
    assert len(paths) == 3
    assert all(p.startswith("/api/v4/groups/team%2Fplatform/projects?") for p in paths)
    assert "include_subgroups=true" in paths[0] and paths[2].endswith("page=3")
    assert {r.headers["private-token"] for r in api.requests} == {TOKEN}
    assert not any("authorization" in r.headers for r in api.requests)
    api.gitlab_link = True  # and the Link header too, as gitlab.com sends both
    assert listed("gitlab", "team/platform", api.gitlab_url, forks=True, archived=True) == origins


def test_without_a_token_no_credential_is_sent(monkeypatch, origins):
    with ForgeAPI() as api:
        github_org(api, origins)
        assert len(listed("github", "acme", api.url)) == 3
        assert not any("authorization" in r.headers for r in api.requests)


@pytest.mark.slow
def test_github_rate_limit_is_waited_out_until_the_reset(api, origins):
    github_org(api, origins)
    # GitHub's primary limit: 403, nothing remaining, reset (epoch seconds) a second away
    reset = int(time.time()) + 1
    api.upcoming = [Reply(403, {
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        b'{"message": "API rate limit exceeded"}')]
    waits: list[str] = []
    started = time.monotonic()
    urls = listed("github", "acme", api.url, limits=forges.Limits(), waits=waits)
    assert urls == [origins[0], origins[2], origins[4]]
    assert time.time() >= reset and time.monotonic() - started < 5
    assert len(waits) == 1 and "GitHub rate limit" in waits[0] and "waiting" in waits[0]
    assert TOKEN not in waits[0]


@pytest.mark.slow
def test_gitlab_429_with_retry_after_is_waited_out(api, origins):
    api.gitlab["team"] = [gitlab_project(url) for url in origins]
    api.upcoming = [Reply(429, {"Retry-After": "1"}, b'{"message": "Retry later"}')]
    waits: list[str] = []
    started = time.monotonic()
    assert listed("gitlab", "team", api.gitlab_url, limits=forges.Limits(), waits=waits) == origins
    assert 1.0 <= time.monotonic() - started < 5
    assert len(waits) == 1 and "waiting 1 s" in waits[0]


def test_a_rate_limit_wait_is_capped(api, origins):
    github_org(api, origins)
    # a reset an hour away (or a clock far off) is waited for at most max_wait at a time
    hour = str(int(time.time()) + 3600)
    api.upcoming = [Reply(429, {"X-RateLimit-Reset": hour}), Reply(429, {"RateLimit-Reset": hour})]
    waits: list[str] = []
    started = time.monotonic()
    limits = forges.Limits(max_wait=0.05)
    assert len(listed("github", "acme", api.url, limits=limits, waits=waits)) == 3
    assert len(waits) == 2 and time.monotonic() - started < 1.0


def test_a_rate_limit_that_never_lifts_fails_the_listing(api, origins):
    github_org(api, origins)
    api.upcoming = [Reply(429, {"Retry-After": "0"})] * 3
    message = failure("github", "acme", api.url, limits=forges.Limits(
        min_wait=0.0, rate_limited_attempts=2))
    assert "still rate limited after 2 waits" in message


def test_a_bad_token_is_a_clear_error_that_never_shows_it(api, origins):
    github_org(api, origins)
    api.gitlab["team"] = [gitlab_project(origins[0])]
    api.token = "the-right-one"
    message = failure("github", "acme", api.url)
    assert "refused the token in GITHUB_TOKEN (401 Unauthorized)" in message
    assert "'acme'" in message
    message = failure("gitlab", "team", api.gitlab_url)
    assert "refused the token in GITLAB_TOKEN (401 Unauthorized)" in message


def test_a_401_without_a_token_asks_for_one(monkeypatch, api, origins):
    github_org(api, origins)
    monkeypatch.delenv("GITHUB_TOKEN")
    assert "asks for a token (401): set GITHUB_TOKEN" in failure("github", "acme", api.url)


def test_a_token_that_cannot_be_a_header_is_refused_before_any_request(monkeypatch, api):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "\nX-Injected: 1")
    message = failure("github", "acme", api.url)
    assert message == "GITHUB_TOKEN holds characters a token cannot have"
    assert api.requests == []


def test_a_403_that_is_no_rate_limit_fails_at_once(api, origins):
    github_org(api, origins)
    # GitHub sends reset headers on every answer; with requests left, 403 means no access
    api.upcoming = [Reply(403, {"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "1"},
                          b'{"message": "Resource protected by organization SAML enforcement"}')]
    message = failure("github", "acme", api.url)
    assert "forbidden (403: Resource protected by organization SAML enforcement)" in message
    assert len(api.requests) == 1


def test_an_unknown_organisation_or_group_is_a_clear_error(api):
    assert "GitHub has no such organisation" in failure("github", "nobody", api.url)
    assert "GitLab has no such group" in failure("gitlab", "nobody", api.gitlab_url)


def test_server_errors_are_retried_then_fail(api, origins):
    github_org(api, origins)
    api.upcoming = [Reply(502), Reply(503)]
    assert len(listed("github", "acme", api.url)) == 3
    api.upcoming = [Reply(500)] * 3
    assert "the API answered 500" in failure("github", "acme", api.url)


def test_the_token_goes_to_no_other_host(api, origins):
    github_org(api, origins)
    with ForgeAPI() as elsewhere:
        elsewhere.github["acme"] = [github_repo(origins[0])]
        # a next page on another host (here: another port) is refused, not asked for
        link = f'<{elsewhere.url}/orgs/acme/repos?page=2>; rel="next"'
        api.upcoming = [Reply(200, {"Link": link}, b"[]")]
        assert "next page is on another host" in failure("github", "acme", api.url)
        # and a redirect is not followed
        api.upcoming = [Reply(301, {"Location": f"{elsewhere.url}/orgs/acme/repos"})]
        message = failure("github", "acme", api.url)
        assert "redirect (301), which tokscan does not follow" in message
        assert elsewhere.requests == []


def test_a_next_page_that_loops_fails(api, origins):
    github_org(api, origins)
    api.upcoming = [Reply(200, {"Link": f'<{api.url}/orgs/acme/repos?per_page=100&type=all>; '
                                        'rel="next"'}, b"[]")]
    assert "points back at a page already read" in failure("github", "acme", api.url)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>", "is not JSON"),
        (b'{"message": "x"}', "not a list of repositories"),
        (b'[{"name": "a", "fork": false}]', "without a clone_url"),
    ],
)
def test_a_broken_answer_fails_the_listing(api, body, problem):
    api.upcoming = [Reply(200, body=body)]
    assert problem in failure("github", "acme", api.url)


def test_credentials_in_a_listed_url_are_taken_out(api):
    api.github["acme"] = [github_repo("https://someone:secret@git.example.com/acme/a.git"),
                          github_repo("https://git.example.com/acme/b.git")]
    assert listed("github", "acme", api.url) == [
        "https://git.example.com/acme/a.git", "https://git.example.com/acme/b.git"]


def test_each_repository_is_yielded_once(api, origins):
    api.github["acme"] = [github_repo(origins[0]), github_repo(origins[1]),
                          github_repo(origins[0])]
    assert listed("github", "acme", api.url) == origins[:2]


@pytest.mark.parametrize(
    ("api_base", "problem"),
    [
        ("http://api.example.com", "plain http:// would send the token unencrypted"),
        ("https://user:pw@api.example.com", "must not hold a user name or password"),
        ("ftp://api.example.com", "expected an https:// URL"),
        ("https://api.example.com/?x=1", "must not have a query"),
        ("https://api.example.com:port", "expected an https:// URL"),
    ],
)
def test_an_unsafe_api_base_is_refused_before_any_request(api_base, problem):
    with pytest.raises(TokscanError) as caught:
        forges.list_sources("github", "acme", api_base, forks=False, archived=False,
                            on_wait=print)
    assert problem in caught.value.message and "--github-api" in caught.value.message


@pytest.mark.parametrize(
    ("kind", "name"), [("github", "a b"), ("github", "../x"), ("github", ""), ("gitlab", "a//b"),
                       ("gitlab", "team/../x"), ("gitlab", "a\nb")]
)
def test_a_name_that_cannot_be_an_organisation_or_group_is_refused(kind, name):
    with pytest.raises(TokscanError, match=r"is not a Git(Hub|Lab) (organisation|group) name"):
        forges.list_sources(kind, name, None, forks=False, archived=False, on_wait=print)


def test_an_unknown_forge_is_refused():
    with pytest.raises(TokscanError, match="unknown forge 'bitbucket'"):
        forges.list_sources("bitbucket", "x", None, forks=False, archived=False, on_wait=print)


def urlmatch(env: dict[str, str], url: str) -> str:
    """The extra HTTP header git itself would send to `url` under `env`."""
    done = subprocess.run(["git", "config", "--get-urlmatch", "http.extraheader", url],
                          env=env, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("kind", "api_base", "inside", "outside", "user"),
    [
        ("github", None, "https://github.com/acme/a.git", "https://gitlab.com/acme/a.git",
         "x-access-token"),
        ("github", "https://ghe.example.com/api/v3", "https://ghe.example.com/acme/a.git",
         "https://github.com/acme/a.git", "x-access-token"),
        ("gitlab", None, "https://gitlab.com/team/a.git", "https://evil.example/team/a.git",
         "oauth2"),
        ("gitlab", "https://git.example.com/gitlab/api/v4",
         "https://git.example.com/gitlab/team/a.git", "https://git.example.com/other/a.git",
         "oauth2"),
    ],
)
def test_git_gets_the_token_for_the_forge_host_only(kind, api_base, inside, outside, user):
    import base64

    env = forges.git_credentials(kind, api_base, {"PATH": "/usr/bin:/bin",
                                                  f"{kind.upper()}_TOKEN": TOKEN})
    expected = base64.b64encode(f"{user}:{TOKEN}".encode()).decode()
    assert urlmatch(env, inside) == f"Authorization: Basic {expected}"
    assert urlmatch(env, outside) == ""
    # in the environment only: not one value names the token in the clear
    assert not any(TOKEN in value for name, value in env.items() if name != "GITHUB_TOKEN"
                   and name != "GITLAB_TOKEN")


def test_git_credentials_keep_other_config_entries_and_need_a_token():
    base = {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": TOKEN, "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.lowSpeedTime", "GIT_CONFIG_VALUE_0": "77"}
    env = forges.git_credentials("github", None, base)
    assert env["GIT_CONFIG_COUNT"] == "2" and env["GIT_CONFIG_KEY_1"].endswith(".extraHeader")
    done = subprocess.run(["git", "config", "http.lowSpeedTime"], env=env, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "77"
    assert forges.git_credentials("github", None, {"PATH": "/usr/bin"}) == {}
    assert forges.git_header("gitlab", None, {"GITHUB_TOKEN": TOKEN}) is None


def test_a_429_without_a_wait_waits_the_default_and_an_http_date_is_read(api, origins):
    github_org(api, origins)
    soon = email.utils.formatdate(time.time() - 5, usegmt=True)  # already past: the least wait
    api.upcoming = [Reply(429, body=b"not json"), Reply(403, {"Retry-After": soon}),
                    Reply(429, {"Retry-After": "soon"})]
    waits: list[str] = []
    limits = forges.Limits(min_wait=0.0, default_wait=0.01)
    assert len(listed("github", "acme", api.url, limits=limits, waits=waits)) == 3
    assert len(waits) == 3 and all("waiting" in w for w in waits)


def test_an_api_that_cannot_be_reached_or_does_not_answer_fails_clearly(origins):
    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        message = failure("github", "acme", url, limits=forges.Limits(timeout=0.2))
        assert message.endswith("the API did not answer within 0.2 s")
    message = failure("github", "acme", url)  # closed now: nothing listens there
    assert "could not reach the API" in message


def test_a_bad_next_page_number_fails(api):
    api.upcoming = [Reply(200, {"X-Next-Page": "2; drop"}, b"[]")]
    assert "X-Next-Page is not a page number" in failure("gitlab", "team", api.gitlab_url)


def test_a_broken_config_count_is_replaced_not_trusted():
    env = forges.git_credentials("github", None, {"GITHUB_TOKEN": TOKEN,
                                                  "GIT_CONFIG_COUNT": "many"})
    assert env["GIT_CONFIG_COUNT"] == "1" and "GIT_CONFIG_KEY_0" in env
