"""The probe: one request per key that tells live from revoked without costing anything.

`POST {api_base}/v1/chat/completions` with the key as a bearer token and a body the API
rejects after authenticating (no messages, a model that does not exist), so the request can
never be billed. TokModel answers 401 for a revoked (or never issued) key; any other client
error means the key authenticated. 5xx and dropped connections are retried with exponential
backoff and jitter, 429 too (with more patience, and fewer requests in flight after it),
honouring `Retry-After` up to a cap; timeouts and TLS failures are not retried. The whole
run has a deadline, so an API that keeps answering 429 cannot hold a CI job for hours: keys
not decided by then are `unknown`. Whatever goes wrong, the answer is `unknown` with the
reason: only a 401 makes a key `revoked`.

httpx is imported only here, and only when probing starts: without --verify tokscan opens
no socket at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING

from tokscan import __version__, keyformat
from tokscan.errors import TokscanError
from tokscan.model import Status, Verdict
from tokscan.verify import api_base as apibase

if TYPE_CHECKING:
    import httpx

PATH = "/v1/chat/completions"
# A request the API refuses after checking the key: no messages, a model that does not
# exist and at most one token. Nothing in it can be billed.
BODY = json.dumps(
    {"model": "tokscan/key-check", "messages": [], "max_tokens": 1}, separators=(",", ":")
).encode("ascii")
USER_AGENT = f"tokscan/{__version__}"
TIMEOUT_ENV = "TOKSCAN_VERIFY_TIMEOUT"
DEADLINE_ENV = "TOKSCAN_VERIFY_DEADLINE"

# Status codes that only come after the key authenticated: the request itself is refused
# (400, 422), the account cannot pay or may not use the model (402, 403), the model does
# not exist (404), or, for a gateway that accepts the probe, it succeeded (2xx).
_LIVE = frozenset({400, 402, 403, 404, 422})
_REVOKED = 401
_RATE_LIMITED = 429
# The body is never needed, only read so the connection can be reused: at most this much.
_MAX_BODY = 64 * 1024
_DRAIN_TIMEOUT = 1.0
_MAX_DETAIL = 160
_MAX_BACKOFF = 8.0


@dataclass(frozen=True, slots=True)
class Settings:
    concurrency: int = 8  # requests in flight at once, at most
    timeout: float = 10.0  # seconds for one request, from connecting to the status line
    attempts: int = 4  # tries per key when the API answers 5xx or drops the connection
    rate_limited_attempts: int = 8  # tries per key when the API answers 429
    backoff: float = 0.5  # seconds before the first retry, doubled for each one after
    retry_after_cap: float = 10.0  # the longest Retry-After that is waited for in full
    # Seconds for the whole run: no retry or wait starts after it, and requests in flight
    # then end within `timeout`. 500 keys take about 7 s against an API answering in 100 ms.
    deadline: float = 300.0

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, with the per-request timeout from $TOKSCAN_VERIFY_TIMEOUT and the run's
        deadline from $TOKSCAN_VERIFY_DEADLINE, if set."""
        default = cls()
        return cls(
            timeout=_seconds_from_env(TIMEOUT_ENV, default.timeout, 600),
            deadline=_seconds_from_env(DEADLINE_ENV, default.deadline, 86400),
        )


