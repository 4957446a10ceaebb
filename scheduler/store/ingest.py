"""Idempotent ingest: one document per transaction; milestones update in place by stable id.

Each document is its own unit. Limits are checked before insert, the same on every back end.
A conflict with a concurrent writer (same source, same id) rolls the document back and looks
again; identical content under another name is a duplicate, not stored twice; an id already
used by another source is reported and the document stored under a derived id.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import Session, select

from scheduler.errors import InputError, StoreError
from scheduler.extract import Extraction
from scheduler.store import review
from scheduler.store.labels import derive_title
from scheduler.store.owners import aliased as owner_aliases
from scheduler.store.owners import apply as apply_alias
from scheduler.store.tables import ID_LENGTH, Document, Milestone, StatusChange

TRACKED = ("due", "start", "precision", "kind", "rrule", "owner", "time_text", "task", "title",
           "sentence", "span_start", "span_end", "rules", "confidence", "flags")
VANISHED = "no longer in the document"


@dataclass
class IngestResult:
    document: str
    state: str                      # new | updated | unchanged | duplicate
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    ids: list[str] = field(default_factory=list)
    note: str | None = None         # a duplicate, or an id that was already used


def _row_values(ms, document_id: str) -> dict:
    return dict(document_id=document_id, due=ms.due, start=ms.start, precision=ms.precision,
                kind=ms.kind, rrule=ms.rrule, owner=ms.owner, time_text=ms.time_text,
                task=ms.task, title=ms.title, sentence=ms.sentence, span_start=ms.span[0],
                span_end=ms.span[1], rules=list(ms.rules), confidence=ms.confidence,
                flags=list(ms.flags))


def milestone_id(document_id: str, extracted_id: str) -> str:
    return f"{document_id[:24]}-{extracted_id}"


def check_limits(doc_id: str, source: str) -> None:
    """The same limits on SQLite and PostgreSQL, checked before anything is written."""
    if not doc_id.strip():
        raise InputError("empty document id")
    if len(doc_id) > ID_LENGTH:
        raise InputError(f"document id {doc_id[:24]!r}… is {len(doc_id)} characters; "
                         f"the limit is {ID_LENGTH}")
    for what, value in (("document id", doc_id), ("source", source)):
        if "\x00" in value:
            raise InputError(f"{what} contains a NUL character")


def _busy(err: OperationalError) -> bool:
    message = str(err.orig).lower()
    return "locked" in message or "deadlock" in message or "could not serialize" in message


def ingest(engine: Engine, source: str, result: Extraction, now: dt.datetime,
           attempts: int = 6) -> IngestResult:
    """Store one document in one transaction. Raises InputError (limits, values the database
    refuses) or StoreError (a conflict that persists) for this document only."""
    check_limits(result.document.doc, source)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            return _ingest(engine, source, result, now)
        except IntegrityError as err:   # a concurrent writer stored this source or id: look again
            if last:
                raise StoreError(f"conflicting writes: {str(err.orig).splitlines()[0]}") from None
        except _Taken as err:
            if last:
                raise StoreError(str(err)) from None
        except OperationalError as err:
            if last or not _busy(err):
                raise
        except DataError as err:
            raise InputError(f"refused by the database: {str(err.orig).splitlines()[0]}") from None
        time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


class _Taken(Exception):
    """The derived id is taken too: another ingest is storing this file right now; look again."""


def _lock_key(content_hash: str) -> int:
    return int(content_hash[:15], 16)    # fits a signed 64-bit advisory lock key


def _ingest(engine: Engine, source: str, result: Extraction, now: dt.datetime) -> IngestResult:
    info = result.document
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":   # same content from two processes: one at a time
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                            {"key": _lock_key(info.content_hash)})
        elif engine.dialect.name == "sqlite":
            # take the write lock first (BEGIN IMMEDIATE): the checks below and the insert then
            # see one state, not reads that a concurrent ingest changes in between
            session.execute(text("UPDATE schema_info SET version = version"))
        doc = session.exec(select(Document).where(Document.source == source)).first()
        if doc is not None and doc.content_hash == info.content_hash \
                and doc.published == info.published:
            return IngestResult(doc.id, "unchanged")
        state = "updated" if doc else "new"
        note = None
        if doc is None:
            twin = session.exec(select(Document).where(
                Document.content_hash == info.content_hash)).first()
            if twin is not None:
                return IngestResult(twin.id, "duplicate",
                                    note=f"same content as doc {twin.id} ({twin.source}); not stored")
            doc_id = info.doc
            clash = session.get(Document, doc_id)
            if clash is not None:
                doc_id = f"{info.doc[:ID_LENGTH - 9]}-{info.content_hash[:8]}"
                if session.get(Document, doc_id) is not None:
                    raise _Taken(f"doc {info.doc} already used by {clash.source}, and {doc_id} too")
                note = f"doc {info.doc} already used by {clash.source}; stored as {doc_id}"
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
        rows = list(session.exec(select(Milestone).where(Milestone.document_id == doc.id)))
        existing = {row.extract_key or row.id: row for row in rows}
        taken = {row.id for row in rows}
        out = IngestResult(doc.id, state, note=note)
        seen: set[str] = set()
        fresh, pending = [], []
        stored_as: dict[str, str] = {}      # extraction id → the row it went into
        aliases = owner_aliases(session)      # `owners merge|rename` apply to later ingests too
        for ms in result.milestones:
            mid = milestone_id(doc.id, ms.id)
            values = _row_values(ms, doc.id)
            values["owner"] = apply_alias(aliases, values["owner"])
            row = existing.get(mid)
            if row is None:
                pending.append((mid, values))
                continue
            seen.add(row.id)
            out.ids.append(row.id)
            stored_as[ms.id] = row.id
            out.updated += _update(session, row, values, now)
        # a reviewed row whose extraction id changed (the text around it was edited) follows
        # its new extraction; a rejected extraction is not proposed again
        orphans = [row for row in rows if row.id not in seen and row.review in ("accepted", "edited")]
        gone = review.rejected(session, [review.fingerprint(v["sentence"], v["time_text"], v["task"])
                                         for _, v in pending])
        extracted = {milestone_id(doc.id, ms.id): ms.id for ms in result.milestones}
        for mid, values in pending:
            best = max(orphans, key=lambda r: review.same_duty(r, values), default=None)
            if best is not None and review.same_duty(best, values) > 0:
                orphans.remove(best)
                best.extract_key = mid
                row = best
            elif mid in taken:      # its id is held by a row that follows another extraction
                row = next(r for r in rows if r.id == mid)
                if row.id in seen:
                    continue
                row.extract_key = None
                if row in orphans:
                    orphans.remove(row)
            else:
                if review.fingerprint(values["sentence"], values["time_text"], values["task"]) in gone:
                    continue
                fresh.append(dict(id=mid, status="open", sequence=0, created_at=now,
                                  updated_at=now, review="unreviewed", pinned={}, conflict={},
                                  extract_key=None, **values))
                out.ids.append(mid)
                stored_as[extracted[mid]] = mid
                out.added += 1
                continue
            seen.add(row.id)
            out.ids.append(row.id)
            stored_as[extracted[mid]] = row.id
            out.updated += _update(session, row, values, now, moved=True)
        if fresh:   # one multi-row INSERT instead of an ORM object per milestone
            session.execute(insert(Milestone.__table__), fresh)
        _close_stated(session, result.states, stored_as, now)
        for row in rows:   # milestones entered by hand are not the text's to take away
            if row.id not in seen and row.status == "open" and row.review != "manual":
                _change(session, row, "cancelled", "ingest", VANISHED, now)
                row.sequence += 1
                row.updated_at = now
                session.add(row)
                out.cancelled += 1
        return out


def _update(session: Session, row: Milestone, values: dict, now: dt.datetime,
            moved: bool = False) -> int:
    """Write a re-extracted milestone into its row, except the fields a person set; 1 if the
    row changed."""
    values = review.merge(session, row, values, now)
    changed = moved or any(getattr(row, k) != v for k, v in values.items())
    revived = row.status == "cancelled" and row.review != "rejected" \
        and _last_reason(session, row.id) == VANISHED
    if not (changed or revived):
        return 0
    for k, v in values.items():
        setattr(row, k, v)
    if revived:
        _change(session, row, "open", "ingest", "back in the document", now)
    row.sequence += 1
    row.updated_at = now
    session.add(row)
    return 1


def _last_reason(session: Session, mid: str) -> str | None:
    change = session.exec(select(StatusChange).where(StatusChange.milestone_id == mid)
                          .order_by(StatusChange.id.desc())).first()
    return change.why if change else None


STATED = {"done": "状态列：已完成", "cancelled": "状态列：已取消"}


def _close_stated(session: Session, states: dict[str, str], stored_as: dict[str, str],
                  now: dt.datetime) -> None:
    """A source that says a milestone is done or cancelled (a task table's 状态 column) closes
    it when it is open, once: a person who reopens it is not overruled by the next import of a
    sheet that still says so. A sheet never reopens (that is `deadlines reopen`)."""
    for extracted_id, state in states.items():
        row = session.get(Milestone, stored_as.get(extracted_id, ""))
        if row is None or row.status != "open" or state not in STATED:
            continue
        said = select(StatusChange.id).where(StatusChange.milestone_id == row.id,
                                             StatusChange.by == "import", StatusChange.to_status == state)
        if session.exec(said).first() is not None:
            continue
        _change(session, row, state, "import", STATED[state], now)
        row.sequence += 1
        row.updated_at = now
        session.add(row)


def _change(session: Session, row: Milestone, to: str, by: str, why: str, now: dt.datetime) -> None:
    session.add(StatusChange(milestone_id=row.id, at=now, by=by, from_status=row.status,
                             to_status=to, why=why))
    row.status = to
