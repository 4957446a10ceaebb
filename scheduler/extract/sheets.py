"""Task-breakdown tables (任务分解表) → milestones: `.xlsx` (openpyxl) and `.csv` (UTF-8 or GB18030).

Reading: the header row is found by name (序号 / 工作任务 / 责任单位 / 牵头单位 / 完成时限 / 备注 and
their usual variants, a second header row under merged cells too); merged cells give their value
to every cell they cover; each row with a task becomes a milestone whose 完成时限 is read by the
same time rules as documents, against the table's reference date (`--published`, a date line
or a year in the title rows, else today, flagged year_uncertain). A row with a task and no
readable deadline stops the import: nothing is stored. Rows with neither deadline nor owner
are section headings. Evidence is the row itself, one `header：value` line per cell. A 状态
cell that says done or cancelled is returned in `Extraction.states` (the store closes the
milestone once; see store.ingest).

The columns a sheet is written with (`status --format xlsx`) are EXPORT_COLUMNS: read back, they
give the same milestones.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.errors import InputError

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
HEADER_ROWS = 30          # the header row is looked for in the first rows of a sheet

# role → header names, most specific first (compared after folding script, width and spaces)
ROLES = {
    "seq": ["序号", "序", "序列", "no", "no."],
    "task": ["具体任务", "工作任务", "任务内容", "工作内容", "具体工作", "工作事项", "重点工作任务", "主要任务",
             "重点任务", "目标任务", "工作目标", "工作措施", "任务名称", "任务", "事项", "重点工作", "task"],
    "owner": ["牵头单位", "责任单位", "牵头部门", "主责单位", "责任部门", "负责单位", "主办单位", "承办单位",
              "责任主体", "牵头责任单位", "owner"],
    "helpers": ["配合单位", "协办单位", "参与单位", "协同单位", "配合部门", "参加单位"],
    "due": ["完成时限", "完成时间", "时间节点", "完成期限", "时限要求", "时限", "截止时间", "截止日期", "办结时限",
            "计划完成时间", "完成时间节点", "due"],
    "note": ["备注", "说明", "note", "notes"],
    "status": ["状态", "status"],
    "doc": ["文件", "doc"],
    "id": ["编号", "id"],
}
# a 状态 cell → the state it closes a milestone with; 进行中 and the like leave it as the store has it
STATE_WORDS = {"done": ["已完成", "完成", "已办结", "办结", "已落实", "已销号", "销号", "done"],
               "cancelled": ["已取消", "取消", "已撤销", "撤销", "不再实施", "cancelled"]}
EXPORT_COLUMNS = ["序号", "工作任务", "责任单位", "完成时限", "备注", "状态", "文件", "编号"]
NUMERIC_DATE = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*(?:[-/.月]\s*(?P<d>\d{1,2})\s*日?)?\s*"
                          r"(?:月)?\s*(?:前|之前|以前|底前|底)?$")
OWNER_SPLIT = re.compile(r"[、，,；;/／\s]+|(?:和|及|与)"
                         r"(?=[\u4e00-\u9fff]{2,}(?:局|委|办|部|厅|院|会|中心|公司|区|县|市|镇|街道)$)")


def _fold(text: str) -> str:
    from scheduler.extract.clean import _t2s

    text = _t2s().convert(str(text))
    text = re.sub(r"[（(][^）)]*[）)]", "", text)        # 完成时限（年月）
    return re.sub(r"[\s:：*＊]+", "", text).lower()


def role_of(header) -> str | None:
    if header is None:
        return None
    name = _fold(header)
    if not name:
        return None
    for role, names in ROLES.items():
        if name in names:
            return role
    if "时限" in name or name.endswith(("完成时间", "截止时间")):
        return "due"
    if "牵头" in name or name.startswith("责任单位"):
        return "owner"
    if "配合" in name or "协办" in name:
        return "helpers"
    if name.endswith(("任务", "事项")):
        return "task"
    return None


@dataclass
class Table:
    """One sheet's rows as text (merged cells filled), with the header found."""

    name: str
    rows: list[list]                     # every row, 0-based; cells are str, dt.date or None
    header: int = -1                     # index of the (last) header row
    columns: dict[str, int] = field(default_factory=dict)   # role → column
    labels: dict[int, str] = field(default_factory=dict)    # column → header text
    title: str = ""                      # text above the header (the table's title)


