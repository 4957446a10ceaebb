"""The only place that prints rows: aligned lines for people, JSON / JSON Lines / CSV / TSV for
programs. Widths are display widths (a CJK character takes two cells); colours and truncation
happen only on a terminal, piped output is complete and never wrapped."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import os
import sys
from dataclasses import dataclass

import typer
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

from scheduler.errors import say

_NO_COLOR = bool(os.environ.get("NO_COLOR"))
console = Console(soft_wrap=True, highlight=False, no_color=_NO_COLOR)
err = Console(stderr=True, soft_wrap=True, highlight=False, no_color=_NO_COLOR)
HEADER = "bold underline"


class Format(str, enum.Enum):
    """`--format` of every listing (`--json` is kept as an alias of `json`)."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    xlsx = "xlsx"


FORMAT_HELP = "table (aligned lines, default) | json | jsonl | csv | tsv | xlsx."
OWNER_HELP = "The owner TEXT (any spelling, any alias); else owners containing it."


def on_terminal() -> bool:
    return console.is_terminal


def screen() -> tuple[int, int]:
    """(columns, lines) of the terminal; rich honours COLUMNS and LINES."""
    return console.width, console.height


def note(message: str) -> None:
    """A remark for the person, not data: stderr, never wrapped."""
    err.print(Text(message, style="dim"))


def fit(text: str, cells: int) -> str:
    """`text` cut to at most `cells` display cells, with an ellipsis when cut."""
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return "…"[:cells]
    return set_cell_size(text, cells - 1).rstrip() + "…"


@dataclass
class Col:
    name: str
    cap: int | None = None       # at most this many cells on a terminal
    flex: bool = False           # takes the rest of the line (one column)
    right: bool = False


Cell = str | tuple[str, str]     # text, or (text, rich style)


def grid(cols: list[Col], rows: list[list[Cell]], width: int | None, header: bool = True,
         gap: int = 2) -> list[Text]:
    """Lines of aligned cells. With `width` (a terminal) capped columns and the flex column are
    cut by display width so that no line is longer than `width`; without it nothing is cut."""
    cells = [[c if isinstance(c, tuple) else (c, "") for c in row] for row in rows]
    widths = [max([cell_len(col.name) if header else 0] + [cell_len(r[i][0]) for r in cells])
              for i, col in enumerate(cols)]
    if width is not None:
        widths = [min(w, col.cap) if col.cap else w for w, col in zip(widths, cols, strict=True)]
        flex = next((i for i, col in enumerate(cols) if col.flex), len(cols) - 1)
        others = sum(w for i, w in enumerate(widths) if i != flex) + gap * (len(cols) - 1)
        widths[flex] = max(4, min(widths[flex], width - others))
        while sum(widths) + gap * (len(cols) - 1) > width and max(widths) > 4:
            widest = max(range(len(widths)), key=lambda i: (i != flex, widths[i]))
            widths[widest] -= 1     # too narrow a terminal: cut the widest other column too
    lines = []
    if header:
        lines.append(_line(cols, [(c.name, HEADER) for c in cols], widths, gap))
    lines.extend(_line(cols, row, widths, gap) for row in cells)
    return lines


def _line(cols, row, widths, gap) -> Text:
    line = Text(no_wrap=True, overflow="crop")
    last = len(cols) - 1
    for i, (col, (value, style), w) in enumerate(zip(cols, row, widths, strict=True)):
        value = fit(value, w)
        pad = " " * (w - cell_len(value))
        if col.right:
            line.append(pad)
        line.append(value, style=style or None)
        if not col.right and i != last:
            line.append(pad)
        if i != last:
            line.append(" " * gap)
    line.rstrip()
    return line


def print_lines(lines) -> None:
    for line in lines:
        console.print(line)


def warn(message: str) -> None:
    """One line on stderr, whatever the terminal: never wrapped, names escaped, no secrets."""
    sys.stderr.write(f"deadlines: {say(message)}\n")
    sys.stderr.flush()


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_jsonl(rows) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def _flat(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(_flat(v) for v in value)
    return str(value)


def print_delimited(records: list[dict], delimiter: str) -> None:
    """CSV (RFC 4180 quoting) or TSV (tabs and newlines in values become spaces), with a header."""
    if not records:
        return
    keys = list(records[0])
    if delimiter == "\t":
        sys.stdout.write("\t".join(keys) + "\n")
        for rec in records:
            sys.stdout.write("\t".join(" ".join(_flat(rec[k]).split()) for k in keys) + "\n")
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    writer.writerows([_flat(rec[k]) for k in keys] for rec in records)
    sys.stdout.write(buffer.getvalue())


def emit(fmt: Format, records: list[dict], table=None) -> None:
    """One listing in the chosen format; `table()` prints the people's view."""
    if fmt is Format.json:
        print_json(records)
    elif fmt is Format.jsonl:
        print_jsonl(records)
    elif fmt in (Format.csv, Format.tsv):
        print_delimited(records, "," if fmt is Format.csv else "\t")
    elif fmt is Format.xlsx:
        from scheduler.cli.sheets import records_xlsx

        records_xlsx(records)
    elif table is not None:
        table()
    else:
        first = records[0] if records else {}
        print_lines(grid([Col(k, right=isinstance(v, int)) for k, v in first.items()],
                         [[_flat(r[k]) for k in r] for r in records],
                         screen()[0] if on_terminal() else None))


def _doc(doc):
    """The document id; for a fetched document a terminal hyperlink to its page."""
    from rich.style import Style
    from rich.text import Text

    if doc.source.startswith(("http://", "https://")):
        return Text(doc.id, style=Style(link=doc.source))
    return doc.id


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

def examples(*lines: str) -> str:
    """The epilog every command ends with: two (or more) examples."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def nothing(what: str, filters: dict) -> None:
    """Empty result: say so on stderr and exit 1, as grep and Taskwarrior do."""
    shown = ", ".join(f"{k}={v}" for k, v in filters.items() if v not in (None, False, ""))
    err.print(f"No {what}{' match: ' + shown if shown else ''}", highlight=False)
    raise typer.Exit(1)
