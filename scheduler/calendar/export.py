"""`deadlines export`: all.ics, one file per owner and one per document."""

from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler import __version__ as VERSION
from scheduler.calendar import stored
from scheduler.calendar.build import assemble, event_bytes
from scheduler.calendar.describe import DEFAULT_SUMMARY
from scheduler.calendar.names import safe_name
from scheduler.errors import StoreError
from scheduler.store.labels import doc_title
from scheduler.store.owners import model as owner_model
from scheduler.store.tables import Document, Milestone

STALE_TEMP = 3600      # seconds: a temporary file this old was left by a killed export


def _write_temp(path: Path, data: bytes, flush: bool = True) -> str:
    """`data` in a temporary file beside `path` (flushed to disk unless `flush` is False);
    returns its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if flush:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a part: a temporary file in the same
    folder, flushed to disk, renamed over the old one, and the folder's entry flushed too."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)


def write_all(files) -> int:
    """`write_atomic` for many files, (path, bytes) from an iterable consumed one at a time:
    every temporary file is written first, all are flushed to disk with one `sync` (one flush
    per file cost half of an export with thousands of files), then each is renamed over its
    file and each folder's entries are flushed once. Returns how many files were written."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            temps.append((_write_temp(path, data, flush=not hasattr(os, "sync")), path))
        if temps and hasattr(os, "sync"):
            os.sync()
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            with suppress(OSError):
                os.unlink(tmp)
        raise
    for folder in sorted({path.parent for _, path in temps}):
        _sync_folder(folder)
    return len(temps)


def _sweep(out: Path) -> None:
    """Remove temporary files that a killed export left behind (not a running one's)."""
    limit = time.time() - STALE_TEMP
    for tmp in out.rglob(".*.tmp"):
        with suppress(OSError):
            if tmp.stat().st_mtime < limit:
                tmp.unlink()


def export(engine: Engine, out: Path, *, uid_domain: str, alarm_days: int, tz: str,
           refresh_hours: int, summary: str = DEFAULT_SUMMARY,
           reviewed_only: bool = False) -> dict[str, int]:
    """Write the calendars; files whose bytes did not change are left untouched.

    A state file records what the last export was made from (row count, latest update, the
    settings); when nothing changed and every file is still there, nothing is rebuilt.
    """
    with Session(engine) as session:
        count, latest = session.exec(select(func.count(), func.max(Milestone.updated_at))).one()
    state = json.dumps([count, str(latest), uid_domain, alarm_days, tz, refresh_hours, VERSION, summary,
                        reviewed_only])
    state_file = out / ".export-state"
    try:
        previous = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    if previous and previous.get("state") == state and all(
            (out / rel).exists() for rel in previous.get("files", [])):
        return {"files": len(previous["files"]), "written": 0, "events": count}
    # light columns for every milestone; full rows only for the events not kept in the store
    with Session(engine) as session:
        query = select(Milestone.id, Milestone.sequence, Milestone.updated_at, Milestone.status,
                       Milestone.owner, Milestone.document_id).join(
            Document, Document.id == Milestone.document_id)
        if reviewed_only:     # publish = reviewed
            from scheduler.store.review import PUBLISHED

            query = query.where(Milestone.review.in_(PUBLISHED))
        rows = list(session.execute(query))
        docs = {d.id: d for d in session.exec(select(Document))}
    groups: dict[str, tuple[str, list]] = {"all.ics": ("全部里程碑", [])}
    options = json.dumps([uid_domain, alarm_days, summary])
    kept, fresh = stored.load(engine), []
    marks = {ms.id: stored.fingerprint(ms, docs[ms.document_id], options) for ms in rows}
    bodies = {mid: hit[1] for mid, hit in kept.items() if marks.get(mid) == hit[0]}
    missing = [mid for mid in marks if mid not in bodies]
    for i in range(0, len(missing), 500):
        with Session(engine) as session:
            for ms in session.exec(select(Milestone).where(Milestone.id.in_(missing[i:i + 500]))):
                body = event_bytes(ms, docs[ms.document_id], uid_domain=uid_domain,
                                   alarm_days=alarm_days, summary=summary)
                bodies[ms.id] = body
                fresh.append({"id": ms.id, "fingerprint": marks[ms.id], "body": body})
    owners = owner_model(engine)     # one file per owner, its spellings together (as its feed URL)
    names: dict[tuple, str] = {}     # (owner, document) → the owner's file name, matched once
    for ms in rows:
        doc = docs[ms.document_id]
        item = (ms.id, bodies[ms.id])
        owner = names.get((ms.owner, ms.document_id))
        if owner is None:
            owner = names[(ms.owner, ms.document_id)] = \
                owners.groups[owners.group_key(ms.owner, ms.document_id)].name if ms.owner else "未注明"
        groups["all.ics"][1].append(item)
        groups.setdefault(f"owner/{safe_name(owner)}.ics", (owner, []))[1].append(item)
        groups.setdefault(f"doc/{safe_name(doc.id)}.ics", (doc_title(doc), []))[1].append(item)
    stored.save(engine, fresh)
    try:
        if out.is_dir():
            _sweep(out)
        def changed():
            for rel, (name, members) in sorted(groups.items()):
                body = assemble(name, members, tz=tz, refresh_hours=refresh_hours)
                path = out / rel
                if not path.exists() or path.read_bytes() != body:
                    yield path, body

        written = write_all(changed())
        write_atomic(state_file, json.dumps({"state": state, "files": sorted(groups)}).encode())
    except OSError as err:
        raise StoreError(f"cannot write calendars to {out}: {err.strerror}") from None
    return {"files": len(groups), "written": written, "events": len(rows)}
