"""Which repositories an organisation holds: GitHub's and GitLab's list APIs (issue 17).

`list_sources("github", ORG, ...)` pages through `GET /orgs/{org}/repos`, and
`list_sources("gitlab", GROUP, ...)` through `GET /groups/{group}/projects` (subgroups
included), yielding clone URLs one page at a time, so 10,000 repositories never sit in one
list. The token comes from `GITHUB_TOKEN` / `GITLAB_TOKEN` only: argv lands in shell history
and process lists. It is sent to the API base the user chose and nowhere else: redirects
are not followed, and a "next page" link that points at another host is refused. No
message, error or URL this module makes holds it; the clone URLs it yields are the API's
own, with any user name or password taken out. `git_credentials` hands the token to git for
private repositories through the environment, scoped to the forge's own host
(`git_header`, `git_credentials`).

A rate limit (403 or 429 with `Retry-After`, or a reset time with nothing left) is waited
out, saying how long through `on_wait`, never failed; a bad token (401) is a clear error.
An enumeration that cannot finish raises TokscanError (exit 2): an audit that silently
missed repositories would pass for a clean one. httpx is imported only when listing starts.
"""

from __future__ import annotations

import base64
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from tokscan import __version__
from tokscan.errors import TokscanError
from tokscan.verify.api_base import is_loopback

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True, slots=True)
class Forge:
    label: str  # how messages name it
    default_api: str
    token_env: str
    group_word: str  # what the name given names: an organisation, a group
    git_user: str  # the user name git sends with the token over HTTPS


GITHUB = Forge("GitHub", "https://api.github.com", "GITHUB_TOKEN", "organisation", "x-access-token")
GITLAB = Forge("GitLab", "https://gitlab.com/api/v4", "GITLAB_TOKEN", "group", "oauth2")
FORGES = {"github": GITHUB, "gitlab": GITLAB}


@dataclass(frozen=True, slots=True)
class Limits:
    min_wait: float = 1.0  # the shortest one, so that a wrong clock cannot make a busy loop
    max_wait: float = 900.0  # the longest one rate-limit wait, in seconds, whatever the API says
    default_wait: float = 60.0  # a 429 that does not say how long
    rate_limited_attempts: int = 8  # rate-limit answers in a row for one page, then give up
    server_error_attempts: int = 3  # tries of one page while the API answers 5xx
    server_error_backoff: float = 2.0  # seconds before the first retry after a 5xx, doubled
    timeout: float = 30.0  # seconds for one request


# GitHub: letters, digits and single hyphens, at most 39. GitLab: a path of groups
# (`parent/child`) or a numeric id.
_GITHUB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITLAB_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.+-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.+-]*)*")
_TOKEN = re.compile(r"[!-~]+")  # printable ASCII without spaces: anything else breaks a header
_MAX_DETAIL = 200


def list_sources(
    kind: str,
    name: str,
    api: str | None,
    *,
    forks: bool,
    archived: bool,
    on_wait: Callable[[str], None],
    limits: Limits = Limits(),  # frozen: one default shared safely
) -> Iterator[str]:
    """The clone URL of every repository of GitHub organisation / GitLab group `name`, each
    once, forks and archived repositories only when asked. `api` is the API base
    (GitHub Enterprise: `https://HOST/api/v3`; self-managed GitLab: `https://HOST/api/v4`),
    None for the public service."""
    forge = _forge(kind)
    base = check_api(forge, api)
    token = _token(forge)
    first = _first_page(forge, base, _checked_name(forge, name))
    # Checked above, before the first page is asked for: a bad flag fails at once.
    pager = _Pager(forge, name, token, limits, on_wait)
    return _listed(pager, base, first, forks=forks, archived=archived)


def _listed(pager: _Pager, base: str, first: str, *, forks: bool, archived: bool) -> Iterator[str]:
    import httpx

    forge, token = pager.forge, pager.token
    headers = {"User-Agent": f"tokscan/{__version__}"}
    if forge is GITHUB:
        headers.update({"Accept": "application/vnd.github+json",
                        "X-GitHub-Api-Version": "2022-11-28"})
    if token is not None:
        headers.update(
            {"Authorization": f"Bearer {token}"} if forge is GITHUB else {"PRIVATE-TOKEN": token}
        )
    seen: set[str] = set()
    with httpx.Client(
        headers=headers,
        timeout=httpx.Timeout(pager.limits.timeout),
        follow_redirects=False,  # a redirect could carry the token to another host
        trust_env=not is_loopback(urlsplit(base).hostname or ""),
    ) as client:
        url: str | None = first
        visited: set[str] = set()
        while url is not None:
            visited.add(url)
            response = pager.get(client, url)
            for item in pager.items(response):
                clone = _selected(forge, item, forks=forks, archived=archived, page=pager)
                if clone is not None and clone not in seen:
                    seen.add(clone)
                    yield clone
            url = pager.next_url(response, url, base)
            if url in visited:
                raise pager.error("the API's next page points back at a page already read")


