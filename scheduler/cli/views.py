"""What each listing looks like: its record for programs (the JSON contracts) and its lines for
people. Printing goes through `output`."""

from __future__ import annotations

from scheduler.cli import output
from scheduler.cli.output import Col

RECURRING = "↻"


def urgency(days: int, state: str = "open") -> tuple[str, str]:
    """The `left` cell: overdue red, due today or within 7 days yellow."""
    if state != "open":
        return state, "dim"
    if days < 0:
        return f"逾期 {-days} 天", "bold red"
    if days == 0:
        return "今天", "bold yellow"
    return f"{days} 天", "yellow" if days <= 7 else ""


def status_json(row) -> dict:
    """The `status --format json` contract (documented in the README)."""
    ms, doc = row.milestone, row.document
    return {
        "id": ms.id, "doc": doc.id, "source": doc.source,
        "published": doc.published.isoformat() if doc.published else None,
        "due": row.due.isoformat(), "start": ms.start.isoformat() if ms.start else None,
        "days_left": row.days_left, "overdue": row.overdue, "precision": ms.precision,
        "kind": ms.kind, "rrule": ms.rrule, "owner": ms.owner, "time_text": ms.time_text,
        "title": ms.title, "task": ms.task, "status": ms.status, "sequence": ms.sequence,
        "sentence": ms.sentence, "confidence": ms.confidence, "flags": ms.flags,
        "review": ms.review,
    }


def owner_cap(width: int) -> int:
    """Cells for the owner at this terminal width: 12 at 80 columns, up to 24."""
    return max(10, min(24, width // 7 + 1))


def status_lines(rows, id_len: int, width: int | None, wide: bool = False):
    """One line per milestone: id, due, left, owner, task (the rest of the line)."""
    cols = [Col("id"), Col("due"), Col("left")]
    if wide:
        cols += [Col("prec"), Col("kind"), Col("doc", cap=12)]
    cols += [Col("owner", cap=owner_cap(width) if width else None), Col("task", flex=True)]
    table = []
    for row in rows:
        ms = row.milestone
        line = [(ms.id[:id_len], "bold"), row.due.isoformat(), urgency(row.days_left, ms.status)]
        if wide:   # a fetched document's id links to its page on terminals that show links
            doc = output._doc(row.document)
            line += [ms.precision, ms.kind, doc if isinstance(doc, str) else (doc.plain, doc.style)]
        task = f"{RECURRING} {ms.task}" if ms.rrule else ms.task
        line += [ms.owner or "-", (task, "") if not ms.rrule else (task, "")]
        table.append(line)
    lines = output.grid(cols, table, width)
    for line, row in zip(lines[1:], rows, strict=True):
        if row.milestone.rrule:
            line.highlight_words([RECURRING], style="dim")
    return lines


def extracted_json(m) -> dict:
    return m.to_json()


def extracted_lines(milestones, width: int | None, wide: bool = False):
    """Due, precision, owner, time phrase, task; kind and rule ids when wide (or piped)."""
    wide = wide or width is None or width >= 120
    cols = [Col("due"), Col("prec")] + ([Col("kind")] if wide else []) + [
        Col("owner", cap=owner_cap(width) if width else None), Col("time", cap=12),
        Col("task", flex=True)] + ([Col("rule", cap=24)] if wide else [])
    rows = []
    for m in milestones:
        kind = [m.kind] if wide else []
        rule = [",".join(m.rules)] if wide else []
        rows.append([m.due.isoformat(), m.precision, *kind, m.owner or "-", m.time_text, m.task, *rule])
    return output.grid(cols, rows, width)


def doc_json(doc, counts) -> dict:
    return {"doc": doc.id, "title": doc_title(doc), "source": doc.source,
            "published": doc.published.isoformat() if doc.published else None,
            "how": doc.published_how, "open": counts.get("open", 0), "done": counts.get("done", 0),
            "cancelled": counts.get("cancelled", 0), "warnings": list(doc.warnings)}


def doc_title(doc) -> str:
    return getattr(doc, "title", None) or ""


def short_how(how: str) -> str:
    """`sidecar: 页面日期行 2023-02-13 …` → `sidecar`; the long form is in `docs show`."""
    return (how or "-").split(":", 1)[0].split("（", 1)[0].strip() or "-"