def _cell(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _roles(row: list) -> dict[int, str]:
    return {i: r for i, r in ((i, role_of(c) if isinstance(c, str) else None) for i, c in enumerate(row)) if r}


def find_header(table: Table) -> bool:
    """The first row naming a task and a deadline column; a row of sub-headers under it (牵头单位 /
    配合单位 under a merged 责任单位) refines its columns."""
    for index, row in enumerate(table.rows[:HEADER_ROWS]):
        roles = _roles(row)
        if "task" not in roles.values() or "due" not in roles.values():
            continue
        labels = {i: str(c).strip() for i, c in enumerate(row) if isinstance(c, str) and c.strip()}
        header = index
        below = table.rows[index + 1] if index + 1 < len(table.rows) else []
        sub = _roles(below)
        if sub and all(c is None or isinstance(c, str) and (role_of(c) or c == row[i])
                       for i, c in enumerate(below[:len(row)])):
            for i, role in sub.items():
                roles[i] = role
                labels[i] = str(below[i]).strip()
            header = index + 1
        columns: dict[str, int] = {}
        for role in ROLES:
            # the most specific name wins (具体任务 over 重点任务, 牵头单位 over 责任单位)
            found = sorted((i for i, r in roles.items() if r == role),
                           key=lambda i: (_rank(role, labels.get(i, "")), i))
            if found:
                columns[role] = found[0]
                for other in found[1:]:
                    columns.setdefault(f"{role}:{other}", other)
        table.header, table.columns, table.labels = header, columns, labels
        table.title = "\n".join(" ".join(str(c) for c in r if isinstance(c, str) and c.strip())
                                for r in table.rows[:index]).strip()
        return True
    return False


def _rank(role: str, label: str) -> int:
    names = ROLES[role]
    folded = _fold(label)
    return names.index(folded) if folded in names else len(names)


def read_xlsx(path: Path) -> list[Table]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InputError(f"{path}: not a readable .xlsx spreadsheet ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else 'unreadable'})") from None
    tables = []
    for sheet in book.worksheets:
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        width = max((len(r) for r in rows), default=0)
        rows = [r + [None] * (width - len(r)) for r in rows]
        for merged in sheet.merged_cells.ranges:
            value = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, width)):
                    rows[r][c] = value
        tables.append(Table(sheet.title, rows))
    return tables


def read_csv(path: Path, data: bytes) -> tuple[list[Table], str]:
    from scheduler.extract.decode import decode

    try:
        text, encoding = decode(data)
    except InputError as err:
        raise InputError(f"{path}: not a CSV table: {err}") from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as err:
        raise InputError(f"{path}: not a readable CSV table: {err}") from None
    return [Table(path.stem, rows)], encoding


@dataclass
class SheetRow:
    number: int              # the row's number in the sheet (1-based, as the office sees it)
    task: str
    owner: str | None
    due_cell: object
    lines: list[str]         # `header：value` of the row's cells
    note: str | None
    state: str | None = None     # done | cancelled when the 状态 cell says so


