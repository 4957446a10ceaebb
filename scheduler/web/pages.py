"""The HTML pages: the dashboard (`/`), one milestone (`/m/<id>`), one document (`/doc/<id>`).

Blocking work (queries, rendering) is done by these functions, which the app runs off the event
loop. Links keep the current filters, so a matrix cell or a tile opens exactly its list.
"""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import quote, urlencode

from jinja2 import Environment
from markupsafe import Markup, escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.calendar.describe import when as when_text
from scheduler.calendar.names import safe_name
from scheduler.errors import NotFound
from scheduler.store import details, labels, status
from scheduler.store.queries import owners
from scheduler.store.review import PUBLISHED
from scheduler.store.tables import Document, Milestone
from scheduler.store.timeline import BUCKETS
from scheduler.web import svg
from scheduler.web.dashboard import Dashboard, clean_filters, stamp

FEEDS_LISTED = 50
OWNERS_LISTED = 300
PAGE_CACHE = 256
STATUS_CHOICES = (("open", "未完成"), ("done", "已完成"), ("cancelled", "已取消"), ("all", "全部状态"))
TILES = (("overdue", "已逾期"), ("week", "7 天内到期"), ("month", "30 天内到期"), ("later", "以后"),
         ("done", "已完成"), ("stale", "长期逾期"), ("review", "待复核"))


def highlight(sentence: str, time_text: str, task: str) -> Markup:
    """The evidence sentence with the time phrase marked and the task in bold."""
    marks = []
    for text, tag in ((time_text, "mark"), (task, "strong")):
        at = sentence.find(text) if text else -1
        if at >= 0 and not any(a < at + len(text) and at < b for a, b, _ in marks):
            marks.append((at, at + len(text), tag))
    out, pos = [], 0
    for start, end, tag in sorted(marks):
        out += [escape(sentence[pos:start]), Markup(f"<{tag}>"), escape(sentence[start:end]),
                Markup(f"</{tag}>")]
        pos = end
    out.append(escape(sentence[pos:]))
    return Markup("").join(out)


