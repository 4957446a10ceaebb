"""The only place that prints rows: tables for people, JSON Lines / JSON for programs."""

from __future__ import annotations

import datetime as dt
import json
import sys

from rich.console import Console
from rich.table import Table

from scheduler.errors import say

console = Console(soft_wrap=False)


def warn(message: str) -> None:
    """One line on stderr, whatever the terminal: never wrapped, names escaped, no secrets."""
    sys.stderr.write(f"deadlines: {say(message)}\n")
    sys.stderr.flush()


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_jsonl(rows) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def extracted_table(milestones) -> None:
    table = Table(show_lines=False, title=None)
    for col in ("due", "precision", "kind", "owner", "time", "task", "rule"):
        table.add_column(col, overflow="fold")
    for m in milestones:
        table.add_row(m.due.isoformat(), m.precision, m.kind, m.owner or "", m.time_text, m.task,
                      ",".join(m.rules))
    console.print(table)


def status_json(row) -> dict:
    """The `status --json` contract (documented in the README)."""
    ms, doc = row.milestone, row.document
    return {
        "id": ms.id, "doc": doc.id, "source": doc.source,
        "published": doc.published.isoformat() if doc.published else None,
        "due": row.due.isoformat(), "start": ms.start.isoformat() if ms.start else None,
        "days_left": row.days_left, "overdue": row.overdue, "precision": ms.precision,
        "kind": ms.kind, "rrule": ms.rrule, "owner": ms.owner, "time_text": ms.time_text,
        "title": ms.title, "task": ms.task, "status": ms.status, "sequence": ms.sequence,
        "sentence": ms.sentence, "confidence": ms.confidence, "flags": ms.flags,
    }


def _left(days: int) -> str:
    if days < 0:
        return f"[bold red]逾期 {-days} 天[/]"
    if days == 0:
        return "[bold yellow]今天[/]"
    return f"{days} 天"


def _doc(doc):
    """The document id; for a fetched document a terminal hyperlink to its page."""
    from rich.style import Style
    from rich.text import Text

    if doc.source.startswith(("http://", "https://")):
        return Text(doc.id, style=Style(link=doc.source))
    return doc.id


def status_table(rows, today) -> None:
    table = Table(title=f"截至 {today.isoformat()}", title_justify="left")
    for col in ("id", "due", "left", "prec", "owner", "title", "doc"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "due"))
    for row in rows:
        ms = row.milestone
        table.add_row(ms.id[:14], row.due.isoformat(), _left(row.days_left) if ms.status == "open"
                      else ms.status, ms.precision, ms.owner or "", ms.title, _doc(row.document))
    console.print(table)


def show(ms, doc, history) -> None:
    lines = [
        ("id", ms.id), ("title", ms.title), ("task", ms.task), ("due", ms.due.isoformat()),
        ("start", ms.start.isoformat() if ms.start else "-"), ("precision", ms.precision),
        ("kind", ms.kind), ("rrule", ms.rrule or "-"), ("owner", ms.owner or "-"),
        ("status", ms.status), ("sequence", str(ms.sequence)), ("time text", ms.time_text),
        ("evidence", ms.sentence), ("span", f"{ms.span_start}-{ms.span_end}"),
        ("rules", ", ".join(ms.rules)), ("confidence", str(ms.confidence)),
        ("flags", ", ".join(ms.flags) or "-"), ("document", f"{doc.id} ({doc.source})"),
        ("published", f"{doc.published or '不详'} — {doc.published_how}"),
    ]
    for key, value in lines:
        console.print(f"[bold]{key:>10}[/]  {value}", highlight=False, markup=True)
    for change in history:
        console.print(f"[bold]{'history':>10}[/]  {change.at:%Y-%m-%d %H:%M} {change.by}: "
                      f"{change.from_status} → {change.to_status} {change.why}", highlight=False)


def docs_table(docs) -> None:
    table = Table()
    for col in ("doc", "published", "how", "open", "done", "cancelled", "warnings"):
        table.add_column(col, overflow="fold")
    for doc, counts in docs:
        table.add_row(doc.id, str(doc.published or "不详"), doc.published_how,
                      str(counts.get("open", 0)), str(counts.get("done", 0)),
                      str(counts.get("cancelled", 0)), "; ".join(doc.warnings))
    console.print(table)


def _when(value, tz=None) -> str:
    """A stored time in the configured zone."""
    if not value:
        return "-"
    if tz is not None:
        value = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(tz)
    return f"{value:%Y-%m-%d %H:%M}"


def source_json(row) -> dict:
    """One watched source for `source list --format json`."""
    return {
        "name": row.name, "url": row.url, "kind": row.kind or None, "follow": row.follow,
        "every_seconds": row.every, "max_new": row.max_new, "owner": row.owner,
        "last_run": row.last_run.isoformat() if row.last_run else None,
        "last_summary": row.last_summary or None,
        "last_new": row.last_new.isoformat() if row.last_new else None,
        "last_new_doc": row.last_new_doc, "last_error": row.last_error,
        "failures": row.failures, "next_run": row.next_run.isoformat(),
    }


def sources_table(rows, tz) -> None:
    """A block per source, readable at 80 columns; fetched text is printed without markup."""
    from rich.padding import Padding
    from rich.table import Table as Grid
    from rich.text import Text

    from scheduler.sources import show_every

    for index, row in enumerate(rows):
        head = Text(row.name, style="bold")
        head.append(f"  {row.kind or 'not run yet'} · every {show_every(row.every)} · "
                    f"next {_when(row.next_run, tz)}")
        if row.failures:
            head.append(f" · backing off ({row.failures} failure{'s' if row.failures > 1 else ''})",
                        style="yellow")
        grid = Grid.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        grid.add_row("", Text(row.url + (f"  (follow {row.follow})" if row.follow else "")))
        if row.last_run:
            summary = (row.last_summary or "").replace("; ", "\n")
            grid.add_row("last run", Text(f"{_when(row.last_run, tz)}\n{summary}"))
        if row.last_new:
            grid.add_row("last new", Text(f"{_when(row.last_new, tz)}  document {row.last_new_doc}"))
        if row.last_error:
            grid.add_row("error" if row.failures else "problem", Text(row.last_error, style="red"))
        if index:
            console.print()
        console.print(head)
        console.print(Padding(grid, (0, 0, 0, 2), expand=False))