def _text(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def data_rows(table: Table) -> list[SheetRow]:
    cols = table.columns
    out = []
    section = None
    for index in range(table.header + 1, len(table.rows)):
        row = table.rows[index]
        def get(role, row=row):
            return row[cols[role]] if role in cols and cols[role] < len(row) else None

        filled = [c for c in row if c is not None]
        if not filled:
            continue
        task, due, owner = get("task"), get("due"), get("owner")
        if due is None and owner is None or len({_text(c) for c in filled}) == 1 and len(filled) > 1:
            section = " ".join(dict.fromkeys(_text(c) for c in filled))     # 一、经济发展
            continue
        if task is None:
            raise InputError(f"row {index + 1}: no {table.labels.get(cols['task'], '工作任务')} "
                             f"(the row has {', '.join(_text(c) for c in filled[:3])})")
        lines = [f"分类：{section}"] if section else []
        for i, value in enumerate(row):
            label = table.labels.get(i)
            role = next((r for r, c in cols.items() if c == i), "")
            if value is None or not label or role.split(":")[0] in ("status", "doc", "id", "seq"):
                continue
            lines.append(f"{label}：{_text(value)}")
        owner_name = None
        if owner is not None:
            parts = [p for p in OWNER_SPLIT.split(_text(owner)) if p and len(p) >= 2]
            owner_name = parts[0] if parts else _text(owner)
        note = get("note")
        out.append(SheetRow(index + 1, " ".join(_text(task).split()), owner_name, due, lines,
                            _text(note) if note is not None else None, state_of(get("status"))))
    return out


def state_of(cell) -> str | None:
    """`已完成` → done, `已取消` → cancelled; anything else (进行中, blank) → None."""
    if cell is None:
        return None
    word = _fold(cell)
    return next((state for state, words in STATE_WORDS.items() if word in words), None)


@dataclass
class Deadline:
    due: dt.date
    start: dt.date | None
    precision: str
    rrule: str | None
    rule: str
    text: str


def read_deadline(value, reference: dt.date, rules_dir=None) -> Deadline | None:
    """A 完成时限 cell: a date cell, a numeric date (2024-06-30, 2024/6/30, 2024.6), or a phrase
    read by the time rules (6月底前, 三季度末, 每月)."""
    from scheduler.extract.phrase import read_phrase

    if isinstance(value, dt.date):
        return Deadline(value, None, "day", None, "sheet-date", value.isoformat())
    text = _text(value)
    numeric = NUMERIC_DATE.match(text.replace("．", "."))
    if numeric:
        from scheduler.extract.resolve import month_end

        year, month = int(numeric["y"]), int(numeric["m"])
        try:
            if numeric["d"]:
                return Deadline(dt.date(year, month, int(numeric["d"])), None, "day", None, "sheet-date", text)
            return Deadline(month_end(year, month), None, "month", None, "sheet-date", text)
        except ValueError:
            return None
    found = read_phrase(text, reference, rules_dir)
    if found is None:
        return None
    r = found.resolved
    return Deadline(r.due, r.start, r.precision, r.rrule, found.rule, text)


TITLE_YEAR = re.compile(r"(20\d{2})\s*年")


def reference_date(title: str, published: dt.date | None, fallback: dt.date) -> tuple[dt.date, str, bool]:
    """(reference date, how it was found, year uncertain)."""
    from scheduler.extract import refdate

    if published is not None:
        return published, "given", False
    if title:
        found, how, _ = refdate.find(title)
        if found:
            return found, how, False
        year = TITLE_YEAR.search(title)
        if year:
            return dt.date(int(year.group(1)), 1, 1), f"year {year.group(1)} in the title", False
    return fallback, "not found", True


def read(path: Path, doc: str, *, published: dt.date | None, today: dt.date, rules_dir=None):
    """The milestones of a task table as one Extraction (a document), or InputError with the row
    that stops it. Nothing is stored here."""
    from scheduler.extract.model import DocumentInfo, Extraction, Milestone

    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        tables, encoding = read_csv(path, data)
    else:
        tables, encoding = read_xlsx(path), "xlsx"
    found = [t for t in tables if find_header(t)]
    if not found:
        raise InputError(f"{path}: no header row found: expected columns like 工作任务 and 完成时限 "
                         f"in the first {HEADER_ROWS} rows")
    title = next((t.title for t in found if t.title), "")
    reference, how, uncertain = reference_date(title, published, today)
    info = DocumentInfo(doc=doc, source=str(path), encoding=encoding,
                        content_hash=hashlib.sha256(data).hexdigest(),
                        published=None if uncertain else reference, published_how=how,
                        warnings=["no publication date found: year uncertain"] if uncertain else [],
                        text=title or path.stem)
    milestones = []
    states: dict[str, str] = {}
    seen: dict[str, int] = {}
    several = len(found) > 1
    for table in found:
        for row in data_rows(table):
            where = f"{path}: {table.name + ' ' if several else ''}row {row.number}"
            if row.due_cell is None:
                hint = "; a CSV keeps a merged cell's value in its first row only: fill it in or " \
                    "import the .xlsx" if suffix == ".csv" else ""
                raise InputError(f"{where}: {table.labels.get(table.columns['due'], '完成时限')} is empty "
                                 f"(task {row.task[:20]!r}){hint}")
            deadline = read_deadline(row.due_cell, reference, rules_dir)
            if deadline is None:
                raise InputError(f"{where}: {table.labels.get(table.columns['due'], '完成时限')} "
                                 f"{_text(row.due_cell)!r} is not a date the time rules read")
            flags = ["year_uncertain"] if uncertain else []
            task = row.task
            ms = Milestone(doc=doc, due=deadline.due, start=deadline.start, precision=deadline.precision,
                           kind="recurring" if deadline.rrule else "deadline", rrule=deadline.rrule,
                           owner=row.owner, time_text=deadline.text, task=task,
                           title=task if len(task) <= 24 else task[:23] + "…",
                           sentence="\n".join(row.lines), span=(0, 0), sentence_span=(0, 0),
                           rules=[deadline.rule, "sheet-row"], confidence=1.0, flags=flags)
            base = hashlib.sha1(f"{doc}\x1f{task}".encode()).hexdigest()[:16]
            seen[base] = seen.get(base, 0) + 1
            ms.id = base if seen[base] == 1 else f"{base[:13]}-{seen[base]}"
            milestones.append(ms)
            if row.state:
                states[ms.id] = row.state
    if not milestones:
        raise InputError(f"{path}: the table has a header row but no task rows")
    return Extraction(info, milestones, states)
