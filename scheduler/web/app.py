"""The feed server: subscribable calendars (ETag/304, secret-token URLs) and an index page.

Every database query runs off the event loop (a thread), the index page and the name lookups
are cached by the store's change stamp (read at most once a second), and `/healthz` asks the
store on its own thread, so a crowd on `/` does not delay it. Links are relative unless
`feed_base_url` is set: the Host header is never trusted, and no redirect is generated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from scheduler.calendar.feeds import FeedCache
from scheduler.calendar.names import reverse
from scheduler.store import documents, subscribers, tokens
from scheduler.store.queries import change_stamp, check, owners
from scheduler.web.pages import Pages

TEMPLATES = Path(__file__).parent / "templates"
ICS = "text/calendar; charset=utf-8"
STAMP_SECONDS = 1.0


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match with weak comparison (RFC 9110 §13.1.2): `*`, `"x"` or `W/"x"`."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag.removeprefix("W/"):
            return True
    return False


class Site:
    """What the pages need from the store, cached by its change stamp."""

    def __init__(self, engine: Engine, settings, today: Callable[[], dt.date]):
        self.engine, self.settings, self.today = engine, settings, today
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                               autoescape=select_autoescape(["html", "j2"]))
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._stamp: tuple = ((), 0.0)
        self._cache: dict = {}

    def stamp(self) -> tuple:
        with self._lock:
            value, taken = self._stamp
            if time.monotonic() - taken < STAMP_SECONDS:
                return value
            value = change_stamp(self.engine)
            self._stamp = (value, time.monotonic())
            if self._cache.get("stamp") != value:
                self._cache = {"stamp": value}
            return value

    def _cached(self, key, build):
        self.stamp()
        hit = self._cache.get(key)
        if hit is None:
            with self._building:          # concurrent misses wait for one build
                cache = self._cache
                hit = cache.get(key)
                if hit is None:
                    hit = cache[key] = build()
        return hit

    def owner_of(self, segment: str) -> str | None:
        names = self._cached("owners", lambda: reverse(owners(self.engine)))
        return names.get(segment)

    def doc_of(self, segment: str) -> str | None:
        names = self._cached("docs", lambda: reverse(d.id for d, _ in documents(self.engine)))
        return names.get(segment)


def create_app(engine: Engine, settings, today: Callable[[], dt.date]) -> Starlette:
    cache = FeedCache(engine, uid_domain=settings.uid_domain, alarm_days=settings.alarm_days,
                      tz=settings.tz, refresh_hours=settings.refresh_hours,
                      summary=settings.event_summary,
                      reviewed_only=settings.publish == "reviewed")
    site = Site(engine, settings, today)
    env = site.env
    health_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
    missing = PlainTextResponse("not found\n", status_code=404)

    async def feed(scope: str, value: str | None, request: Request, private: bool,
                   known: bool = False) -> Response:
        # building a large feed is blocking work: keep it off the event loop
        found = await run_in_threadpool(cache.body, scope, value, known)
        if found is None:
            return missing
        data, etag = found
        headers = {"ETag": etag,
                   "Cache-Control": f"{'private' if private else 'public'}, max-age=300",
                   "Content-Disposition": "inline"}
        if etag_matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=ICS, headers=headers)

    async def all_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return missing
        return await feed("all", None, request, False)

    async def owner_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return missing
        segment = request.path_params["owner"]
        owner = await run_in_threadpool(site.owner_of, segment)
        return await feed("owner", owner or segment, request, False, known=owner is not None)

    async def doc_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return missing
        segment = request.path_params["doc"]
        doc = await run_in_threadpool(site.doc_of, segment)
        return await feed("doc", doc or segment, request, False, known=doc is not None)

    async def private_feed(request: Request) -> Response:
        token = await run_in_threadpool(tokens.resolve, engine, request.path_params["token"])
        if token is None:
            return missing
        return await feed(token.scope, token.value, request, True)

    pages = Pages(engine, settings, env)

    def base_url(request: Request) -> tuple[str, str | None]:
        """(https base, webcal base) of feed links: `feed_base_url` if set, else relative links
        and a webcal link to the address the server listens on. The Host header is not trusted."""
        base = (settings.feed_base_url or "").rstrip("/")
        if base:
            return base, "webcal://" + base.split("://", 1)[-1]
        server = request.scope.get("server")
        if server:
            host, port = server
            return "", f"webcal://{f'[{host}]' if ':' in host else host}:{port}"
        return "", None

    async def index(request: Request) -> Response:
        html = await run_in_threadpool(pages.index, request.query_params, today(), base_url(request))
        return HTMLResponse(html)

    async def milestone_page(request: Request) -> Response:
        html = await run_in_threadpool(pages.milestone, request.path_params["mid"], today())
        return HTMLResponse(html) if html else missing

    async def document_page(request: Request) -> Response:
        html = await run_in_threadpool(pages.document, request.path_params["doc"], today(),
                                       base_url(request))
        return HTMLResponse(html) if html else missing

    async def unsubscribe(request: Request) -> Response:
        """One-click unsubscribe (RFC 8058): POST removes; GET shows a button."""
        person = await run_in_threadpool(subscribers.by_token, engine, request.path_params["token"])
        if person is None:
            return missing
        if request.method == "POST":
            await run_in_threadpool(subscribers.unsubscribe, engine, person.email)
            return PlainTextResponse("unsubscribed\n")
        return HTMLResponse(site.env.get_template("unsubscribe.html.j2").render(email=person.email))

    async def health(_request: Request) -> Response:
        try:
            await asyncio.get_running_loop().run_in_executor(health_thread, check, engine)
        except Exception:        # the reason stays in the server: no path or driver text leaks
            return PlainTextResponse("store unavailable\n", status_code=503)
        return PlainTextResponse("ok\n")

    app = Starlette(routes=[
        Route("/", index),
        Route("/m/{mid}", milestone_page),
        Route("/doc/{doc}", document_page),
        Route("/healthz", health),
        Route("/feeds/all.ics", all_feed),
        Route("/feeds/owner/{owner}.ics", owner_feed),
        Route("/feeds/doc/{doc}.ics", doc_feed),
        Route("/feeds/private/{token}.ics", private_feed),
        Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
    ])
    app.router.redirect_slashes = False    # its redirect would be built from the Host header
    return app
