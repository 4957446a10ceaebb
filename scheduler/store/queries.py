"""Read side: status views, lookups by id prefix, status changes by the user."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.ingest import _change
from scheduler.store.tables import Document, Milestone, StatusChange

STATUSES = ("open", "done", "cancelled")
PERIOD_OF_RRULE = {"FREQ=DAILY": "day", "FREQ=WEEKLY": "week", "FREQ=MONTHLY": "month",
                   "FREQ=YEARLY": "year"}


def recurrence(rrule: str, due: dt.date) -> str:
    """The RRULE to expand: a duty due at month end stays at month end (BYMONTHDAY=-1)."""
    if "FREQ=MONTHLY" in rrule and "BYMONTHDAY" not in rrule and \
            (due + dt.timedelta(days=1)).day == 1 and due.day >= 28:
        return rrule + ";BYMONTHDAY=-1"
    return rrule


def next_due(row: Milestone, today: dt.date) -> dt.date:
    """The due date a user cares about today: for recurring duties, the first occurrence on or
    after today (the end of the current period)."""
    if not row.rrule or today <= row.due:
        return row.due
    parts = dict(p.split("=", 1) for p in row.rrule.split(";") if "=" in p)
    step = int(parts.get("INTERVAL", "1"))
    freq = parts.get("FREQ")
    if freq in ("DAILY", "WEEKLY"):
        days = step * (7 if freq == "WEEKLY" else 1)
        k = -(-(today - row.due).days // days)
        return row.due + dt.timedelta(days=k * days)
    if freq in ("MONTHLY", "YEARLY"):
        months = step * (12 if freq == "YEARLY" else 1)
        month_end = (row.due + dt.timedelta(days=1)).day == 1
        gap = (today.year - row.due.year) * 12 + today.month - row.due.month
        k = max(0, gap // months)
        while True:
            total = row.due.month - 1 + k * months
            year, month = row.due.year + total // 12, total % 12 + 1
            last = calendar.monthrange(year, month)[1]
            day = last if month_end else min(row.due.day, last)
            candidate = dt.date(year, month, day)
            if candidate >= today:
                return candidate
            k += 1
    from dateutil.rrule import rrulestr

    rule = rrulestr(recurrence(row.rrule, row.due), dtstart=dt.datetime.combine(row.due, dt.time()))
    nxt = rule.after(dt.datetime.combine(today, dt.time()), inc=True)
    return nxt.date() if nxt else row.due


@dataclass
class Row:
    milestone: Milestone
    document: Document
    due: dt.date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.milestone.status == "open" and self.days_left < 0


def status(engine: Engine, today: dt.date, *, owner: str | None = None, doc: str | None = None,
           within: int | None = None, overdue: bool = False, statuses=("open",),
           limit: int | None = None) -> list[Row]:
    """Milestones by urgency: overdue first (most overdue first), then by due date.

    For one-off milestones urgency order is due-date order, so the database sorts and limits
    them (index on `due`); recurring duties get their current period's due date in Python.
    """
    horizon = today + dt.timedelta(days=within) if within is not None else None
    with Session(engine) as session:
        base = select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
        if statuses:
            base = base.where(Milestone.status.in_(list(statuses)))
        if owner:
            base = base.where(Milestone.owner.contains(owner))
        if doc:
            base = base.where(or_(Document.id == doc, Document.id.startswith(doc)))
        once = base.where(Milestone.rrule.is_(None))
        if overdue:
            once = once.where(Milestone.due < today)
        elif horizon is not None:
            once = once.where(Milestone.due <= horizon)
        once = once.order_by(Milestone.due, Milestone.id)
        if limit:
            once = once.limit(limit)
        rows = [Row(ms, d, ms.due, (ms.due - today).days) for ms, d in session.exec(once)]
        late = sum(1 for r in rows if r.days_left < 0)
        if not overdue and not (limit and late >= limit):
            # recurring duties: light tuples first, whole rows only for those shown
            light = base.with_only_columns(Milestone.id, Milestone.rrule, Milestone.due) \
                .where(Milestone.rrule.is_not(None))
            picked = []
            for mid, rrule, due in session.exec(light):
                current = next_due(_Due(rrule, due), today)
                if horizon is None or current <= horizon:
                    picked.append(((current - today).days, mid, current))
            picked.sort()
            if limit:
                picked = picked[:limit]
            if picked:
                full = {ms.id: (ms, d) for ms, d in session.exec(
                    base.where(Milestone.id.in_([mid for _, mid, _ in picked])))}
                rows.extend(Row(*full[mid], current, days) for days, mid, current in picked)
        rows.sort(key=lambda r: (r.days_left, r.milestone.id))
        return rows[:limit] if limit else rows


@dataclass
class _Due:
    rrule: str
    due: dt.date


def find(engine: Engine, prefix: str) -> Milestone:
    """A milestone by id or unique id prefix."""
    with Session(engine) as session:
        rows = session.exec(select(Milestone).where(Milestone.id.startswith(prefix)).limit(2)).all()
        if not rows:
            raise NotFound(f"no milestone with id {prefix!r}")
        if len(rows) > 1 and rows[0].id != prefix:
            raise NotFound(f"id prefix {prefix!r} is ambiguous; give more characters")
        return rows[0]


def details(engine: Engine, prefix: str) -> tuple[Milestone, Document, list[StatusChange]]:
    ms = find(engine, prefix)
    with Session(engine) as session:
        doc = session.get(Document, ms.document_id)
        history = session.exec(select(StatusChange).where(StatusChange.milestone_id == ms.id)
                               .order_by(StatusChange.id)).all()
        return ms, doc, list(history)


def set_status(engine: Engine, prefix: str, to: str, why: str, by: str, now: dt.datetime) -> Milestone:
    if to not in STATUSES:
        raise UsageError(f"unknown status {to!r}")
    ms = find(engine, prefix)
    with Session(engine) as session, session.begin():
        row = session.get(Milestone, ms.id)
        if row.status == to:
            raise UsageError(f"milestone {row.id} is already {to}")
        _change(session, row, to, by, why, now)
        row.sequence += 1
        row.updated_at = now
        session.add(row)
    return find(engine, ms.id)


def documents(engine: Engine) -> list[tuple[Document, dict]]:
    with Session(engine) as session:
        counts: dict[str, dict] = {}
        query = select(Milestone.document_id, Milestone.status, func.count()).group_by(
            Milestone.document_id, Milestone.status)
        for doc_id, state, n in session.exec(query):
            counts.setdefault(doc_id, {})[state] = n
        docs = session.exec(select(Document).order_by(Document.id)).all()
        return [(d, counts.get(d.id, {})) for d in docs]


def owners(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [o for o in session.exec(select(Milestone.owner).distinct()
                                         .where(Milestone.owner.is_not(None))
                                         .order_by(Milestone.owner))]


def change_stamp(engine: Engine) -> tuple:
    """What pages built from the store depend on: row counts and latest updates. Any change to a
    milestone or document (added, edited, status changed, removed) changes it."""
    with engine.connect() as conn:     # Core, no ORM session: this runs on every page view
        ms = conn.execute(select(func.count(), func.max(Milestone.updated_at))).one()
        docs = conn.execute(select(func.count(), func.max(Document.updated_at))).one()
    return tuple(str(v) for v in (*ms, *docs))


_PROBES: dict = {}


def check(engine: Engine) -> None:
    """Raise if the store cannot answer (corrupt file, server gone): for health checks. A fresh
    connection each time, so pages cached by a pooled connection cannot hide a broken file."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    probe = _PROBES.get(engine.url)
    if probe is None:
        probe = _PROBES[engine.url] = create_engine(engine.url, poolclass=NullPool)
    with probe.connect() as conn:
        conn.execute(text("SELECT version FROM schema_info")).all()
        conn.execute(text("SELECT count(*), max(updated_at) FROM milestones")).all()
        conn.execute(text("SELECT count(*), max(updated_at) FROM documents")).all()
