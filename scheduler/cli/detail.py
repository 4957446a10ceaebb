"""The long forms: one milestone (`show`) and documents (`docs`, `docs show`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text

from scheduler.cli import output, views
from scheduler.cli.output import Col, Format

LABEL = 10
FREQ = {"DAILY": "每天", "WEEKLY": "每周", "MONTHLY": "每月", "YEARLY": "每年"}


def local(at: dt.datetime, tz: str) -> str:
    """A stored time in the configured zone (naive times are UTC)."""
    from scheduler.clock import zone

    aware = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
    return f"{aware.astimezone(zone(tz)):%Y-%m-%d %H:%M %Z}"


def _every(rrule: str) -> str:
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    n = int(parts.get("INTERVAL", "1"))
    base = FREQ.get(parts.get("FREQ", ""), rrule)
    if n == 1:
        return base
    unit = {"每天": "天", "每周": "周", "每月": "个月", "每年": "年"}.get(base, "")
    return f"每{n}{unit}" if unit else base


def evidence(ms) -> Text:
    """The sentence with the time phrase and the task highlighted."""
    text = Text(ms.sentence or "")
    parts = [p for p in (ms.task or "").split("…") if len(p) > 1]   # a task joined from parts
    text.highlight_words(parts, style="bold")
    text.highlight_words([ms.time_text] if ms.time_text else [], style="bold cyan")
    return text


def _field(label: str, value: Text | str, width: int) -> list[Text]:
    """`label  value`, the value wrapped by display width and indented under itself."""
    body = value if isinstance(value, Text) else Text(value)
    lines = body.wrap(output.console, max(20, width - LABEL - 2)) if width else [body]
    out = []
    for i, line in enumerate(lines):
        head = Text(f"{label:>{LABEL}}  " if i == 0 else " " * (LABEL + 2), style="bold" if i == 0 else None)
        out.append(head + line)
    return out


def show_json(ms, doc, history, today: dt.date, tz: str, stale_days: int, edits=()) -> dict:
    from scheduler.store.timeline import current_due, is_stale, next_occurrence, series_end

    end = series_end(ms.rrule, ms.due, ms.sentence)
    due = current_due(ms.rrule, ms.due, today, end)
    nxt = next_occurrence(ms.rrule, ms.due, today) if ms.rrule else None
    return {
        "id": ms.id, "doc": doc.id, "source": doc.source, "task": ms.task, "title": ms.title,
        "due": due.isoformat(), "first_due": ms.due.isoformat(), "days_left": (due - today).days,
        "next": nxt.isoformat() if nxt and (end is None or nxt <= end) else None,
        "series_end": end.isoformat() if end else None, "rrule": ms.rrule,
        "stale": ms.status == "open" and is_stale(due, today, stale_days),
        "precision": ms.precision, "kind": ms.kind, "owner": ms.owner, "status": ms.status,
        "sequence": ms.sequence, "time_text": ms.time_text, "sentence": ms.sentence,
        "rules": ms.rules, "confidence": ms.confidence, "flags": ms.flags,
        "history": [{"at": local(c.at, tz), "by": c.by, "from": c.from_status, "to": c.to_status,
                     "why": c.why} for c in history],
        "review": ms.review, "conflict": dict(ms.conflict or {}),
        "edits": [{"at": local(e.at, tz), "by": e.by, "field": e.field, "from": e.old, "to": e.new,
                   "why": e.why} for e in edits],
    }


def show(ms, doc, history, today: dt.date, settings, fmt: Format, edits=()) -> None:
    data = show_json(ms, doc, history, today, settings.tz, settings.stale_days, edits)
    if fmt is not Format.table:
        output.print_json(data) if fmt is Format.json else output.emit(fmt, [data])
        return
    width = output.screen()[0] if output.on_terminal() else 100
    due = dt.date.fromisoformat(data["due"])
    left, style = views.urgency(data["days_left"], ms.status)
    lines = [Text(ms.id, style="bold"), Text(ms.task)]
    when = Text(f"{due.isoformat()} ({ms.precision})  ")
    when.append(left, style=style or None)
    if data["stale"]:
        when.append("  stale", style="dim")
    lines += _field("due", when, width)
    if ms.rrule:
        every = f"{_every(ms.rrule)} ({ms.rrule}) from {ms.due.isoformat()}"
        every += f" until {data['series_end']}" if data["series_end"] else ", standing"
        lines += _field("repeats", every, width)
        lines += _field("next", data["next"] or f"none — the series ended {data['series_end']}", width)
    if ms.title and not ms.task.startswith(ms.title.rstrip("…")):
        lines += _field("title", ms.title, width)
    lines += _field("owner", ms.owner or "-", width)
    lines += _field("status", f"{ms.status} · sequence {ms.sequence} · {ms.review}", width)
    for name, value in data["conflict"].items():
        lines += _field("conflict", f"{name}: {getattr(ms, name) or '-'} (kept), the text now "
                        f"says {value or '-'}", width)
    lines += _field("evidence", evidence(ms) if ms.sentence else "- (entered by hand)", width)
    lines += _field("source", (doc.title if ms.review == "manual" and not doc.content_hash else None)
                    or _near(doc.source) or doc.id, width)
    lines += _field("document", f"{doc.id} · published {doc.published or '不详'} "
                    f"({views.short_how(doc.published_how)})", width)
    lines += _field("rules", f"{', '.join(ms.rules) or '-'} · confidence {ms.confidence:.2f} · "
                    f"flags {', '.join(ms.flags) or '-'}", width)
    changes = [(c.at, f"{change['from']} → {change['to']}", change)
               for c, change in zip(history, data["history"], strict=True)]
    changes += [(e.at, "conflict" if e.field == "conflict" else
                 f"{e.field} {change['from'] or '-'} → {change['to'] or '-'}", change)
                for e, change in zip(edits, data["edits"], strict=True)]
    changes.sort(key=lambda c: c[0])
    for i, (_, what, change) in enumerate(changes):
        lines += _field("history" if i == 0 else "", f"{change['at']}  {change['by']}: "
                        f"{what}  {change['why']}".rstrip(), width)
    output.print_lines(lines)


def docs_table(docs) -> None:
    width = output.screen()[0] if output.on_terminal() else None
    titled = any(views.doc_title(d) for d, _ in docs)
    cols = [Col("doc", cap=16)] + ([Col("title", flex=True)] if titled else []) + [
        Col("file", cap=28, flex=not titled), Col("published"), Col("how", cap=12),
        Col("open", right=True), Col("done", right=True), Col("canc", right=True),
        Col("warn", right=True)]
    rows = []
    for doc, counts in docs:
        row = [(doc.id, "bold")] + ([views.doc_title(doc)] if titled else [])
        row += [_file(doc.source), str(doc.published or "不详"), views.short_how(doc.published_how),
                str(counts.get("open", 0)), str(counts.get("done", 0)),
                str(counts.get("cancelled", 0)), (str(len(doc.warnings)), "yellow" if doc.warnings else "")]
        rows.append(row)
    output.print_lines(output.grid(cols, rows, width))


def _near(source: str | None) -> str | None:
    """A stored absolute path, relative to the working folder when it lies inside it."""
    if not source or "://" in source or not Path(source).is_absolute():
        return source
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def _file(source: str) -> str:
    return source if "://" in (source or "") else Path(source or "-").name


def doc_show(doc, counts: dict, fmt: Format) -> None:
    data = views.doc_json(doc, counts) | {"encoding": doc.encoding, "repairs": list(doc.repairs)}
    if fmt is not Format.table:
        output.print_json(data)
        return
    width = output.screen()[0] if output.on_terminal() else 100
    lines = [Text(doc.id, style="bold")]
    if data["title"]:
        lines += _field("title", data["title"], width)
    lines += _field("source", doc.source or "-", width)
    lines += _field("published", str(doc.published or "不详"), width)
    lines += _field("how", doc.published_how or "-", width)
    lines += _field("encoding", doc.encoding or "-", width)
    repairs = ", ".join(f"{r.get('id', r)} ×{r.get('count', 1)}" if isinstance(r, dict) else str(r)
                        for r in doc.repairs)
    lines += _field("repairs", repairs or "-", width)
    lines += _field("milestones", f"{data['open']} open, {data['done']} done, "
                    f"{data['cancelled']} cancelled", width)
    for i, warning in enumerate(doc.warnings or ["-"]):
        lines += _field("warnings" if i == 0 else "", warning, width)
    output.print_lines(lines)

