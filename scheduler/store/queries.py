"""Read side: status views, lookups by id prefix, status changes by the user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.ingest import _change
from scheduler.store.owners import where as owners_where
from scheduler.store.tables import Document, Milestone, StatusChange
from scheduler.store.timeline import current_due, next_occurrence, recurrence, series_end, stale_cutoff

__all__ = ["recurrence", "next_due", "status", "count", "find", "details", "set_status",
           "change_status", "abbrev_length", "current"]

STATUSES = ("open", "done", "cancelled")
PERIOD_OF_RRULE = {"FREQ=DAILY": "day", "FREQ=WEEKLY": "week", "FREQ=MONTHLY": "month",
                   "FREQ=YEARLY": "year"}


def next_due(row: Milestone, today: dt.date) -> dt.date:
    """The first occurrence on or after today of a recurring duty, ignoring its series end
    (`timeline.current_due` applies the end)."""
    return row.due if not row.rrule else next_occurrence(row.rrule, row.due, today)


def current(ms: Milestone, today: dt.date) -> dt.date:
    """The due date that matters today (next occurrence; last one once the series ended)."""
    return current_due(ms.rrule, ms.due, today, series_end(ms.rrule, ms.due, ms.sentence))


@dataclass
class Row:
    milestone: Milestone
    document: Document
    due: dt.date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.milestone.status == "open" and self.days_left < 0


def _base(owner, doc, statuses):
    """`owner` is the condition of `owners.where` (one matching for every owner filter)."""
    base = select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
    if statuses:
        base = base.where(Milestone.status.in_(list(statuses)))
    if owner is not None:
        base = base.where(owner)
    if doc:
        base = base.where(or_(Document.id == doc, Document.id.startswith(doc)))
    return base


def _reviewed(base, reviewed: bool | None):
    """`reviewed`: True only accepted, edited and hand-entered milestones; False only the
    not yet reviewed; None all."""
    from scheduler.store.review import PUBLISHED

    if reviewed is None:
        return base
    if reviewed:
        return base.where(Milestone.review.in_(PUBLISHED))
    return base.where(Milestone.review == "unreviewed")


def _keep(due: dt.date, state: str, today, horizon, overdue, cutoff, stale) -> bool:
    """The Python side of the filters, for recurring duties (one-offs are filtered in SQL)."""
    if overdue and due >= today:
        return False
    if horizon is not None and due > horizon:
        return False
    if cutoff is not None and state == "open" and (due < cutoff) != stale:
        return False
    return not (stale and state != "open")


def status(engine: Engine, today: dt.date, *, owner: str | None = None, doc: str | None = None,
           within: int | None = None, overdue: bool = False, statuses=("open",),
           limit: int | None = None, stale_days: int | None = None, stale: bool = False,
           reviewed: bool | None = None) -> list[Row]:
    """Milestones by urgency: overdue first (most overdue first), then by due date.

    With `stale_days`, open milestones overdue by more than that are left out (or, with `stale`,
    only they are listed). For one-off milestones urgency order is due-date order, so the
    database sorts and limits them (index on `due`); recurring duties get their current due
    date (next occurrence, or last one once the series ended) in Python.
    """
    horizon = today + dt.timedelta(days=within) if within is not None else None
    cutoff = stale_cutoff(today, stale_days) if stale_days is not None else None
    with Session(engine) as session:
        base = _reviewed(_base(owners_where(engine, owner), doc, statuses), reviewed)
        once = _once(base, today, horizon, overdue, cutoff, stale).order_by(Milestone.due, Milestone.id)
        if limit:
            once = once.limit(limit)
        rows = [Row(ms, d, ms.due, (ms.due - today).days) for ms, d in session.exec(once)]
        late = sum(1 for r in rows if r.days_left < 0)
        if not (limit and late >= limit):
            picked = sorted(_recurring(session, base, today, horizon, overdue, cutoff, stale))
            if limit:
                picked = picked[:limit]
            if picked:
                full = {ms.id: (ms, d) for ms, d in session.exec(
                    base.where(Milestone.id.in_([mid for _, mid, _ in picked])))}
                rows.extend(Row(*full[mid], due, days) for days, mid, due in picked)
        rows.sort(key=lambda r: (r.days_left, r.milestone.id))
        return rows[:limit] if limit else rows


def count(engine: Engine, today: dt.date, *, owner: str | None = None, doc: str | None = None,
          within: int | None = None, overdue: bool = False, statuses=("open",),
          stale_days: int | None = None, stale: bool = False, reviewed: bool | None = None) -> int:
    """How many rows `status` would list with the same filters and no limit."""
    horizon = today + dt.timedelta(days=within) if within is not None else None
    cutoff = stale_cutoff(today, stale_days) if stale_days is not None else None
    with Session(engine) as session:
        base = _reviewed(_base(owners_where(engine, owner), doc, statuses), reviewed)
        once = _once(base, today, horizon, overdue, cutoff, stale)
        n = session.execute(once.with_only_columns(func.count()).order_by(None)).scalar_one()
        return n + len(_recurring(session, base, today, horizon, overdue, cutoff, stale))


def _once(base, today, horizon, overdue, cutoff, stale):
    once = base.where(Milestone.rrule.is_(None))
    if overdue:
        once = once.where(Milestone.due < today)
    elif horizon is not None:
        once = once.where(Milestone.due <= horizon)
    if cutoff is not None:
        if stale:
            once = once.where(Milestone.status == "open", Milestone.due < cutoff)
        else:
            once = once.where(or_(Milestone.status != "open", Milestone.due >= cutoff))
    return once


def _recurring(session, base, today, horizon, overdue, cutoff, stale) -> list[tuple]:
    """(days left, id, current due) of the recurring duties that pass the filters; light tuples."""
    light = base.with_only_columns(Milestone.id, Milestone.rrule, Milestone.due, Milestone.sentence,
                                   Milestone.status).where(Milestone.rrule.is_not(None))
    picked = []
    for mid, rrule, due, sentence, state in session.exec(light):
        now_due = current_due(rrule, due, today, series_end(rrule, due, sentence))
        if _keep(now_due, state, today, horizon, overdue, cutoff, stale):
            picked.append(((now_due - today).days, mid, now_due))
    return picked


def abbrev_length(engine: Engine, minimum: int = 4) -> int:
    """Git-style: the shortest id prefix length (at least `minimum`) unique among all milestones."""
    with Session(engine) as session:
        ids = list(session.exec(select(Milestone.id).order_by(Milestone.id)))
    longest = 0
    for a, b in zip(ids, ids[1:], strict=False):
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        longest = max(longest, common + 1)
    return max(minimum, longest)


def find(engine: Engine, prefix: str) -> Milestone:
    """A milestone by id or unique id prefix; an ambiguous prefix names its candidates."""
    with Session(engine) as session:
        exact = session.get(Milestone, prefix)
        if exact is not None:
            return exact
        rows = session.exec(select(Milestone).where(Milestone.id.startswith(prefix))
                            .order_by(Milestone.id).limit(6)).all()
        if not rows:
            raise NotFound(f"no milestone with id {prefix!r}")
        if len(rows) > 1:
            shown = ", ".join(r.id for r in rows[:5]) + (", …" if len(rows) > 5 else "")
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {shown}")
        return rows[0]


def details(engine: Engine, prefix: str) -> tuple[Milestone, Document, list[StatusChange]]:
    ms = find(engine, prefix)
    with Session(engine) as session:
        doc = session.get(Document, ms.document_id)
        history = session.exec(select(StatusChange).where(StatusChange.milestone_id == ms.id)
                               .order_by(StatusChange.id)).all()
        return ms, doc, list(history)


def set_status(engine: Engine, prefix: str, to: str, why: str, by: str, now: dt.datetime) -> Milestone:
    """Change a milestone's status (idempotent: already `to` changes nothing)."""
    return change_status(engine, prefix, to, why, by, now)[0]