def _seconds_from_env(name: str, default: float, most: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= most:
        raise TokscanError(f"{name} must be a number of seconds between 0 and {most:g}")
    return seconds


def probe_all(
    keys: Iterable[str], api_base: str, settings: Settings | None = None
) -> dict[str, Verdict]:
    """Each distinct key's verdict, probing each exactly once (retries aside)."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return {}
    return asyncio.run(_Prober(api_base, settings or Settings()).run(unique))


@dataclass(frozen=True, slots=True)
class _Retry:
    """A transient answer: try again, after `wait` seconds if the server said so."""

    detail: str
    wait: float | None = None
    connection: bool = False  # no HTTP answer at all, e.g. connection refused
    rate_limited: bool = False  # 429


class _Gate:
    """How many requests may be in flight: at most the concurrency limit, halved when the
    API answers 429 and grown back by one for every `limit` answers (additive increase,
    multiplicative decrease, as TCP does), so that a rate-limited API is not hammered."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.limit = float(most)
        self.active = 0
        self.abandoned = 0  # requests that timed out (see abandon)
        self._reduced_at = -1.0
        self._condition: asyncio.Condition | None = None  # made inside the event loop

    @property
    def stalled(self) -> bool:
        """Every slot is held by a request the API never answered."""
        return self.abandoned >= self.most

    async def __aenter__(self) -> None:
        if self._condition is None:
            self._condition = asyncio.Condition()
        async with self._condition:
            await self._condition.wait_for(
                lambda: self.stalled
                or (self.active < int(self.limit) and self.active + self.abandoned < self.most)
            )
            if self.stalled:
                raise _Stalled
            self.active += 1

    async def __aexit__(self, *exc: object) -> None:
        assert self._condition is not None
        async with self._condition:
            self.active -= 1
            self._condition.notify_all()

    def abandon(self) -> None:
        """A request timed out. tokscan has given up on it, but the API may still be working
        on it, so its slot stays taken for the rest of the run: the API never sees more
        requests in flight than the limit."""
        self.abandoned += 1

    def slow_down(self, sent_at: float) -> None:
        # Once per wave: the other 429s answer requests sent before this reduction.
        if sent_at > self._reduced_at:
            self.limit = max(1.0, self.limit / 2)
            self._reduced_at = time.monotonic()

    def speed_up(self) -> None:
        self.limit = min(float(self.most), self.limit + 1 / self.limit)


class _Unreachable(Exception):
    """The API could not be reached for one key: a timeout, a TLS or a connection error."""

    def __init__(self, detail: str, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


class _Stalled(Exception):
    """No request may be sent: every slot is held by one the API never answered."""


class _Prober:
    def __init__(self, api_base: str, settings: Settings) -> None:
        self.url = api_base.rstrip("/") + PATH
        self.settings = settings
        self.loopback = apibase.is_loopback(_host(api_base))
        self._resume_at = 0.0  # after a 429 or Retry-After, nobody sends before this
        self._answered = False  # any HTTP answer at all: the API is reachable
        self._unreachable: str | None = None
        self._gate = _Gate(settings.concurrency)
        self._deadline = time.monotonic() + settings.deadline

    async def run(self, keys: list[str]) -> dict[str, Verdict]:
        try:
            import httpx
        except ImportError:  # pragma: no cover - httpx is a dependency
            raise TokscanError("--verify needs the httpx package: pip install httpx") from None
        from http.cookiejar import CookieJar, DefaultCookiePolicy

        settings = self.settings
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        results: dict[str, Verdict] = {}
        queue = list(reversed(keys))
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout),
            limits=limits,
            follow_redirects=False,
            # Cookies would link one key's request to the next: accept none.
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
            # Proxies and CA bundles from the environment serve https to the real API; a
            # loopback test server is reached directly, never through a proxy.
            trust_env=not self.loopback,
        ) as client:

            async def worker() -> None:
                while queue:
                    key = queue.pop()
                    results[key] = await self._check(client, key)

            workers = min(settings.concurrency, len(keys))
            await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    async def _check(self, client: httpx.AsyncClient, key: str) -> Verdict:
        if self._unreachable is not None:
            return Verdict(Status.UNKNOWN, f"not checked: {self._unreachable}")
        settings = self.settings
        # Failures (5xx, dropped connections) and rate limits have separate budgets: a 429
        # says "slow down", not "broken", so it is worth waiting through a few more.
        failures = limited = 0
        while True:
            await self._pause()
            if time.monotonic() >= self._deadline:
                return Verdict(Status.UNKNOWN, self._out_of_time(failures + limited))
            sent_at = time.monotonic()
            try:
                async with self._gate:
                    try:
                        outcome = await self._attempt(client, key)
                    except _Unreachable as error:
                        if error.timed_out:
                            self._gate.abandon()
                        if not self._answered:
                            self._unreachable = f"API unreachable ({error})"
                        return Verdict(Status.UNKNOWN, str(error))
            except _Stalled:
                return Verdict(Status.UNKNOWN, "not checked: the API stopped answering")
            if isinstance(outcome, Verdict):
                self._gate.speed_up()
                return outcome
            if outcome.rate_limited:
                self._gate.slow_down(sent_at)
                limited += 1
                tries, budget = limited, settings.rate_limited_attempts
            else:
                failures += 1
                tries, budget = failures, settings.attempts
            if tries >= budget:
                break
            await asyncio.sleep(min(self._delay(tries, outcome.wait), self._left()))
        if outcome.connection and not self._answered:
            self._unreachable = f"API unreachable ({outcome.detail})"
        total = failures + limited
        return Verdict(Status.UNKNOWN, f"{outcome.detail}, {total} attempt{'s' * (total > 1)}")

    def _left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def _out_of_time(self, attempts: int) -> str:
        done = f" after {attempts} attempt{'s' * (attempts > 1)}" if attempts else ""
        return (
            f"not checked{done}: verification stopped at its {self.settings.deadline:g} s "
            f"deadline ({DEADLINE_ENV})"
        )

    def _delay(self, tries: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, or the server's Retry-After (capped), which
        then holds back every request, since a rate limit is not about one key."""
        if retry_after is None:
            step = min(self.settings.backoff * 2.0 ** (tries - 1), _MAX_BACKOFF)
            return step / 2 + random.uniform(0, step / 2)
        wait = min(retry_after, self.settings.retry_after_cap)
        wait += random.uniform(0, min(self.settings.backoff, 1.0) / 2)
        self._resume_at = max(self._resume_at, time.monotonic() + wait)
        return wait

    async def _pause(self) -> None:
        delay = min(self._resume_at - time.monotonic(), self._left())
        if delay > 0:
            await asyncio.sleep(delay)

    async def _attempt(self, client: httpx.AsyncClient, key: str) -> Verdict | _Retry:
        import httpx

        timeout = self.settings.timeout
        request = client.build_request(
            "POST",
            self.url,
            content=BODY,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            response = await asyncio.wait_for(client.send(request, stream=True), timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            raise _Unreachable(f"no answer within {timeout:g} s", timed_out=True) from None
        except httpx.ConnectError as error:
            if _is_tls(error):
                raise _Unreachable(f"TLS error: {_describe(error)}") from None
            return _Retry(f"connection failed: {_describe(error)}", connection=True)
        except (httpx.HTTPError, OSError) as error:
            # Reset, closed without an answer, proxy trouble: transient, like a 5xx.
            return _Retry(f"connection failed: {_describe(error)}", connection=True)
        try:
            self._answered = True
            return classify(response.status_code, response.headers.get("Retry-After"))
        finally:
            await _drain(response)


def classify(status: int, retry_after: str | None = None) -> Verdict | _Retry:
    """SPEC §5's table. `revoked` comes from a 401 and nothing else."""
    detail = f"HTTP {status}"
    if status == _REVOKED:
        return Verdict(Status.REVOKED, detail)
    if status in _LIVE or 200 <= status < 300:
        return Verdict(Status.LIVE, detail)
    if status == _RATE_LIMITED:
        return _Retry(f"{detail} (rate limited)", parse_retry_after(retry_after), rate_limited=True)
    if 500 <= status < 600:
        return _Retry(detail, parse_retry_after(retry_after))
    if 300 <= status < 400:
        return Verdict(Status.UNKNOWN, f"{detail}: redirect not followed")
    return Verdict(Status.UNKNOWN, f"unexpected {detail} {_phrase(status)}".rstrip())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait, from `Retry-After: 3` or an HTTP date; None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


async def _drain(response: httpx.Response) -> None:
    """Read a little of the body so the connection can be reused; give up on anything
    large or slow and close the connection instead. The body itself is never used."""
    import httpx

    async def read() -> None:
        seen = 0
        async for block in response.aiter_raw():
            seen += len(block)
            if seen > _MAX_BODY:
                return

    try:
        await asyncio.wait_for(read(), _DRAIN_TIMEOUT)
    except (asyncio.TimeoutError, httpx.HTTPError, OSError):
        pass  # the status is known; the connection is closed below
    finally:
        await response.aclose()


def _is_tls(error: Exception) -> bool:
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return "SSL" in str(error) or "certificate" in str(error).lower()


def _describe(error: Exception) -> str:
    """A short reason, with anything key-shaped redacted (it could end up in a CI log)."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = keyformat.redact_all(text)
    return text[:_MAX_DETAIL]


def _phrase(status: int) -> str:
    try:
        return f"({HTTPStatus(status).phrase})"
    except ValueError:
        return ""


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""
