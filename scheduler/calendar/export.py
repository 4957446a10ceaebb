"""`deadlines export`: all.ics, one file per owner and one per document."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler import __version__ as VERSION
from scheduler.calendar import stored
from scheduler.calendar.build import assemble, event_bytes
from scheduler.calendar.describe import DEFAULT_SUMMARY
from scheduler.errors import StoreError
from scheduler.store.labels import doc_title
from scheduler.store.tables import Document, Milestone

UNSAFE = re.compile(r"[^\w\u3400-\u9fff.-]+")


def safe_name(name: str) -> str:
    """A file name that cannot leave the folder: no separators, no dot-dot, never empty."""
    cleaned = re.sub(r"\.{2,}", "_", UNSAFE.sub("_", name)).strip("._")[:60]
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return cleaned if cleaned and cleaned == name else f"{cleaned or 'x'}-{digest}"


def export(engine: Engine, out: Path, *, uid_domain: str, alarm_days: int, tz: str,
           refresh_hours: int, summary: str = DEFAULT_SUMMARY) -> dict[str, int]:
    """Write the calendars; files whose bytes did not change are left untouched.

    A state file records what the last export was made from (row count, latest update, the
    settings); when nothing changed and every file is still there, nothing is rebuilt.
    """
    with Session(engine) as session:
        count, latest = session.exec(select(func.count(), func.max(Milestone.updated_at))).one()
    state = json.dumps([count, str(latest), uid_domain, alarm_days, tz, refresh_hours, VERSION, summary])
    state_file = out / ".export-state"
    try:
        previous = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    if previous and previous.get("state") == state and all(
            (out / rel).exists() for rel in previous.get("files", [])):
        return {"files": len(previous["files"]), "written": 0, "events": count}
    with Session(engine) as session:
        rows = list(session.exec(select(Milestone, Document)
                                 .join(Document, Document.id == Milestone.document_id)))
    groups: dict[str, tuple[str, list]] = {"all.ics": ("全部里程碑", [])}
    options = json.dumps([uid_domain, alarm_days, summary])
    kept, fresh = stored.load(engine), []
    for ms, doc in rows:
        mark = stored.fingerprint(ms, doc, options)
        hit = kept.get(ms.id)
        if hit and hit[0] == mark:
            body = hit[1]
        else:
            body = event_bytes(ms, doc, uid_domain=uid_domain, alarm_days=alarm_days, summary=summary)
            fresh.append({"id": ms.id, "fingerprint": mark, "body": body})
        item = (ms.id, body)
        owner = ms.owner or "未注明"
        groups["all.ics"][1].append(item)
        groups.setdefault(f"owner/{safe_name(owner)}.ics", (owner, []))[1].append(item)
        groups.setdefault(f"doc/{safe_name(doc.id)}.ics", (doc_title(doc), []))[1].append(item)
    stored.save(engine, fresh)
    written = 0
    try:
        for rel, (name, members) in sorted(groups.items()):
            body = assemble(name, members, tz=tz, refresh_hours=refresh_hours)
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != body:
                path.write_bytes(body)
                written += 1
        state_file.write_text(json.dumps({"state": state, "files": sorted(groups)}), encoding="utf-8")
    except OSError as err:
        raise StoreError(f"cannot write calendars to {out}: {err.strerror}") from None
    return {"files": len(groups), "written": written, "events": len(rows)}
