"""Read side: status views, lookups by id prefix, status changes by the user."""

from __future__ import annotations

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
    """The due date a user cares about today: for recurring duties, the end of the current period."""
    if not row.rrule:
        return row.due
    if today <= row.due:
        return row.due
    from dateutil.rrule import rrulestr

    rule = rrulestr(recurrence(row.rrule, row.due), dtstart=dt.datetime.combine(row.due, dt.time()))
    nxt = rule.after(dt.datetime.combine(today, dt.time()) - dt.timedelta(seconds=1), inc=True)
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
    """Milestones ordered by urgency: overdue first (most overdue first), then by due date."""
    with Session(engine) as session:
        query = select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
        if statuses:
            query = query.where(Milestone.status.in_(list(statuses)))
        if owner:
            query = query.where(Milestone.owner.contains(owner))
        if doc:
            query = query.where(or_(Document.id == doc, Document.id.startswith(doc)))
        if overdue:
            query = query.where(Milestone.due < today, Milestone.rrule.is_(None))
        elif within is not None:
            query = query.where(or_(Milestone.due <= today + dt.timedelta(days=within),
                                    Milestone.rrule.is_not(None)))
        query = query.order_by(Milestone.due, Milestone.id)
        rows = []
        for ms, document in session.exec(query):
            due = next_due(ms, today)
            if within is not None and not overdue and due > today + dt.timedelta(days=within):
                continue
            rows.append(Row(ms, document, due, (due - today).days))
        rows.sort(key=lambda r: (r.days_left >= 0, r.days_left, r.milestone.id))
        return rows[:limit] if limit else rows


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
