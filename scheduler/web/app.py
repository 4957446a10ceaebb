"""The feed server: subscribable calendars (ETag/304, secret-token URLs) and an index page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from scheduler.calendar.feeds import FeedCache
from scheduler.store import subscribers, tokens
from scheduler.web.pages import Pages

TEMPLATES = Path(__file__).parent / "templates"
ICS = "text/calendar; charset=utf-8"


def create_app(engine: Engine, settings, today: Callable[[], dt.date]) -> Starlette:
    cache = FeedCache(engine, uid_domain=settings.uid_domain, alarm_days=settings.alarm_days,
                      tz=settings.tz, refresh_hours=settings.refresh_hours,
                      summary=settings.event_summary)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "j2"]))

    async def feed(scope: str, value: str | None, request: Request, private: bool) -> Response:
        # building a large feed is blocking work: keep it off the event loop
        found = await run_in_threadpool(cache.body, scope, value)
        if found is None:
            return PlainTextResponse("not found\n", status_code=404)
        data, etag = found
        headers = {"ETag": etag,
                   "Cache-Control": f"{'private' if private else 'public'}, max-age=300",
                   "Content-Disposition": "inline"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=ICS, headers=headers)

    async def all_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return PlainTextResponse("not found\n", status_code=404)
        return await feed("all", None, request, False)

    async def owner_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return PlainTextResponse("not found\n", status_code=404)
        return await feed("owner", request.path_params["owner"], request, False)

    async def doc_feed(request: Request) -> Response:
        if not settings.public_feeds:
            return PlainTextResponse("not found\n", status_code=404)
        return await feed("doc", request.path_params["doc"], request, False)

    async def private_feed(request: Request) -> Response:
        token = tokens.resolve(engine, request.path_params["token"])
        if token is None:
            return PlainTextResponse("not found\n", status_code=404)
        return await feed(token.scope, token.value, request, True)

    pages = Pages(engine, settings, env)

    def base_url(request: Request) -> str:
        return (settings.feed_base_url or str(request.base_url)).rstrip("/")

    async def index(request: Request) -> Response:
        html = await run_in_threadpool(pages.index, request.query_params, today(), base_url(request))
        return HTMLResponse(html)

    async def milestone_page(request: Request) -> Response:
        html = await run_in_threadpool(pages.milestone, request.path_params["mid"], today())
        return HTMLResponse(html) if html else PlainTextResponse("not found\n", status_code=404)

    async def document_page(request: Request) -> Response:
        html = await run_in_threadpool(pages.document, request.path_params["doc"], today(),
                                       base_url(request))
        return HTMLResponse(html) if html else PlainTextResponse("not found\n", status_code=404)

    async def unsubscribe(request: Request) -> Response:
        """One-click unsubscribe (RFC 8058): POST removes; GET shows a button."""
        person = subscribers.by_token(engine, request.path_params["token"])
        if person is None:
            return PlainTextResponse("not found\n", status_code=404)
        if request.method == "POST":
            subscribers.unsubscribe(engine, person.email)
            return PlainTextResponse("unsubscribed\n")
        return HTMLResponse(env.get_template("unsubscribe.html.j2").render(email=person.email))

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    return Starlette(routes=[
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
