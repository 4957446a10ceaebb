"""The trust loop: a person accepts, rejects, edits and adds milestones, and ingest keeps it.

- `review` on a milestone: unreviewed (as extracted) | accepted | edited | manual (entered by
  hand) | rejected. Published under `publish = reviewed`: accepted, edited, manual.
- `pinned`: the fields a person vouches for (edited ones; on accept the core fields), each with
  what the text said at that time. A re-ingest never overwrites a pinned field; when the text
  now says something else, `conflict` holds the text's new value and the row is flagged.
- `rejections`: rejected extractions by a fingerprint of their evidence (sentence, time
  phrase and the task it binds), so they do not come back when the row id changes (a new
  document id, an edited file stored under another name).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import uuid

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.errors import InputError, NotFound, UsageError
from scheduler.store.tables import Document, Milestone, MilestoneEdit, Rejection, StatusChange

PUBLISHED = ("accepted", "edited", "manual")
STATES = ("unreviewed", "accepted", "edited", "manual", "rejected")
EDITABLE = ("due", "start", "task", "owner", "precision", "rrule")
CORE = ("due", "start", "task", "owner", "precision", "rrule")   # pinned on accept
PRECISIONS = ("day", "xun", "month", "quarter", "half", "year")
CONFLICT = "conflict"
MANUAL_DOC = "manual"
MANUAL_SOURCE = "deadlines:manual"
SPACE = re.compile(r"\s+")


# -- values as stored in `pinned` / `conflict` (JSON) ----------------------------------------
def encode(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def decode(field: str, value):
    if field in ("due", "start") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def shown(value) -> str:
    return "-" if value is None or value == "" else str(encode(value))


def fingerprint(sentence: str, time_text: str, task: str) -> str:
    """The evidence of an extraction: its sentence, its time phrase and the task that phrase
    binds (one sentence often holds several: `年底前完成…；…年底前实现…`); whitespace ignored."""
    raw = "\x1f".join(SPACE.sub("", part or "") for part in (sentence, time_text, task))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


# -- ingest side -----------------------------------------------------------------------------
def rejected(session: Session, prints: list[str]) -> set[str]:
    if not prints:
        return set()
    return set(session.exec(select(Rejection.fingerprint).where(Rejection.fingerprint.in_(prints))))


def merge(session: Session, row: Milestone, values: dict, now: dt.datetime) -> dict:
    """The extracted `values` a re-ingest may write into `row`: pinned fields are left out
    (their title too when the task is pinned), and a pinned field the text now says
    differently is recorded in `row.conflict` (and its flag)."""
    pinned = dict(row.pinned or {})
    conflict = dict(row.conflict or {})
    for name, base in list(pinned.items()):
        now_says = encode(values.get(name))
        if now_says == encode(getattr(row, name)):     # the text now agrees with the person
            pinned[name] = now_says
            conflict.pop(name, None)
        elif now_says != base and conflict.get(name) != now_says:
            conflict[name] = now_says
            session.add(MilestoneEdit(milestone_id=row.id, at=now, by="ingest", field=CONFLICT,
                                      old=shown(getattr(row, name)), new=shown(now_says),
                                      why=f"{name}: the text now says {shown(now_says)}; "
                                      f"{shown(getattr(row, name))} kept"))
        elif now_says == base:
            conflict.pop(name, None)
    kept = {k: v for k, v in values.items()
            if k not in pinned and not (k == "title" and "task" in pinned)}
    flags = [f for f in kept.get("flags", row.flags or []) if f != CONFLICT]
    kept["flags"] = flags + ([CONFLICT] if conflict else [])
    if conflict != (row.conflict or {}):
        kept["conflict"] = conflict
    if pinned != (row.pinned or {}):
        kept["pinned"] = pinned
    return kept


def same_duty(row: Milestone, values: dict) -> float:
    """How well a new extraction matches a reviewed row whose extraction id vanished (the
    text around it was edited): same task, or nearly the same sentence."""
    if values["task"] in (row.task, (row.pinned or {}).get("task")):
        return 1.0
    ratio = difflib.SequenceMatcher(None, row.sentence or "", values["sentence"] or "").ratio()
    return ratio if ratio >= 0.8 else 0.0


# -- the queue -------------------------------------------------------------------------------
def queue(engine: Engine) -> list[tuple[Milestone, Document]]:
    """Milestones waiting for a person: conflicts first, then open unreviewed ones, lowest
    confidence first (then by due date)."""
    with Session(engine) as session:
        joined = select(Milestone, Document).join(Document, Document.id == Milestone.document_id) \
            .where(Milestone.status == "open")
        waiting = list(session.exec(joined.where(Milestone.review == "unreviewed")))
        # conflicts are few: find them on light rows (JSON has no portable comparison in SQL)
        clashing = [mid for mid, conflict in session.exec(select(Milestone.id, Milestone.conflict).where(
            Milestone.status == "open", Milestone.review.in_(PUBLISHED))) if conflict]
        for start in range(0, len(clashing), 500):
            waiting += session.exec(joined.where(Milestone.id.in_(clashing[start:start + 500]))).all()
    waiting.sort(key=lambda r: (not r[0].conflict, r[0].confidence, r[0].due, r[0].id))
    return waiting


def backlog(engine: Engine) -> int:
    """How many milestones wait for review (the dashboard's count)."""
    with Session(engine) as session:
        unreviewed = session.execute(select(func.count()).select_from(Milestone).where(
            Milestone.status == "open", Milestone.review == "unreviewed")).scalar_one()
        conflicts = [c for (c,) in session.execute(select(Milestone.conflict).where(
            Milestone.status == "open", Milestone.review.in_(PUBLISHED)))]
    return unreviewed + sum(1 for c in conflicts if c)


# -- decisions -------------------------------------------------------------------------------
def _row(session: Session, prefix: str) -> Milestone:
    from scheduler.store.queries import find

    return session.get(Milestone, find(session.get_bind(), prefix).id)


def _log(session, row, by, now, field, old, new, why="") -> None:
    session.add(MilestoneEdit(milestone_id=row.id, at=now, by=by, field=field,
                              old=None if old is None else str(encode(old)),
                              new=None if new is None else str(encode(new)), why=why))


def _touch(session, row, now) -> None:
    row.sequence += 1
    row.updated_at = now
    session.add(row)


def accept(engine: Engine, prefix: str, by: str, now: dt.datetime) -> tuple[Milestone, str]:
    """Accept what the text says. On a conflict, the text's new values replace the person's.
    Returns (row, what happened)."""
    with Session(engine) as session, session.begin():
        row = _row(session, prefix)
        if row.review == "rejected":
            raise UsageError(f"{row.id} was rejected; reopen it first (deadlines reopen)")
        if not row.conflict and row.review in PUBLISHED:
            session.expunge(row)
            return row, f"already {row.review}"
        pinned = dict(row.pinned or {})
        what = "accepted"
        if row.conflict:
            for name, value in row.conflict.items():
                _log(session, row, by, now, name, getattr(row, name), decode(name, value),
                     "the text's new value accepted")
                setattr(row, name, decode(name, value))
                pinned[name] = value
                if name == "task":
                    row.title = _title(row.task)
            row.conflict = {}
            row.flags = [f for f in row.flags if f != CONFLICT]
            what = "accepted the text's values"
        for name in CORE:      # unpinned fields hold what the text says
            pinned.setdefault(name, encode(getattr(row, name)))
        row.pinned = pinned
        if row.review == "unreviewed":
            _log(session, row, by, now, "review", row.review, "accepted")
            row.review = "accepted"
        _touch(session, row, now)
        session.flush()
        session.refresh(row)
        session.expunge(row)
        return row, what


def keep(engine: Engine, prefix: str, by: str, now: dt.datetime) -> Milestone:
    """Resolve a conflict by keeping the person's values (the text's are remembered as seen)."""
    with Session(engine) as session, session.begin():
        row = _row(session, prefix)
        if not row.conflict:
            raise UsageError(f"{row.id} has no conflict to resolve")
        pinned = dict(row.pinned)
        for name, value in row.conflict.items():
            pinned[name] = value
            _log(session, row, by, now, name, value, getattr(row, name), "kept the person's value")
        row.pinned, row.conflict = pinned, {}
        row.flags = [f for f in row.flags if f != CONFLICT]
        _touch(session, row, now)
        session.flush()
        session.refresh(row)
        session.expunge(row)
        return row


def reject(engine: Engine, prefix: str, reason: str, by: str, now: dt.datetime) -> tuple[Milestone, bool]:
    """Reject an extraction: cancelled, and its evidence remembered so no re-ingest brings it
    back. (row, whether it changed)."""
    if not reason.strip():
        raise UsageError("a reason is required to reject (--reason)")
    with Session(engine) as session, session.begin():
        row = _row(session, prefix)
        if row.review == "rejected":
            session.expunge(row)
            return row, False
        _log(session, row, by, now, "review", row.review, "rejected", reason)
        if row.review != "manual":
            mark = fingerprint(row.sentence, row.time_text, row.task)
            if session.get(Rejection, mark) is None:
                session.add(Rejection(fingerprint=mark, milestone_id=row.id, at=now, by=by,
                                      reason=reason))
        row.review = "rejected"
        row.conflict = {}
        row.flags = [f for f in row.flags if f != CONFLICT]
        if row.status != "cancelled":
            session.add(StatusChange(milestone_id=row.id, at=now, by=by, from_status=row.status,
                                     to_status="cancelled", why=f"rejected: {reason}"))
            row.status = "cancelled"
        _touch(session, row, now)
        session.flush()
        session.refresh(row)
        session.expunge(row)
        return row, True


def unreject(session: Session, row: Milestone, by: str, now: dt.datetime) -> None:
    """`reopen` of a rejected milestone: back in the queue, its fingerprint forgotten."""
    if row.review != "rejected":
        return
    mark = fingerprint(row.sentence, row.time_text, row.task)
    found = session.get(Rejection, mark)
    if found is not None:
        session.delete(found)
    _log(session, row, by, now, "review", "rejected", "unreviewed", "reopened")
    row.review = "unreviewed"


def _title(task: str, limit: int = 24) -> str:
    flat = task.replace("…", " ").replace("\n", "")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def with_until(rrule: str, until: dt.date) -> str:
    parts = [p for p in rrule.split(";") if p and not p.upper().startswith("UNTIL=")]
    return ";".join(parts + [f"UNTIL={until:%Y%m%d}"])


def check_rrule(rrule: str) -> str:
    from dateutil.rrule import rrulestr

    rule = rrule.strip().upper()
    if rule.startswith("RRULE:"):
        rule = rule[6:]
    if "FREQ=" not in rule:
        raise InputError(f"--every {rrule!r}: an RRULE needs FREQ= (e.g. FREQ=MONTHLY)")
    try:
        rrulestr(rule, dtstart=dt.datetime(2024, 1, 1))
    except (ValueError, TypeError) as err:
        raise InputError(f"--every {rrule!r}: not a valid RRULE ({err})") from None
    return rule


def edit(engine: Engine, prefix: str, changes: dict, by: str, now: dt.datetime,
         until: dt.date | None = None) -> tuple[Milestone, list[str]]:
    """Set fields by hand; each change is in the history and pinned against re-ingest.
    Returns (row, the fields that changed)."""
    with Session(engine) as session, session.begin():
        row = _row(session, prefix)
        if row.review == "rejected":
            raise UsageError(f"{row.id} was rejected; reopen it first (deadlines reopen)")
        if until is not None:
            rule = changes.get("rrule", row.rrule)
            if not rule:
                raise UsageError(f"{row.id} does not repeat: --until needs --every")
            changes = {**changes, "rrule": with_until(rule, until)}
        due, start = changes.get("due", row.due), changes.get("start", row.start)
        if start is not None and start > due:
            raise InputError(f"start {start} is after due {due}")
        pinned, conflict = dict(row.pinned or {}), dict(row.conflict or {})
        done = []
        for name, value in changes.items():
            if name not in EDITABLE:
                raise UsageError(f"cannot edit {name!r}")
            old = getattr(row, name)
            if name not in pinned:          # what the text says is the row's value until now
                pinned[name] = encode(old)
            if name in conflict:            # the person has seen the text's new value
                pinned[name] = conflict.pop(name)
            if value == old:
                continue
            _log(session, row, by, now, name, old, value)
            setattr(row, name, value)
            done.append(name)
            if name == "task":
                row.title = _title(value)
            if name == "rrule":
                row.kind = "recurring" if value else ("deadline" if row.kind == "recurring" else row.kind)
        row.pinned, row.conflict = pinned, conflict
        row.flags = [f for f in row.flags if f != CONFLICT] + ([CONFLICT] if conflict else [])
        if done and row.review not in ("manual", "edited"):
            _log(session, row, by, now, "review", row.review, "edited")
            row.review = "edited"
        if done or changes:
            _touch(session, row, now)
        session.flush()
        session.refresh(row)
        session.expunge(row)
        return row, done


def manual_document(session: Session, now: dt.datetime) -> Document:
    """The store's document for milestones entered by hand without --doc."""
    doc = session.exec(select(Document).where(Document.source == MANUAL_SOURCE)).first()
    if doc is not None:
        return doc
    doc_id = MANUAL_DOC if session.get(Document, MANUAL_DOC) is None else "manual-entries"
    doc = Document(id=doc_id, source=MANUAL_SOURCE, content_hash="", published=None,
                   published_how="entered by hand", title="手工录入", ingested_at=now,
                   updated_at=now)
    session.add(doc)
    session.flush()
    return doc


def add(engine: Engine, *, task: str, due: dt.date, by: str, now: dt.datetime,
        start: dt.date | None = None, precision: str = "day", owner: str | None = None,
        doc: str | None = None, rrule: str | None = None, time_text: str = "",
        rules: list[str] | None = None) -> Milestone:
    """A milestone entered by hand (review state `manual`); a re-ingest of its document
    leaves it alone."""
    task = task.strip()
    if not task:
        raise InputError("the task is empty")
    if start is not None and start > due:
        raise InputError(f"start {start} is after due {due}")
    with Session(engine) as session, session.begin():
        if doc:
            from scheduler.store.queries import document

            document_row = session.get(Document, document(engine, doc)[0].id)
        else:
            document_row = manual_document(session, now)
        mid = f"{document_row.id[:24]}-m{uuid.uuid4().hex[:15]}"
        row = Milestone(id=mid, document_id=document_row.id, due=due, start=start,
                        precision=precision, kind="recurring" if rrule else "deadline",
                        rrule=rrule, owner=owner or None, time_text=time_text or due.isoformat(),
                        task=task, title=_title(task), sentence="", span_start=0, span_end=0,
                        rules=rules or ["manual"], confidence=1.0, flags=[], status="open",
                        sequence=0, created_at=now, updated_at=now, review="manual",
                        pinned={}, conflict={}, extract_key=None)
        session.add(row)
        session.flush()
        _log(session, row, by, now, "review", None, "manual", "entered by hand")
        session.flush()
        session.refresh(row)
        session.expunge(row)
        return row


def edits(engine: Engine, milestone_id: str) -> list[MilestoneEdit]:
    with Session(engine) as session:
        return list(session.exec(select(MilestoneEdit).where(
            MilestoneEdit.milestone_id == milestone_id).order_by(MilestoneEdit.id)))


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return dict(session.exec(select(Milestone.review, func.count()).group_by(Milestone.review)).all())


def require(value: str, allowed, what: str) -> str:
    if value not in allowed:
        raise UsageError(f"{what} must be one of {', '.join(allowed)} (not {value!r})")
    return value


__all__ = ["PUBLISHED", "queue", "backlog", "accept", "keep", "reject", "edit", "add", "merge",
           "fingerprint", "rejected", "same_duty", "edits", "unreject", "NotFound"]
