"""Feed bodies for one scope (all, an owner, a document), cached by the data they depend on.

The cache key is the scope plus (row count, latest update) of its milestones, so an unchanged
scope is served from memory and keeps its ETag; any change to a row changes the key.
"""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.calendar.build import assemble, event_bytes
from scheduler.calendar.describe import DEFAULT_SUMMARY
from scheduler.store.labels import doc_title
from scheduler.store.tables import Document, Milestone


class FeedCache:
    def __init__(self, engine: Engine, *, uid_domain: str, alarm_days: int, tz: str,
                 refresh_hours: int, size: int = 256, summary: str = DEFAULT_SUMMARY,
                 reviewed_only: bool = False):
        self.engine = engine
        self.reviewed_only = reviewed_only      # publish = reviewed
        self.options = dict(uid_domain=uid_domain, alarm_days=alarm_days, tz=tz,
                            refresh_hours=refresh_hours)
        self.size = size
        self.summary = summary
        self._cache: dict[tuple, tuple[bytes, str]] = {}
        self._events: dict[tuple, bytes] = {}
        self._building: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def _where(self, query, scope: str, value: str | None):
        if self.reviewed_only:
            from scheduler.store.review import PUBLISHED

            query = query.where(Milestone.review.in_(PUBLISHED))
        if scope == "owner":    # the matching of every owner filter (scheduler.store.owners)
            from scheduler.store.owners import where as owners_where

            return query.where(owners_where(self.engine, value))
        if scope == "doc":
            return query.where(Milestone.document_id == value)
        return query

    def name(self, scope: str, value: str | None) -> str:
        if scope == "doc":
            with Session(self.engine) as session:
                doc = session.get(Document, value)
            return doc_title(doc) if doc else f"文件 {value}"
        return {"all": "全部里程碑", "owner": value}[scope]

    def body(self, scope: str, value: str | None, known: bool = False) -> tuple[bytes, str] | None:
        """(bytes, strong ETag) or None when an owner/doc scope has no milestones, unless the
        owner or document is `known` to the store (under `publish = reviewed` it may have nothing
        published yet: its feed is an empty calendar, not a 404 for the subscribed client).

        Concurrent requests for the same unchanged feed wait for one build (single flight)."""
        with Session(self.engine) as session:
            stamp = session.exec(self._where(
                select(func.count(), func.max(Milestone.updated_at)), scope, value)).one()
        if scope != "all" and not stamp[0] and not known:
            return None
        key = (scope, value, stamp[0], str(stamp[1]))
        with self._lock:
            hit = self._cache.get(key)
            if hit:
                return hit
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                hit = self._cache.get(key)
            if hit:
                return hit
            result = self._build(scope, value)
            with self._lock:
                if len(self._cache) >= self.size:
                    self._cache.clear()
                self._cache[key] = result
                self._building.pop(key, None)
            return result

    def _build(self, scope: str, value: str | None) -> tuple[bytes, str]:
        with Session(self.engine) as session:
            rows = list(session.exec(self._where(
                select(Milestone, Document).join(Document, Document.id == Milestone.document_id),
                scope, value)))
        events = []
        for ms, doc in rows:
            ekey = (ms.id, ms.sequence, str(ms.updated_at), ms.status)
            body = self._events.get(ekey)
            if body is None:
                body = event_bytes(ms, doc, uid_domain=self.options["uid_domain"],
                                   alarm_days=self.options["alarm_days"], summary=self.summary)
                if len(self._events) > 500_000:
                    self._events.clear()
                self._events[ekey] = body
            events.append((ms.id, body))
        data = assemble(self.name(scope, value), events, tz=self.options["tz"],
                        refresh_hours=self.options["refresh_hours"])
        return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
