"""`deadlines import FILE.ics`: events of an existing calendar become milestones (read with ics.py).

Each VEVENT becomes a milestone of a document named after the file: due on its (last) day,
task = SUMMARY (+ DESCRIPTION as evidence), owner from the first CATEGORY. Re-importing the same
file changes nothing; an edited file updates in place like any document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from scheduler.errors import InputError
from scheduler.extract.model import DocumentInfo, Extraction, Milestone
from scheduler.store.labels import FREQ, KIND, PRECISION

NOT_OWNERS = {"deadline", "start", "recurring", "day", "xun", "month", "quarter", "half", "year",
              *KIND.values(), *PRECISION.values(), *FREQ.values(), "每季度", "每半年"}
OWNER_PREFIX = re.compile(r"^(?:✓\s*)?\[[^\]]*\]\s*")


def read(path: Path, doc: str) -> Extraction:
    import ics

    try:
        raw = path.read_bytes()
        calendar = ics.Calendar(raw.decode("utf-8-sig"))
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None
    except Exception as err:   # ics raises a zoo of parse errors; they all mean one thing here
        raise InputError(f"{path}: not a readable iCalendar file: {str(err).splitlines()[0]}") from None
    info = DocumentInfo(doc=doc, source=str(path), encoding="utf-8",
                        content_hash=hashlib.sha256(raw).hexdigest(), published=None,
                        published_how="imported calendar", text="")
    milestones = []
    for event in sorted(calendar.events, key=lambda e: (e.uid or "", e.name or "")):
        if event.begin is None or not event.name:
            continue
        begin = event.begin.date()
        end = event.end.date() if event.end else begin
        due = end - dt.timedelta(days=1) if event.all_day and end > begin else end
        start = begin if begin < due else None
        # CATEGORIES comes back as a set: the owner is the one that is not a kind or precision
        owners = sorted(c for c in (event.categories or ()) if c not in NOT_OWNERS)
        owner = owners[0] if owners else None
        name = OWNER_PREFIX.sub("", event.name.strip()) or event.name.strip()
        sentence = (event.description or name).strip()
        ms = Milestone(doc=doc, due=due, start=start, precision="day", kind="deadline",
                       rrule=None, owner=owner, time_text=due.isoformat(), task=name,
                       title=name[:24], sentence=sentence, span=(0, 0),
                       sentence_span=(0, 0), rules=["ics-import"], confidence=1.0)
        ms.id = hashlib.sha1(f"{doc}\x1f{event.uid or event.name}".encode()).hexdigest()[:16]
        milestones.append(ms)
    return Extraction(info, milestones)
