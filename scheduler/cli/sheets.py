"""Task tables in and out: `import tasks.xlsx|tasks.csv` and `status --format xlsx` / `--sheet`."""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler.cli import output
from scheduler.cli.context import STATE
from scheduler.errors import InputError, UsageError
from scheduler.sheets import SHEET_SUFFIXES

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
    from scheduler import sheets
    from scheduler.clock import parse_date
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


def export(rows, fmt) -> None:
    """The office's columns: an .xlsx workbook (binary: stdout must not be a terminal) or CSV."""
    from scheduler import sheets

    table = sheets.records(rows)
    if fmt.value == "xlsx":
        write_binary(sheets.xlsx_bytes(table))
    else:
        sys.stdout.write(sheets.csv_text(table))


def write_binary(data: bytes) -> None:
    if sys.stdout.isatty():
        raise UsageError("xlsx is binary: redirect it to a file (… --format xlsx > tasks.xlsx)")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def records_xlsx(records: list[dict]) -> None:
    """Any listing as a sheet: its fields as columns."""
    from scheduler import sheets

    if not records:
        return
    keys = list(records[0])
    write_binary(sheets.xlsx_bytes([keys] + [[r[k] for k in keys] for r in records], "deadlines"))
