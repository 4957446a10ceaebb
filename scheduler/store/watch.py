"""Watched sources (pages, list pages, feeds) and what was fetched from them.

`sources` holds one row per watched URL with its schedule and last outcome; `source_pages`
one row per (source, URL) seen: conditional-request validators, the content hash of the
article text and the document it became. Claims are conditional UPDATEs, as in the outbox,
so two processes never run the same source at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from contextlib import contextmanager

from sqlalchemy import insert, or_, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.queries import Row, next_due
from scheduler.store.tables import Document, Milestone


class Source(SQLModel, table=True):
    __tablename__ = "sources"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    url: str
    follow: str | None = None          # CSS selector, "auto", or None (a page or a feed)
    kind: str = Field(default="", max_length=8)   # page | list | feed, known after a run
    every: int                         # seconds between runs
    max_new: int = 20
    owner: str | None = None           # default owner for milestones that name none
    created_at: dt.datetime
    next_run: dt.datetime = Field(index=True)
    last_run: dt.datetime | None = None
    last_summary: str = ""
    last_new: dt.datetime | None = None
    last_new_doc: str | None = None
    last_error: str | None = None
    failures: int = 0
    claimed_at: dt.datetime | None = None
    claimed_by: str | None = None


class SourcePage(SQLModel, table=True):
    __tablename__ = "source_pages"
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(index=True)
    url: str = Field(index=True)
    listed: bool = True                # on the source's list page / feed at its last change
    published: dt.date | None = None   # from the feed entry, if any
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = Field(default=None, index=True)
    document_id: str | None = Field(default=None, index=True)
    first_seen: dt.datetime
    last_fetched: dt.datetime | None = None
    last_status: int | None = None
    error: str | None = None


def add(engine: Engine, *, name: str, url: str, follow: str | None, every: int, max_new: int,
        owner: str | None, now: dt.datetime) -> Source:
    with Session(engine) as session:
        if session.exec(select(Source).where(Source.name == name)).first():
            raise UsageError(f"a source named {name!r} exists; choose another --name")
        same = session.exec(select(Source).where(Source.url == url)).first()
        if same is not None:
            raise UsageError(f"{url} is already watched as {same.name!r}")
        row = Source(name=name, url=url, follow=follow, every=every, max_new=max_new,
                     owner=owner, created_at=now, next_run=now)
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def names(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(Source.name)))


def listing(engine: Engine) -> list[Source]:
    with Session(engine) as session:
        return list(session.exec(select(Source).order_by(Source.name)))


def get(engine: Engine, name: str) -> Source:
    with Session(engine) as session:
        row = session.exec(select(Source).where(Source.name == name)).first()
        if row is None:
            raise NotFound(f"no source named {name!r} (see `deadlines source list`)")
        return row


def remove(engine: Engine, name: str) -> int:
    """Forget a source and its fetch state; the documents it brought in stay. Returns their count."""
    row = get(engine, name)
    with Session(engine) as session, session.begin():
        pages = list(session.exec(select(SourcePage).where(SourcePage.source_id == row.id)))
        kept = len({p.document_id for p in pages if p.document_id})
        for page in pages:
            session.delete(page)
        session.delete(session.get(Source, row.id))
    return kept


def due(engine: Engine, now: dt.datetime) -> list[Source]:
    with Session(engine) as session:
        return list(session.exec(select(Source).where(Source.next_run <= now)
                                 .order_by(Source.next_run, Source.name)))


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _stale(claimed_by: str | None) -> bool:
    """A claim by a process of this machine that no longer exists (killed) is stale at once."""
    if not claimed_by or ":" not in claimed_by:
        return False
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(engine: Engine, source_id: int, now: dt.datetime, lease_seconds: int,
          only_if_due: bool) -> bool:
    """Take a source for one run. Only the process whose UPDATE changed the row runs it."""
    stamp = now
    lease = stamp - dt.timedelta(seconds=lease_seconds)
    with Session(engine) as session:
        row = session.get(Source, source_id)
        if row is None:
            return False
        dead = row.claimed_at is not None and _stale(row.claimed_by)
    condition = or_(Source.claimed_at.is_(None), Source.claimed_at < lease)
    if dead:
        condition = or_(condition, Source.claimed_by == row.claimed_by)
    query = update(Source).where(Source.id == source_id).where(condition)
    if only_if_due:
        query = query.where(Source.next_run <= stamp)
    with engine.begin() as conn:
        return conn.execute(query.values(claimed_at=stamp, claimed_by=holder())).rowcount == 1


def finish(engine: Engine, source_id: int, **values) -> None:
    """Record a run's outcome and release the claim."""
    with engine.begin() as conn:
        conn.execute(update(Source).where(Source.id == source_id).values(
            claimed_at=None, claimed_by=None, **values))