def check_api(forge: Forge, api: str | None) -> str:
    """The API base to use, without a trailing slash: https, or plain http only to this
    machine (the token would cross the network in clear). Raises TokscanError (exit 2)."""
    value = (api or forge.default_api).strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    option = f"--{'github' if forge is GITHUB else 'gitlab'}-api"
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        problem = f"expected an https:// URL such as {forge.default_api}"
    elif parts.username is not None or parts.password is not None:
        problem = f"it must not hold a user name or password (the token is {forge.token_env})"
    elif parts.query or parts.fragment:
        problem = "it must not have a query (?) or fragment (#)"
    elif scheme == "http" and not is_loopback(host):
        problem = "plain http:// would send the token unencrypted; use https://"
    else:
        return value.rstrip("/")
    raise TokscanError(f"invalid {option} {_printable(value)!r}: {problem}")


def git_header(
    kind: str, api: str | None, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """The git setting that gives git the forge token for private repositories, as a
    (name, value) pair: `http.<web root>.extraHeader`, `Authorization: Basic ...`; None
    without a token in `environ` (default os.environ). Scoped to the forge's web root (the
    API base without `/api/v3` or `/api/v4`; api.github.com is github.com), so that git
    sends it to no other host a source list names. It must reach git through the
    environment (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`, `GIT_CONFIG_VALUE_n`: see
    `git_credentials`), never argv, which every user of the machine can read, and never
    the URL, which the clone's config would keep and git's messages quote."""
    forge = _forge(kind)
    token = _token(forge, environ)
    if token is None:
        return None
    base = urlsplit(check_api(forge, api))
    path = re.sub(r"/api/v[34]$", "", base.path)
    host = "github.com" if base.netloc.lower() == "api.github.com" else base.netloc
    root = urlunsplit((base.scheme, host, path.rstrip("/") + "/", "", ""))
    basic = base64.b64encode(f"{forge.git_user}:{token}".encode("ascii")).decode("ascii")
    return f"http.{root}.extraHeader", f"Authorization: Basic {basic}"


def git_credentials(
    kind: str, api: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`environ` (default os.environ) with `git_header`'s setting added after any
    `GIT_CONFIG_COUNT` entries it holds, or {} without a token: the environment for the
    git that clones and fetches (GitPython: `Repo.clone_from(..., env=...)`)."""
    env = dict(os.environ if environ is None else environ)
    header = git_header(kind, api, env)
    if header is None:
        return {}
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    except ValueError:
        count = 0
    env.update({
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": header[0],
        f"GIT_CONFIG_VALUE_{count}": header[1],
    })
    return env


class _Pager:
    """One enumeration's requests: rate limits, retries and errors that name the forge."""

    def __init__(
        self,
        forge: Forge,
        name: str,
        token: str | None,
        limits: Limits,
        on_wait: Callable[[str], None],
    ) -> None:
        self.forge, self.name, self.token = forge, name, token
        self.limits, self.on_wait = limits, on_wait

    def error(self, problem: str) -> TokscanError:
        message = f"cannot list the repositories of {self.forge.label} {self.forge.group_word} "
        message += f"{_printable(self.name)!r}: {problem}"
        if self.token:  # it should never be there; if a library ever quotes it, it goes
            message = message.replace(self.token, "[token]")
        return TokscanError(message)

    def get(self, client: httpx.Client, url: str) -> httpx.Response:
        import httpx

        limited = failed = 0
        while True:
            try:
                response = client.get(url)
            except httpx.TimeoutException:
                timeout = self.limits.timeout
                raise self.error(f"the API did not answer within {timeout:g} s") from None
            except httpx.HTTPError as error:
                raise self.error(f"could not reach the API ({_printable(str(error))})") from None
            status = response.status_code
            if status == 200:
                return response
            wait = _rate_limit_wait(response, self.limits, time.time())
            if wait is not None:
                limited += 1
                if limited > self.limits.rate_limited_attempts:
                    raise self.error(f"still rate limited after {limited - 1} waits; try later")
                until = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
                self.on_wait(
                    f"{self.forge.label} rate limit reached while listing {self.forge.group_word}"
                    f" {_printable(self.name)!r}: waiting {math.ceil(wait)} s (until {until})"
                )
                time.sleep(wait)
                continue
            if status >= 500 and failed + 1 < self.limits.server_error_attempts:
                time.sleep(self.limits.server_error_backoff * 2**failed)
                failed += 1
                continue
            raise self.error(self._refusal(response))

    def _refusal(self, response: httpx.Response) -> str:
        status, forge = response.status_code, self.forge
        said = _server_says(response)
        if status == 401:
            if self.token is None:
                return f"{forge.label} asks for a token (401): set {forge.token_env}"
            return (
                f"{forge.label} refused the token in {forge.token_env} (401 Unauthorized): it is "
                "wrong, expired or revoked"
            )
        if status == 403:
            scope = "read:org, and SSO authorisation" if forge is GITHUB else "read_api"
            return f"forbidden (403{said}): the token lacks access ({forge.label} needs {scope})"
        if status == 404:
            return f"{forge.label} has no such {forge.group_word}, or the token cannot see it (404)"
        if 300 <= status < 400:
            return (
                f"the API answered with a redirect ({status}), which tokscan does not follow; "
                f"the {forge.group_word} may have been renamed, or the API base is wrong"
            )
        return f"the API answered {status}{said}"

    def items(self, response: httpx.Response) -> list[dict[str, object]]:
        try:
            items = response.json()
        except ValueError:
            raise self.error("the API's answer is not JSON") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.error("the API's answer is not a list of repositories")
        return items

    def next_url(self, response: httpx.Response, url: str, base: str) -> str | None:
        """The next page from the `Link` header, else GitLab's `X-Next-Page`; None at the
        end. Only on the API's own scheme, host and port: the token goes nowhere else."""
        link = response.links.get("next", {}).get("url")
        if link:
            target = urljoin(url, link)
        else:
            page = response.headers.get("x-next-page", "").strip()
            if not page:
                return None
            if not page.isdigit():
                raise self.error(f"the API's X-Next-Page is not a page number: {page[:20]!r}")
            parts = urlsplit(url)
            query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"]
            target = urlunsplit(parts._replace(query=urlencode([*query, ("page", page)])))
        here, there = urlsplit(base), urlsplit(target)
        if (here.scheme, here.netloc.lower()) != (there.scheme, there.netloc.lower()):
            raise self.error(
                f"the API's next page is on another host ({_printable(there.netloc)}); "
                "tokscan sends the token only to the API base"
            )
        return target


def _rate_limit_wait(response: httpx.Response, limits: Limits, now: float) -> float | None:
    """Seconds to wait before asking again, or None if `response` is no rate limit. A 403
    is one only with `Retry-After` or no requests left (GitHub also answers 403 for a token
    without access, with the same reset headers)."""
    status, headers = response.status_code, response.headers
    if status not in (403, 429):
        return None
    wait = _retry_after(headers.get("retry-after", ""), now)
    if wait is None:
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset", "")).strip()
        if reset.isdigit() and (status == 429 or remaining == "0"):
            value = int(reset)
            # An epoch time (GitHub, GitLab); small numbers are seconds from now (the IETF
            # RateLimit-Reset draft). Half a second past it, since it is whole seconds.
            wait = (value - now if value > 1_000_000_000 else value) + 0.5
        elif status == 429:
            wait = limits.default_wait
        else:
            return None
    return min(max(wait, limits.min_wait), limits.max_wait)


def _retry_after(value: str, now: float) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _selected(
    forge: Forge, item: dict[str, object], *, forks: bool, archived: bool, page: _Pager
) -> str | None:
    if forge is GITHUB:
        fork, url_field = item.get("fork") is True, "clone_url"
    else:
        fork, url_field = bool(item.get("forked_from_project")), "http_url_to_repo"
    if (fork and not forks) or (item.get("archived") is True and not archived):
        return None
    url = item.get(url_field)
    if not isinstance(url, str) or not url.strip():
        raise page.error(f"the API listed a repository without a {url_field}")
    return _without_credentials(url.strip())


def _without_credentials(url: str) -> str:
    """`url` without a user name or password: the API's URLs have none, and a URL that
    had one would carry it into reports and the work folder."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


def _forge(kind: str) -> Forge:
    try:
        return FORGES[kind]
    except KeyError:
        raise TokscanError(f"unknown forge {kind!r}: expected github or gitlab") from None


def _token(forge: Forge, environ: Mapping[str, str] | None = None) -> str | None:
    token = (os.environ if environ is None else environ).get(forge.token_env, "").strip()
    if not token:
        return None
    if not _TOKEN.fullmatch(token):
        # httpx would quote the bad header value, token and all, in its error
        raise TokscanError(f"{forge.token_env} holds characters a token cannot have")
    return token


def _checked_name(forge: Forge, name: str) -> str:
    pattern = _GITHUB_NAME if forge is GITHUB else _GITLAB_NAME
    if not pattern.fullmatch(name) or ".." in name:
        raise TokscanError(f"{_printable(name)!r} is not a {forge.label} {forge.group_word} name")
    return name


def _first_page(forge: Forge, base: str, name: str) -> str:
    if forge is GITHUB:
        return f"{base}/orgs/{quote(name, safe='')}/repos?per_page=100&type=all"
    return f"{base}/groups/{quote(name, safe='')}/projects?include_subgroups=true&per_page=100"


def _server_says(response: httpx.Response) -> str:
    """`: <the API's message>`, short and printable, or nothing."""
    try:
        body = response.json()
    except ValueError:
        return ""
    said = body.get("message") or body.get("error") if isinstance(body, dict) else None
    return f": {_printable(str(said))}" if said else ""


def _printable(text: str) -> str:
    """`text` without control characters (a hostile API must not drive the terminal),
    shortened for a message."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= _MAX_DETAIL else shown[: _MAX_DETAIL - 1] + "…"
