"""Counts and short lists for the dashboard without loading every row.

One-off milestones are counted by the database (GROUP BY owner, status, due-date bucket, stale
flag and chart period, each a CASE on the due date), and listed by it (ORDER BY due, id with a
LIMIT). Recurring duties get their current due date (next occurrence, or the last one once the
series ended) in Python from light tuples, as `status` does. The results are the same as
counting and filtering the rows of `status(...)` for the same day: a row's `days_left` is its
current due date minus today, its owner is the stored owner or `labels.NO_OWNER`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.store import labels
from scheduler.store.queries import Row
from scheduler.store.review import PUBLISHED
from scheduler.store.tables import Document, Milestone
from scheduler.store.timeline import bucket, current_due, series_end

CHART_MONTHS = 6


def month_add(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def periods(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(key, first day, first day of the next month) of the chart's months."""
    first = today.replace(day=1)
    return [(f"{month_add(first, n):%Y-%m}", month_add(first, n), month_add(first, n + 1))
            for n in range(CHART_MONTHS)]


def owner_column():
    """The owner as the dashboard shows it: the stored one, or NO_OWNER when empty."""
    return func.coalesce(func.nullif(Milestone.owner, ""), labels.NO_OWNER)


@dataclass(frozen=True)
class Scope:
    """Which milestones: statuses, and the dashboard's filters (all exact matches)."""
    statuses: tuple[str, ...] = ("open",)
    reviewed: bool = False          # publish = reviewed: only PUBLISHED milestones
    owner: str | None = None
    doc: str | None = None
    q: str | None = None
    due: dt.date | None = None      # current due date (a recurring duty's occurrence)


def _contains(engine: Engine, column, text: str):
    """`text in column` with Python's exact, case-sensitive meaning (not LIKE)."""
    if engine.dialect.name == "postgresql":
        return func.strpos(column, text) > 0
    return func.instr(column, text) > 0


def _where(engine: Engine, scope: Scope) -> list:
    conds = [Milestone.status.in_(list(scope.statuses))]
    if scope.reviewed:
        conds.append(Milestone.review.in_(PUBLISHED))
    if scope.owner is not None:
        if scope.owner == labels.NO_OWNER:
            conds.append(or_(Milestone.owner.is_(None), Milestone.owner == "",
                             Milestone.owner == labels.NO_OWNER))
        else:
            conds.append(Milestone.owner == scope.owner)
    if scope.doc is not None:
        conds.append(Milestone.document_id == scope.doc)
    if scope.q:
        conds.append(or_(*(_contains(engine, col, scope.q) for col in
                           (Milestone.title, Milestone.task, Milestone.sentence, Milestone.owner))))
    return conds


@dataclass(frozen=True)
class Duty:
    """A recurring duty with its current due date for one day (light: no ORM object)."""
    id: str
    owner: str          # as shown: NO_OWNER when empty
    status: str
    due: dt.date        # current due date: next occurrence, or the last once the series ended
    title: str
    doc: str
    review: str
    texts: tuple        # title, task, sentence, stored owner: what `q` searches


def duties(engine: Engine, today: dt.date) -> list[Duty]:
    """Every recurring duty with its current due date on `today`. The dashboard computes this
    once per (store change, day) and filters it per scope (`_recurring`)."""
    query = select(Milestone.id, owner_column(), Milestone.status, Milestone.rrule, Milestone.due,
                   Milestone.sentence, Milestone.title, Milestone.document_id, Milestone.review,
                   Milestone.task, Milestone.owner).where(Milestone.rrule.is_not(None))
    out = []
    with Session(engine) as session:
        for mid, owner, state, rrule, due, sentence, title, doc, review, task, raw in session.execute(query):
            now = current_due(rrule, due, today, series_end(rrule, due, sentence))
            out.append(Duty(mid, owner, state, now, title, doc, review, (title, task, sentence, raw)))
    return out


def _recurring(engine: Engine, scope: Scope, today: dt.date, known: list[Duty] | None):
    """The recurring duties in scope (the same conditions as `_where`, in Python)."""
    for d in (duties(engine, today) if known is None else known):
        if d.status not in scope.statuses or (scope.reviewed and d.review not in PUBLISHED):
            continue
        if scope.owner is not None and d.owner != scope.owner:
            continue
        if scope.doc is not None and d.doc != scope.doc:
            continue
        if scope.q and not any(scope.q in (text or "") for text in d.texts):
            continue
        if scope.due is None or d.due == scope.due:
            yield d


def _period(state: str, due: dt.date, today: dt.date, months) -> str | None:
    if state == "open" and due < today:
        return "overdue"
    if state != "open" or due >= today:
        for key, start, stop in months:
            if start <= due < stop:
                return key
    return None


