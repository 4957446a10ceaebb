"""`deadlines search TEXT`: milestones whose task, owner, evidence or document title contain TEXT,
in simplified and traditional script alike (both sides are folded to simplified, full-width
letters and digits to ASCII, case and spaces ignored)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.store.owners import simplified
from scheduler.store.queries import Row, current
from scheduler.store.tables import Document, Milestone

SPACE = re.compile(r"\s+")


def fold(text: str | None) -> str:
    return SPACE.sub("", simplified(text or "")).lower()


def search(engine: Engine, text: str, today: dt.date, statuses=None) -> list[Row]:
    """Every match, most urgent first (as `status` orders them)."""
    wanted = fold(text)
    if not wanted:
        return []
    with Session(engine) as session:
        titles = {d: fold(t) for d, t in session.exec(select(Document.id, Document.title))}
        light = select(Milestone.id, Milestone.document_id, Milestone.task, Milestone.owner, Milestone.sentence)
        if statuses:
            light = light.where(Milestone.status.in_(list(statuses)))
        hits = [mid for mid, doc, task, owner, sentence in session.exec(light)
                if wanted in fold(task) or wanted in fold(owner) or wanted in fold(sentence)
                or wanted in titles.get(doc, "")]
        rows = []
        for start in range(0, len(hits), 500):
            query = (select(Milestone, Document).join(Document, Document.id == Milestone.document_id)
                     .where(Milestone.id.in_(hits[start:start + 500])))
            for ms, doc in session.exec(query):
                due = current(ms, today)
                rows.append(Row(ms, doc, due, (due - today).days))
    rows.sort(key=lambda r: (r.milestone.status != "open", r.days_left, r.milestone.id))
    return rows
