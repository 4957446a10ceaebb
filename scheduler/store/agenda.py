"""Milestones by day over a date range: the agenda and the month calendar."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler.store.owners import where as owners_where
from scheduler.store.queries import Row, _base
from scheduler.store.tables import Milestone
from scheduler.store.timeline import series_end, upcoming


def occurrences(engine: Engine, start: dt.date, stop: dt.date, today: dt.date, *,
                owner: str | None = None, doc: str | None = None,
                statuses=("open",)) -> list[Row]:
    """Every due date in [start, stop]: one-off milestones once, recurring duties once per
    occurrence up to their series end; each a Row whose `due` is that day. Ordered by day, id."""
    with Session(engine) as session:
        base = _base(owners_where(engine, owner), doc, statuses)
        once = base.where(Milestone.rrule.is_(None), Milestone.due >= start, Milestone.due <= stop)
        rows = [Row(ms, d, ms.due, (ms.due - today).days) for ms, d in session.exec(once)]
        light = base.with_only_columns(Milestone.id, Milestone.rrule, Milestone.due,
                                       Milestone.sentence).where(Milestone.rrule.is_not(None),
                                                                 Milestone.due <= stop)
        days = {}
        for mid, rrule, due, sentence in session.exec(light):
            found = upcoming(rrule, due, start, stop, series_end(rrule, due, sentence))
            if found:
                days[mid] = found
        if days:
            for ms, d in session.exec(base.where(Milestone.id.in_(list(days)))):
                rows.extend(Row(ms, d, day, (day - today).days) for day in days[ms.id])
    rows.sort(key=lambda r: (r.due, r.milestone.id))
    return rows