def pages(engine: Engine, source_id: int) -> dict[str, SourcePage]:
    with Session(engine) as session:
        return {p.url: p for p in session.exec(select(SourcePage)
                                               .where(SourcePage.source_id == source_id))}


FETCH_STATE = ("listed", "published", "etag", "last_modified", "content_hash", "document_id",
               "last_fetched", "last_status", "error")


def save_page(engine: Engine, page: SourcePage) -> SourcePage:
    """Write a page's fetch state: one UPDATE (or INSERT for a page not stored yet)."""
    values = {key: getattr(page, key) for key in FETCH_STATE}
    with engine.begin() as conn:
        if page.id is not None:
            conn.execute(update(SourcePage).where(SourcePage.id == page.id).values(**values))
        else:
            result = conn.execute(insert(SourcePage).values(
                source_id=page.source_id, url=page.url, first_seen=page.first_seen, **values))
            page.id = result.inserted_primary_key[0]
    return page


def relist(engine: Engine, source_id: int, urls: list[str], published: dict, now: dt.datetime) -> None:
    """The list page or feed changed: mark what it links to now, add the links not seen before."""
    with Session(engine) as session, session.begin():
        known = {p.url: p for p in session.exec(select(SourcePage)
                                                .where(SourcePage.source_id == source_id))}
        wanted = set(urls)
        for url, page in known.items():
            if page.listed != (url in wanted):
                page.listed = url in wanted
                session.add(page)
        for url in urls:
            page = known.get(url)
            if page is None:
                session.add(SourcePage(source_id=source_id, url=url, listed=True,
                                       published=published.get(url), first_seen=now))
            elif published.get(url) and page.published != published[url]:
                page.published = published[url]
                session.add(page)


def document_with_hash(engine: Engine, content_hash: str) -> str | None:
    """The document already stored for this article text, from any source."""
    with Session(engine) as session:
        return session.exec(select(SourcePage.document_id).where(
            SourcePage.content_hash == content_hash, SourcePage.document_id.is_not(None))).first()


def found_since(engine: Engine, since: dt.datetime | None, today: dt.date, *,
                owner: str | None = None, doc: str | None = None) -> list[Row]:
    """Open milestones of fetched documents first stored after `since` (the digest's 新发现)."""
    fetched = select(SourcePage.document_id).where(SourcePage.document_id.is_not(None))
    query = (select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
             .where(Milestone.status == "open", Milestone.document_id.in_(fetched)))
    if since is not None:
        query = query.where(Milestone.created_at > since)
    if owner:
        from scheduler.store.owners import where as owners_where

        query = query.where(owners_where(engine, owner))
    if doc:
        query = query.where(or_(Document.id == doc, Document.id.startswith(doc)))
    with Session(engine) as session:
        rows = []
        for ms, document in session.exec(query.order_by(Milestone.due, Milestone.id)):
            current = next_due(ms, today)
            rows.append(Row(ms, document, current, (current - today).days))
        return rows


LOCK = 0x646C_7372   # PostgreSQL advisory lock key for the source scan ("dlsr")


@contextmanager
def scan_lock(engine: Engine):
    """On PostgreSQL, yield True to one process at a time (the others skip the scan)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK}).scalar()
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK})
