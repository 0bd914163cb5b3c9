"""A stand-in for GitHub's and GitLab's repository list APIs on 127.0.0.1, for audit tests.

GitHub: `GET /orgs/{org}/repos` with `Authorization: Bearer`, pages linked by a `Link`
header. GitLab: `GET /api/v4/groups/{url-encoded path}/projects` with `PRIVATE-TOKEN`,
pages named by `X-Next-Page` (and `Link`, unless `gitlab_link` is off). It pages by
`page_size` whatever `per_page` asks, so a handful of repositories spans several pages.
`upcoming` scripts the next answers (a rate limit, a redirect, a broken page) before the
ordinary ones resume; every request is recorded with its headers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"[]"


@dataclass(frozen=True)
class Request:
    path: str  # with the query
    headers: dict[str, str]  # names lowercased


def github_repo(url: str, *, fork: bool = False, archived: bool = False) -> dict[str, object]:
    name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return {"name": name, "clone_url": url, "fork": fork, "archived": archived}


def gitlab_project(url: str, *, fork: bool = False, archived: bool = False) -> dict[str, object]:
    name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    forked_from = {"id": 1, "path_with_namespace": "upstream/x"} if fork else None
    project: dict[str, object] = {"path": name, "http_url_to_repo": url, "archived": archived}
    if forked_from is not None:  # GitLab leaves the field out for a project that is no fork
        project["forked_from_project"] = forked_from
    return project


class ForgeAPI:
    """`with ForgeAPI(token="t") as api:`; GitHub's base is `api.url`, GitLab's
    `api.gitlab_url`. A `token` makes every other token (or none) a 401."""

    def __init__(self, token: str | None = None, page_size: int = 2) -> None:
        self.token = token
        self.page_size = page_size
        self.github: dict[str, list[dict[str, object]]] = {}  # organisation -> repositories
        self.gitlab: dict[str, list[dict[str, object]]] = {}  # group path -> projects
        self.gitlab_link = True
        self.upcoming: list[Reply] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def gitlab_url(self) -> str:
        return f"{self.url}/api/v4"

    def start(self) -> ForgeAPI:
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ForgeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.upcoming:
                return self.upcoming.pop(0)
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/orgs/") and parts.path.endswith("/repos"):
            org = unquote(parts.path[len("/orgs/") : -len("/repos")])
            if self._authorised(request.headers.get("authorization"), "Bearer "):
                return self._page(self.github.get(org), parts.path, query, gitlab=False)
            return Reply(401, body=b'{"message": "Bad credentials"}')
        prefix = "/api/v4/groups/"
        if parts.path.startswith(prefix) and parts.path.endswith("/projects"):
            raw = parts.path[len(prefix) : -len("/projects")]
            if "/" in raw:  # a client must send the path encoded, as GitLab requires
                return Reply(404, body=b'{"message": "404 Not found"}')
            group = unquote(raw)
            if self._authorised(request.headers.get("private-token"), ""):
                return self._page(self.gitlab.get(group), parts.path, query, gitlab=True)
            return Reply(401, body=b'{"message": "401 Unauthorized"}')
        return Reply(404, body=b'{"message": "Not Found"}')

    def _authorised(self, value: str | None, scheme: str) -> bool:
        return self.token is None or value == f"{scheme}{self.token}"

    def _page(
        self, items: list[dict[str, object]] | None, path: str, query: dict[str, str], gitlab: bool
    ) -> Reply:
        if items is None:
            return Reply(404, body=b'{"message": "Not Found"}')
        page = int(query.get("page", "1"))
        pages = max(1, -(-len(items) // self.page_size))
        start = (page - 1) * self.page_size
        body = json.dumps(items[start : start + self.page_size]).encode()
        headers: dict[str, str] = {}
        if gitlab:
            headers["X-Page"] = str(page)
            headers["X-Total-Pages"] = str(pages)
            headers["X-Next-Page"] = str(page + 1) if page < pages else ""
        if page < pages and (not gitlab or self.gitlab_link):
            following = urlencode({**query, "page": str(page + 1)})
            last = urlencode({**query, "page": str(pages)})
            headers["Link"] = (
                f'<{self.url}{path}?{following}>; rel="next", <{self.url}{path}?{last}>; rel="last"'
            )
        return Reply(200, headers, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _handler(api: ForgeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = api.answer(Request(self.path, headers))
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

    return Handler
