"""`deadlines export`: all.ics, one file per owner and one per document."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler.calendar.build import calendar
from scheduler.errors import StoreError
from scheduler.store.tables import Document, Milestone

UNSAFE = re.compile(r"[^\w\u3400-\u9fff.-]+")


def safe_name(name: str) -> str:
    """A file name that cannot leave the folder: no separators, no dot-dot, never empty."""
    cleaned = re.sub(r"\.{2,}", "_", UNSAFE.sub("_", name)).strip("._")[:60]
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return cleaned if cleaned and cleaned == name else f"{cleaned or 'x'}-{digest}"


def export(engine: Engine, out: Path, *, uid_domain: str, alarm_days: int, tz: str,
           refresh_hours: int) -> dict[str, int]:
    """Write the calendars; files whose bytes did not change are left untouched."""
    with Session(engine) as session:
        rows = list(session.exec(select(Milestone, Document)
                                 .join(Document, Document.id == Milestone.document_id)))
    groups: dict[str, tuple[str, list]] = {"all.ics": ("全部里程碑", rows)}
    for ms, doc in rows:
        owner = ms.owner or "未注明"
        groups.setdefault(f"owner/{safe_name(owner)}.ics", (owner, []))[1].append((ms, doc))
        groups.setdefault(f"doc/{safe_name(doc.id)}.ics", (f"文件 {doc.id}", []))[1].append((ms, doc))
    written = 0
    try:
        for rel, (name, members) in sorted(groups.items()):
            body = calendar(name, members, uid_domain=uid_domain, alarm_days=alarm_days, tz=tz,
                            refresh_hours=refresh_hours)
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != body:
                path.write_bytes(body)
                written += 1
    except OSError as err:
        raise StoreError(f"cannot write calendars to {out}: {err.strerror}") from None
    return {"files": len(groups), "written": written, "events": len(rows)}
