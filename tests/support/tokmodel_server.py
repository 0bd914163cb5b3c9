"""A stand-in for TokModel's API on 127.0.0.1, for tests and the verification benchmark.

It answers `POST /v1/chat/completions` like TokModel: 401 for a key it does not know, and
whatever a test scripted for the keys it does. Replies can be delayed, hang, redirect or
carry huge or non-JSON bodies. It records every request and the most requests it ever had
in flight at once, so tests can check what tokscan sent and how.

Run as a script (`PYTHONPATH=tests python -m support.tokmodel_server --delay 0.1`) it
prints its URL and serves until killed: the benchmark runs it in its own process.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer (until the server stops)
    huge: int = 0  # send a body of this many bytes (and keep going until the reader leaves)
    drop: bool = False  # close the connection without answering
    stall: bool = False  # send the status and headers, then never the body


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def key(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


class TokModelServer:
    """`with TokModelServer() as api:` starts it; `api.url` is the base to pass to tokscan."""

    def __init__(
        self, host: str = "127.0.0.1", delay: float = 0.0, default: Reply | None = None
    ) -> None:
        self.host = host
        self.delay = delay
        self.default = default or Reply(401, body=b'{"error": {"message": "invalid api key"}}')
        self.script: dict[str, list[Reply]] = {}
        self.fallback: Callable[[Request], Reply] | None = None
        # Rate limits, answered with 429 like a real API: more requests in flight than
        # `allow_in_flight`, or more than `per_second` in a one-second window.
        self.allow_in_flight: int | None = None
        self.per_second: int | None = None
        self.rate_limited: list[str | None] = []  # the key of each request answered 429
        self._window: list[float] = []
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def reply(self, key: str, *replies: Reply | int) -> None:
        """Script `key`'s answers: each request takes the next; the last one repeats."""
        self.script[key] = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    @property
    def url(self) -> str:
        assert self._server is not None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_address[1]}"

    def requests_for(self, key: str) -> list[Request]:
        return [r for r in self.requests if r.key == key]

    def start(self) -> TokModelServer:
        server_class = _IPv6Server if ":" in self.host else _Server
        self._server = server_class((self.host, 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> TokModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._over_limit(request.at):
                self.rate_limited.append(request.key)
                return Reply(429, {"Retry-After": "1"} if self.per_second else {})
            replies = self.script.get(request.key or "")
            if replies:
                return replies.pop(0) if len(replies) > 1 else replies[0]
        if self.fallback is not None:
            return self.fallback(request)
        return self.default

    def _over_limit(self, now: float) -> bool:
        if self.allow_in_flight is not None and self.in_flight > self.allow_in_flight:
            return True
        if self.per_second is not None:
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.per_second:
                return True
            self._window.append(now)
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging reply must not hold up stop()
    request_queue_size = 128  # the default backlog of 5 drops connections: clients stall 1 s


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


def _handler(api: TokModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real API does
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            if self.path == "/_stats":  # for the benchmark, which runs the server apart
                with api._lock:
                    stats = {"requests": len(api.requests), "max_in_flight": api.max_in_flight}
                self._send(Reply(200, body=json.dumps(stats).encode()))
                return
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(self.command, self.path, headers, body, time.monotonic())
            with api._lock:
                api.in_flight += 1
                api.max_in_flight = max(api.max_in_flight, api.in_flight)
            try:
                reply = api._next_reply(request)
                wait = reply.delay or api.delay
                if reply.hang:
                    api._stopping.wait(60)
                    return
                if reply.drop:
                    self.close_connection = True
                    return
                if wait:
                    time.sleep(wait)
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                with api._lock:
                    api.in_flight -= 1

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.stall:
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.flush()
                api._stopping.wait(60)
                self.close_connection = True
                return
            if reply.huge:
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(reply.huge))
                self.end_headers()
                block = b"[" * 65536
                sent = 0
                while sent < reply.huge:
                    self.wfile.write(block)
                    sent += len(block)
                return
            if "Content-Type" not in reply.headers:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--status", type=int, default=400, help="the status every key gets")
    args = parser.parse_args()
    api = TokModelServer(delay=args.delay, default=Reply(args.status, body=b'{"error": {}}'))
    api.start()
    print(api.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
