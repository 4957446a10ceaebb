"""`agenda` (a heading per day, the milestones under it) and `calendar` (a month grid with a
count per day), both laid out by display width."""

from __future__ import annotations

import calendar as cal
import datetime as dt

import typer
from rich.cells import cell_len
from rich.text import Text

from scheduler.cli import app, output, views
from scheduler.cli.context import STATE
from scheduler.cli.output import FORMAT_HELP, OWNER_HELP, Col, Format, examples, nothing
from scheduler.errors import UsageError

WEEKDAYS = "一二三四五六日"
CELL = 7          # "dd(nn) ": the day number, its count, a space


def _heading(day: dt.date, today: dt.date) -> Text:
    left = (day - today).days
    when = {0: "今天", 1: "明天"}.get(left, f"逾期 {-left} 天" if left < 0 else f"{left} 天")
    style = "bold reverse" if left == 0 else "bold red" if left < 0 else \
        "bold yellow" if left <= 7 else "bold"
    return Text(f"{day.isoformat()} 周{WEEKDAYS[day.weekday()]} · {when}", style=style)


def agenda_json(row) -> dict:
    ms = row.milestone
    return {"date": row.due.isoformat(), "id": ms.id, "days_left": row.days_left, "owner": ms.owner,
            "task": ms.task, "recurring": bool(ms.rrule), "doc": row.document.id}


@app.command("agenda", epilog=examples("deadlines agenda", "deadlines agenda --days 30 --owner 市北区"))
def agenda_cmd(
    days: int = typer.Option(14, "--days", metavar="DAYS", min=1, help="How many days from today."),
    owner: str = typer.Option(None, "--owner", metavar="TEXT", help=OWNER_HELP),
    doc: str = typer.Option(None, "--doc", metavar="ID", help="Document id (or prefix)."),
    today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
) -> None:
    """The coming days, a heading per day with its milestones under it (recurring duties on each
    of their due dates)."""
    from scheduler.store import queries
    from scheduler.store.agenda import occurrences

    day, engine = STATE.today(today), STATE.engine
    rows = occurrences(engine, day, day + dt.timedelta(days=days - 1), day, owner=owner, doc=doc)
    late = queries.count(engine, day, owner=owner, doc=doc, overdue=True,
                         stale_days=STATE.settings.stale_days)
    if not rows:
        if fmt is not Format.table:
            output.emit(fmt, [])
        if late:
            output.note(f"{late} overdue — status --overdue")
        nothing("milestones", {"days": days, "owner": owner, "doc": doc})
    if fmt is not Format.table:
        output.emit(fmt, [agenda_json(r) for r in rows])
        return
    width = output.screen()[0] if output.on_terminal() else None
    cols = [Col("id"), Col("owner", cap=views.owner_cap(width) if width else None), Col("task", flex=True)]
    id_len = queries.abbrev_length(engine)
    cells = [[(r.milestone.id[:id_len], "bold"), r.milestone.owner or "-",
              f"{views.RECURRING} {r.milestone.task}" if r.milestone.rrule else r.milestone.task]
             for r in rows]
    lines = output.grid(cols, cells, width - 2 if width else None, header=False)
    shown, previous = [], None
    for row, line in zip(rows, lines, strict=True):
        if row.due != previous:
            shown.append(_heading(row.due, day))
            previous = row.due
        line.highlight_words([views.RECURRING], style="dim")
        shown.append(Text("  ") + line)
    output.print_lines(shown)
    if late:
        output.note(f"{late} overdue — status --overdue")


def month_grid(year: int, month: int, counts: dict[dt.date, int], today: dt.date) -> list[Text]:
    """A `cal`-style month: title, weekday header, one row per week; each day cell is the day
    number and its count; today reversed, days with overdue milestones red."""
    width = CELL * 7 - 1
    title = f"{year}年{month}月"
    lines = [Text(" " * ((width - cell_len(title)) // 2) + title, style="bold")]
    header = Text()
    for i, name in enumerate(WEEKDAYS):    # each name above the day numbers of its column
        header.append(name + (" " * (CELL - cell_len(name)) if i < 6 else ""),
                      style="bold" if i < 5 else "bold dim")
    lines.append(header)
    for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        line = Text()
        for i, day in enumerate(week):
            if day.month != month:
                line.append(" " * (CELL - (1 if i == 6 else 0)))
                continue
            n = counts.get(day, 0)
            style = "reverse" if day == today else "bold red" if n and day < today else \
                "yellow" if n and (day - today).days <= 7 else None
            line.append(f"{day.day:>2}", style=style)
            mark = f"({n})" if 0 < n < 100 else "(**)" if n else ""
            line.append(mark, style="bold" if n else None)
            if i < 6:
                line.append(" " * (CELL - 2 - len(mark)))
        line.rstrip()
        lines.append(line)
    return lines


@app.command("calendar", epilog=examples("deadlines calendar", "deadlines calendar 2023-06 --owner 市北区"))
def calendar_cmd(
    month: str = typer.Argument(None, metavar="[YYYY-MM]", help="The month (default: this month)."),
    owner: str = typer.Option(None, "--owner", metavar="TEXT", help=OWNER_HELP),
    doc: str = typer.Option(None, "--doc", metavar="ID", help="Document id (or prefix)."),
    today: str = typer.Option(None, "--today", metavar="DATE", help="Pretend today is YYYY-MM-DD."),
    fmt: Format = typer.Option(Format.table, "--format", metavar="FORMAT", help=FORMAT_HELP),
) -> None:
    """A month grid: how many open milestones fall due each day; today highlighted, days with
    overdue milestones in red."""
    from scheduler.store.agenda import occurrences

    day = STATE.today(today)
    year, number = day.year, day.month
    if month:
        try:
            year, number = (int(part) for part in month.split("-"))
            dt.date(year, number, 1)
        except ValueError:
            raise UsageError(f"invalid month {month!r}: expected YYYY-MM") from None
    first = dt.date(year, number, 1)
    last = dt.date(year, number, cal.monthrange(year, number)[1])
    rows = occurrences(STATE.engine, first, last, day, owner=owner, doc=doc)
    counts: dict[dt.date, int] = {}
    ids: dict[dt.date, list[str]] = {}
    for row in rows:
        counts[row.due] = counts.get(row.due, 0) + 1
        ids.setdefault(row.due, []).append(row.milestone.id)
    if fmt is not Format.table:
        output.emit(fmt, [{"date": d.isoformat(), "count": counts[d], "overdue": d < day,
                           "ids": ids[d]} for d in sorted(counts)])
        return
    output.print_lines(month_grid(year, number, counts, day))
    output.print_lines([Text(f"{len(rows)} milestones on {len(counts)} days", style="dim")])
