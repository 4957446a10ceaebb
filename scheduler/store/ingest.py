"""Idempotent ingest: one document per transaction; milestones update in place by stable id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.extract import Extraction
from scheduler.store.labels import derive_title
from scheduler.store.tables import Document, Milestone, StatusChange

TRACKED = ("due", "start", "precision", "kind", "rrule", "owner", "time_text", "task", "title",
           "sentence", "span_start", "span_end", "rules", "confidence", "flags")
VANISHED = "no longer in the document"


@dataclass
class IngestResult:
    document: str
    state: str                      # new | updated | unchanged
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    ids: list[str] = field(default_factory=list)


def _row_values(ms, document_id: str) -> dict:
    return dict(document_id=document_id, due=ms.due, start=ms.start, precision=ms.precision,
                kind=ms.kind, rrule=ms.rrule, owner=ms.owner, time_text=ms.time_text,
                task=ms.task, title=ms.title, sentence=ms.sentence, span_start=ms.span[0],
                span_end=ms.span[1], rules=list(ms.rules), confidence=ms.confidence,
                flags=list(ms.flags))


def milestone_id(document_id: str, extracted_id: str) -> str:
    return f"{document_id[:24]}-{extracted_id}"


def ingest(engine: Engine, source: str, result: Extraction, now: dt.datetime) -> IngestResult:
    info = result.document
    with Session(engine) as session, session.begin():
        doc = session.exec(select(Document).where(Document.source == source)).first()
        if doc is not None and doc.content_hash == info.content_hash \
                and doc.published == info.published:
            return IngestResult(doc.id, "unchanged")
        state = "updated" if doc else "new"
        if doc is None:
            doc_id = info.doc
            clash = session.get(Document, doc_id)
            if clash is not None:
                doc_id = f"{info.doc}-{info.content_hash[:8]}"
            doc = Document(id=doc_id, source=source, content_hash=info.content_hash,
                           ingested_at=now, updated_at=now)
        doc.content_hash = info.content_hash
        doc.published = info.published
        doc.published_how = info.published_how
        doc.title = derive_title(info.text)
        doc.encoding = info.encoding
        doc.repairs = [{"id": r.id, "count": r.count} for r in info.repairs]
        doc.warnings = list(info.warnings)
        doc.updated_at = now
        session.add(doc)
        session.flush()
        existing = {row.id: row for row in
                    session.exec(select(Milestone).where(Milestone.document_id == doc.id))}
        out = IngestResult(doc.id, state)
        seen = set()
        fresh = []
        for ms in result.milestones:
            mid = milestone_id(doc.id, ms.id)
            seen.add(mid)
            out.ids.append(mid)
            values = _row_values(ms, doc.id)
            row = existing.get(mid)
            if row is None:
                fresh.append(dict(id=mid, status="open", sequence=0, created_at=now,
                                  updated_at=now, **values))
                out.added += 1
                continue
            changed = any(getattr(row, k) != v for k, v in values.items())
            revived = row.status == "cancelled" and _last_reason(session, mid) == VANISHED
            if changed or revived:
                for k, v in values.items():
                    setattr(row, k, v)
                if revived:
                    _change(session, row, "open", "ingest", "back in the document", now)
                row.sequence += 1
                row.updated_at = now
                session.add(row)
                out.updated += 1
        if fresh:   # one multi-row INSERT instead of an ORM object per milestone
            session.execute(insert(Milestone.__table__), fresh)
        for mid, row in existing.items():
            if mid not in seen and row.status == "open":
                _change(session, row, "cancelled", "ingest", VANISHED, now)
                row.sequence += 1
                row.updated_at = now
                session.add(row)
                out.cancelled += 1
        return out


def _last_reason(session: Session, mid: str) -> str | None:
    change = session.exec(select(StatusChange).where(StatusChange.milestone_id == mid)
                          .order_by(StatusChange.id.desc())).first()
    return change.why if change else None


def _change(session: Session, row: Milestone, to: str, by: str, why: str, now: dt.datetime) -> None:
    session.add(StatusChange(milestone_id=row.id, at=now, by=by, from_status=row.status,
                             to_status=to, why=why))
    row.status = to