class Pages:
    def __init__(self, engine: Engine, settings, env: Environment):
        self.engine = engine
        self.settings = settings
        self.env = env
        self.board = Dashboard(engine, stale_days=settings.stale_days,
                               reviewed_only=settings.publish == "reviewed")
        self._pages: dict[tuple, str] = {}
        self._gates: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        env.globals.update(doc_title=labels.doc_title,
                           status_label=lambda s: labels.STATUS.get(s, s))

    def feed_links(self, base: tuple, path: str) -> dict:
        """Links to a feed; `base` is (https base, webcal base or None), see app.base_url."""
        https, webcal = base
        return {"ics": f"{https}{path}", "webcal": f"{webcal}{path}" if webcal else None}

    def feeds(self, base: tuple, filters: dict) -> tuple[list, list]:
        """(feeds for the current filters, every public feed)."""
        if not self.settings.public_feeds:
            return [], []
        with Session(self.engine) as session:
            docs = list(session.exec(select(Document).order_by(Document.id)))
        every = [{"name": "全部里程碑", **self.feed_links(base, "/feeds/all.ics")}]
        every += [{"name": o, **self.feed_links(base, f"/feeds/owner/{quote(safe_name(o))}.ics")}
                  for o in owners(self.engine)[:FEEDS_LISTED]]
        if len(docs) <= FEEDS_LISTED:         # beyond that, each document page links its own
            every += [{"name": labels.doc_title(d),
                       **self.feed_links(base, f"/feeds/doc/{quote(safe_name(d.id))}.ics")} for d in docs]
        current = []
        if filters.get("owner") and filters["owner"] != labels.NO_OWNER:
            current.append({"name": filters["owner"],
                            **self.feed_links(base, f"/feeds/owner/{quote(safe_name(filters['owner']))}.ics")})
        if filters.get("doc"):
            doc = next((d for d in docs if d.id == filters["doc"]), None)
            if doc is not None:
                current.append({"name": labels.doc_title(doc),
                                **self.feed_links(base, f"/feeds/doc/{quote(safe_name(doc.id))}.ics")})
        return current or every[:1], every

    def index(self, params, today: dt.date, base: tuple) -> str:
        """The dashboard, rendered once per (store change stamp, day, query, base URL)."""
        mark = stamp(self.engine)
        key = (mark, today, tuple(sorted(params.items())), base)
        with self._lock:
            hit = self._pages.get(key)
            gate = self._gates.setdefault(key, threading.Lock()) if hit is None else None
        if hit is None:
            with gate:          # concurrent misses of one page wait for one build
                with self._lock:
                    hit = self._pages.get(key)
                if hit is None:
                    hit = self._index(params, today, base, mark)
                    with self._lock:
                        self._pages = {k: v for k, v in self._pages.items() if k[0] == mark}
                        if len(self._pages) >= PAGE_CACHE:
                            self._pages.clear()
                        self._pages[key] = hit
                with self._lock:
                    self._gates.pop(key, None)
        return hit

    def _index(self, params, today: dt.date, base: tuple, mark: tuple) -> str:
        filters = clean_filters(params)
        month = None
        try:
            month = dt.date.fromisoformat(params.get("month", "") + "-01")
        except ValueError:
            pass
        view = self.board.view(today, filters, month, mark)

        def link(**changes) -> str:
            merged = {**filters, **({"month": params["month"]} if params.get("month") else {})}
            for key, value in changes.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            return "/?" + urlencode(merged) if merged else "/"

        scoped = {k: v for k, v in filters.items() if k in ("doc", "q")}

        def tile(key: str) -> str:
            cleared = {k: None for k in filters if k not in scoped}
            if key == "done":
                return link(**{**cleared, "status": "done"})
            if key == "review":
                return link(**cleared) + "#list"
            return link(**{**cleared, "bucket": key})

        current, every = self.feeds(base, filters)
        active = filters.get("bucket") or ("done" if filters.get("status") == "done" else None)
        heading = "符合筛选的事项" if filters else "未完成的事项"
        return self.env.get_template("index.html.j2").render(
            v=view, link=link, tiles=[(k, label, tile(k)) for k, label in TILES], active_tile=active,
            matrix_buckets=BUCKETS, buckets=BUCKETS + (("stale", "长期逾期"),),
            statuses=STATUS_CHOICES, owners=owners(self.engine)[:OWNERS_LISTED], chart=svg.bar_chart(view.chart),
            legend=svg.legend(), feeds=current, all_feeds=every, heading=heading,
            stale_days=self.settings.stale_days)

    def milestone(self, mid: str, today: dt.date) -> str | None:
        try:
            ms, doc, history = details(self.engine, mid)
        except NotFound:
            return None
        if ms.id != mid or (self.board.reviewed_only and ms.review not in PUBLISHED):
            return None
        rows = [r for r in status(self.engine, today, doc=doc.id, statuses=None) if r.milestone.id == ms.id]
        return self.env.get_template("milestone.html.j2").render(
            ms=ms, doc=doc, history=history, row=rows[0] if rows else None,
            evidence=highlight(ms.sentence, ms.time_text, ms.task), when=when_text(ms),
            kind=labels.kind(ms.kind), url=labels.public_url(doc.source), link=lambda **_: "/")

    def document(self, doc_id: str, today: dt.date, base: tuple) -> str | None:
        with Session(self.engine) as session:
            doc = session.get(Document, doc_id)
            if doc is None:
                return None
            has = session.exec(select(Milestone.id).where(Milestone.document_id == doc_id)).first()
        rows = [r for r in status(self.engine, today, doc=doc_id, statuses=None,
                                  reviewed=True if self.board.reviewed_only else None)
                if r.document.id == doc_id]
        rows.sort(key=lambda r: (r.due, r.milestone.id))
        feed = self.feed_links(base, f"/feeds/doc/{quote(safe_name(doc.id))}.ics") \
            if self.settings.public_feeds and has else None

        def link(owner=None, **_):
            return "/?" + urlencode({"owner": owner, "doc": doc.id}) if owner else "/"

        return self.env.get_template("document.html.j2").render(
            doc=doc, rows=rows, url=labels.public_url(doc.source), feed=feed, link=link)
