"""Task tables in and out: `import tasks.xlsx|tasks.csv` and `status --format xlsx` / `--sheet`
(the same columns as the office's 任务分解表, so an exported sheet imports again)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from pathlib import Path

from scheduler.cli import output
from scheduler.cli.context import STATE
from scheduler.errors import InputError, UsageError
from scheduler.extract.sheets import EXPORT_COLUMNS, SHEET_SUFFIXES, role_of

ZIP = b"PK\x03\x04"
OLD_EXCEL = b"\xd0\xcf\x11\xe0"


def kind_of(file: Path) -> str:
    """`sheet`, `ics`, or an InputError naming what the file is not."""
    suffix = file.suffix.lower()
    if suffix == ".ics":
        return "ics"
    try:
        with file.open("rb") as handle:
            head = handle.read(512)
    except OSError as err:
        raise InputError(f"{file}: cannot read: {err.strerror}") from None
    if suffix == ".xls" or head.startswith(OLD_EXCEL):
        raise InputError(f"{file}: an Excel 97-2003 (.xls) workbook is not read: save it as .xlsx")
    if suffix in SHEET_SUFFIXES:
        return "sheet"
    if head.lstrip(b"\xef\xbb\xbf \r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(ZIP):
        return "sheet"
    raise InputError(f"{file}: not a spreadsheet or calendar: give an .xlsx, .csv or .ics file")


def import_sheet(file: Path, doc: str | None, published: str | None) -> None:
    """Read the whole table first (any bad row stops it, nothing stored), then store it as one
    document in one transaction: a re-import of the same file changes nothing."""
    from scheduler.clock import parse_date
    from scheduler.extract import sheets
    from scheduler.store import ingest

    day = parse_date(published, "--published") if published else None
    result = sheets.read(file, doc or file.stem, published=day, today=STATE.today(),
                         rules_dir=STATE.settings.rules_dir)
    for warning in result.document.warnings:
        output.warn(f"warning: {file}: {warning}")
    outcome = ingest(STATE.engine, str(file.resolve()), result, STATE.now())
    if outcome.note:
        output.warn(f"{outcome.state if outcome.state == 'duplicate' else 'warning'}: {file}: {outcome.note}")
    sys.stdout.write(f"{file.name}: {outcome.state}; {len(result.milestones)} rows; milestones: "
                     f"{outcome.added} added, {outcome.updated} updated, {outcome.cancelled} cancelled\n")


def sheet_format(fmt):
    """`--sheet` is CSV with the table's columns (xlsx always has them)."""
    if fmt.value in ("table", "csv"):
        return type(fmt)("csv")
    if fmt.value == "xlsx":
        return fmt
    raise UsageError(f"--sheet gives the task table's columns as csv or xlsx, not {fmt.value}")


def export(rows, fmt) -> None:
    """The office's columns: an .xlsx workbook (binary: stdout must not be a terminal) or CSV."""
    table = records(rows)
    if fmt.value == "xlsx":
        write_binary(xlsx_bytes(table))
    else:
        sys.stdout.write(csv_text(table))


def write_binary(data: bytes) -> None:
    if sys.stdout.isatty():
        raise UsageError("xlsx is binary: redirect it to a file (… --format xlsx > tasks.xlsx)")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def records_xlsx(rows: list[dict]) -> None:
    """Any listing as a sheet: its fields as columns."""
    if not rows:
        return
    keys = list(rows[0])
    write_binary(xlsx_bytes([keys] + [[r[k] for k in keys] for r in rows], "deadlines"))


STATUS_NAMES = {"open": "进行中", "done": "已完成", "cancelled": "已取消"}


def note_of(ms) -> str:
    """The 备注 of a milestone imported from a sheet (its evidence keeps the row's cells)."""
    if "sheet-row" not in (ms.rules or []):
        return ""
    for line in (ms.sentence or "").split("\n"):
        label, _, value = line.partition("：")
        if role_of(label) == "note":
            return value
    return ""


def records(rows) -> list[list]:
    """Status rows → the sheet's rows (header first)."""
    out = [list(EXPORT_COLUMNS)]
    for n, row in enumerate(rows, 1):
        ms = row.milestone
        # a recurring duty keeps its phrase (每月), which reads back as the same duty
        due = ms.time_text if ms.rrule else row.due
        out.append([n, ms.task, ms.owner or "", due, note_of(ms),
                    STATUS_NAMES.get(ms.status, ms.status), row.document.id, ms.id])
    return out


def xlsx_bytes(table: list[list], title: str = "任务分解表") -> bytes:
    """One sheet: bold frozen header, dates as date cells (yyyy-mm-dd), readable widths."""
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from rich.cells import cell_len

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in table:
        sheet.append([_xlsx_value(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        widest = max((cell_len(_text(c.value)) for c in column if c.value is not None), default=4)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(6, widest + 2))
        for c in column[1:]:
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
            elif isinstance(c.value, str) and len(c.value) > 30:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value):
    if isinstance(value, (list, tuple)):
        return ";".join(_text(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    if isinstance(value, str):
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", value)    # not allowed in XML
    return value


def csv_text(table: list[list]) -> str:
    """UTF-8 CSV with a byte-order mark (spreadsheet programs then read it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table:
        writer.writerow(["" if v is None else _text(v) if isinstance(v, dt.date) else v for v in row])
    return "\ufeff" + buffer.getvalue()


def _text(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())