def tally(engine: Engine, today: dt.date, scope: Scope, stale_days: int,
          known: list[Duty] | None = None) -> Counter:
    """Counter of (owner, status, bucket, stale, chart period or None) over the scope."""
    months = periods(today)
    cutoff = today - dt.timedelta(days=stale_days)
    due = Milestone.due
    bucket_col = case((due < today, "overdue"), (due <= today + dt.timedelta(days=7), "week"),
                      (due <= today + dt.timedelta(days=30), "month"), else_="later")
    stale_col = case((and_(Milestone.status == "open", due < cutoff), 1), else_=0)
    period_col = case((and_(Milestone.status == "open", due < today), "overdue"),
                      *((and_(due >= start, due < stop,
                              or_(Milestone.status != "open", due >= today)), key)
                        for key, start, stop in months), else_=literal(None))
    owner = owner_column()
    out: Counter = Counter()
    with Session(engine) as session:
        query = select(owner, Milestone.status, bucket_col, stale_col, period_col, func.count()).where(
            Milestone.rrule.is_(None), *_where(engine, scope))
        if scope.due is not None:
            query = query.where(Milestone.due == scope.due)
        query = query.group_by(owner, Milestone.status, bucket_col, stale_col, period_col)
        for who, state, b, stale, period, n in session.execute(query):
            out[(who, state, b, bool(stale), period)] += n
    for d in _recurring(engine, scope, today, known):
        out[(d.owner, d.status, bucket((d.due - today).days), d.status == "open" and d.due < cutoff,
             _period(d.status, d.due, today, months))] += 1
    return out


@dataclass
class Light:
    """What the month grid shows of a milestone (`row.milestone.id`, `.title`, `row.due`)."""
    milestone: object
    due: dt.date


@dataclass
class _Named:
    id: str
    title: str


def _bucket_where(name: str | None, today: dt.date, cutoff: dt.date) -> list:
    due = Milestone.due
    if name is None:
        return []
    conds = [Milestone.status == "open"]
    if name == "stale":
        return conds + [due < cutoff]
    bounds = {"overdue": (None, today - dt.timedelta(days=1)),
              "week": (today, today + dt.timedelta(days=7)),
              "month": (today + dt.timedelta(days=8), today + dt.timedelta(days=30)),
              "later": (today + dt.timedelta(days=31), None)}[name]
    if bounds[0] is not None:
        conds.append(due >= bounds[0])
    if bounds[1] is not None:
        conds.append(due <= bounds[1])
    return conds


def _keeps(state: str, now: dt.date, today: dt.date, cutoff: dt.date, name: str | None,
           stale: bool | None) -> bool:
    is_stale = state == "open" and now < cutoff
    if stale is not None and is_stale != stale:
        return False
    if name is None:
        return True
    if state != "open":
        return False
    return is_stale if name == "stale" else bucket((now - today).days) == name


def rows(engine: Engine, today: dt.date, scope: Scope, stale_days: int, *, bucket_name=None,
         stale: bool | None = None, limit: int = 200, known: list[Duty] | None = None) -> list[Row]:
    """The first `limit` rows of the scope in `status` order (days left, id), as full `Row`s;
    `bucket_name` as the dashboard's bucket filter, `stale` True/False for only/no stale rows."""
    cutoff = today - dt.timedelta(days=stale_days)
    with Session(engine) as session:
        query = select(Milestone.id, Milestone.due).where(
            Milestone.rrule.is_(None), *_where(engine, scope), *_bucket_where(bucket_name, today, cutoff))
        if scope.due is not None:
            query = query.where(Milestone.due == scope.due)
        if stale is True:
            query = query.where(Milestone.status == "open", Milestone.due < cutoff)
        elif stale is False:
            query = query.where(or_(Milestone.status != "open", Milestone.due >= cutoff))
        picked = [((due - today).days, mid, due)
                  for mid, due in session.execute(query.order_by(Milestone.due, Milestone.id).limit(limit))]
        picked += [((d.due - today).days, d.id, d.due) for d in _recurring(engine, scope, today, known)
                   if _keeps(d.status, d.due, today, cutoff, bucket_name, stale)]
        picked = sorted(picked)[:limit]
        if not picked:
            return []
        full = {ms.id: (ms, d) for ms, d in session.exec(
            select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
            .where(Milestone.id.in_([mid for _, mid, _ in picked])))}
        return [Row(*full[mid], due, days) for days, mid, due in picked]


def month_rows(engine: Engine, today: dt.date, scope: Scope, stale_days: int, first: dt.date,
               bucket_name=None, known: list[Duty] | None = None) -> list[Light]:
    """The milestones of the scope whose current due date falls in `first`'s month, by day
    then id (the order `status` gives them)."""
    stop = month_add(first, 1)
    cutoff = today - dt.timedelta(days=stale_days)
    with Session(engine) as session:
        query = select(Milestone.id, Milestone.title, Milestone.due).where(
            Milestone.rrule.is_(None), Milestone.due >= first, Milestone.due < stop,
            *_where(engine, scope), *_bucket_where(bucket_name, today, cutoff))
        if scope.due is not None:
            query = query.where(Milestone.due == scope.due)
        found = [(due, mid, title) for mid, title, due in session.execute(query)]
    found += [(d.due, d.id, d.title) for d in _recurring(engine, scope, today, known)
              if first <= d.due < stop and _keeps(d.status, d.due, today, cutoff, bucket_name, None)]
    return [Light(_Named(mid, title), due) for due, mid, title in sorted(found)]