def change_status(engine: Engine, prefix: str, to: str, why: str, by: str,
                  now: dt.datetime) -> tuple[Milestone, bool]:
    """(the milestone, whether it changed); a milestone already `to` is left alone."""
    if to not in STATUSES:
        raise UsageError(f"unknown status {to!r}")
    ms = find(engine, prefix)
    if ms.status == to:
        return ms, False
    with Session(engine) as session, session.begin():
        row = session.get(Milestone, ms.id)
        if to == "open":    # a rejected extraction reopened goes back to the review queue
            from scheduler.store.review import unreject

            unreject(session, row, by, now)
        _change(session, row, to, by, why, now)
        row.sequence += 1
        row.updated_at = now
        session.add(row)
    return find(engine, ms.id), True


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


def document(engine: Engine, prefix: str) -> tuple[Document, dict]:
    """A document by id or unique id prefix, with its milestone counts by status."""
    with Session(engine) as session:
        doc = session.get(Document, prefix)
        if doc is None:
            found = session.exec(select(Document).where(Document.id.startswith(prefix))
                                 .order_by(Document.id).limit(6)).all()
            if not found:
                raise NotFound(f"no document with id {prefix!r}")
            if len(found) > 1:
                raise NotFound(f"document id {prefix!r} is ambiguous: "
                               + ", ".join(d.id for d in found[:5]) + (", …" if len(found) > 5 else ""))
            doc = found[0]
        counts = dict(session.exec(select(Milestone.status, func.count()).where(
            Milestone.document_id == doc.id).group_by(Milestone.status)).all())
        return doc, counts


def owner_counts(engine: Engine) -> list[tuple[str, dict]]:
    """Each owner with its milestone counts by status."""
    with Session(engine) as session:
        counts: dict[str, dict] = {}
        query = select(Milestone.owner, Milestone.status, func.count()).where(
            Milestone.owner.is_not(None)).group_by(Milestone.owner, Milestone.status)
        for owner, state, n in session.exec(query):
            counts.setdefault(owner, {})[state] = n
        return sorted(counts.items())


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
