"""A real HTTP server on loopback serving pages the tests write, with a request log.

Each route answers with its body, content type and status; `etag`/`last_modified` make it
answer 304 to a matching conditional request; `delay` holds the answer back (a slow page).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0


@dataclass
class Hit:
    path: str
    at: float                       # time.monotonic() when the request arrived
    headers: dict
    status: int = 0


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass      # a client that hung up (timeouts, size limits) is part of the tests


class Site:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.hold = threading.Event()          # set: requests to held paths wait
        self.held: set[str] = set()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def page(self, path: str, body: str | bytes, **kwargs) -> Route:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)
        return self.routes[path]

    def requests(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if path is None or h.path == path]

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16                 # headers and body in one write
            disable_nagle_algorithm = True

            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                hit = Hit(self.path, time.monotonic(), {k.lower(): v for k, v in self.headers.items()})
                with site.lock:
                    site.hits.append(hit)
                route = site.routes.get(self.path)
                if self.path in site.held:
                    site.hold.wait(60)
                if route is None:
                    return self._send(hit, 404, b"not found", "text/plain", {})
                if route.delay:
                    time.sleep(route.delay)
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                if (route.etag and hit.headers.get("if-none-match") == route.etag) or (
                        route.last_modified and not route.etag
                        and hit.headers.get("if-modified-since") == route.last_modified):
                    return self._send(hit, 304, b"", None, headers)
                self._send(hit, route.status, route.body, route.content_type, headers)

            def _send(self, hit, status, body, content_type, headers) -> None:
                hit.status = status
                try:
                    self.send_response(status)
                    if content_type:
                        self.send_header("Content-Type", content_type)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
