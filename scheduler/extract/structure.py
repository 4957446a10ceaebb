"""Document structure before sentences: tables and labelled task blocks become records.

A *record* is one row of a task-breakdown table, however it was pasted: cells separated by `|`
or tabs under a header row (`序号 | 工作任务 | 责任单位 | 完成时限`), one cell per line under a
header of label lines (a table copied out of a word processor), or a numbered item followed by
label lines (`牵头单位：…` / `完成时限：…`). A record binds its time cells to its task cells and
names the row's owner; the commitment logic reads the tasks, this module only finds the parts.
Column labels come from `rules/lexicon/structure.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Span = tuple[int, int]
PIPE = re.compile(r"\s*\|\s*|\t+")
NUMBER_LINE = re.compile(r"^\s*[(（]?\d{1,3}[)）.、．]?\s*$")
ITEM_START = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]"
                        r"|\d{1,3}[.、．](?!\d))")


@dataclass
class Record:
    start: int
    end: int
    owner: Span | None = None
    pairs: list[tuple[Span, Span]] = field(default_factory=list)   # (task cell, time cell)
    bound: list[tuple[Span, Span]] = field(default_factory=list)   # (cell, header time span)
    free: list[Span] = field(default_factory=list)                 # cells read as sentences
    how: str = "table"


@dataclass
class Columns:
    task: int | None = None
    owner: int | None = None
    time: int | None = None
    target: int | None = None        # a column whose header names the year (`2022年度任务目标`)
    target_time: Span | None = None


def _lines(m: str) -> list[Span]:
    out, pos = [], 0
    for line in m.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _cells(m: str, start: int, end: int) -> list[Span]:
    cells, pos = [], start
    for match in PIPE.finditer(m, start, end):
        cells.append(_strip(m, pos, match.start()))
        pos = match.end()
    cells.append(_strip(m, pos, end))
    if cells and cells[-1][0] >= cells[-1][1]:
        cells.pop()
    if cells and cells[0][0] >= cells[0][1]:
        cells.pop(0)
    return cells


def _strip(m: str, s: int, e: int) -> Span:
    while s < e and m[s] in " \u3000\t|":
        s += 1
    while e > s and m[e - 1] in " \u3000\t|":
        e -= 1
    return s, e


class Structure:
    """Records of one document (matching copy `m`), given the column labels and helpers."""

    def __init__(self, m: str, lexicon: dict, is_owner, time_cell, year_span):
        self.m = m
        self.labels = lexicon["table_columns"]
        self.is_owner = is_owner          # text → bool
        self.time_cell = time_cell        # (start, end) → span of a time expression filling the cell
        self.year_span = year_span        # (start, end) → span of a year expression inside
        self.records: list[Record] = []
        self.headers: list[Span] = []
        lines = _lines(m)
        self._pipe_tables(lines)
        self._vertical_tables(lines)
        self._labelled_blocks(lines)

    # -- column roles --------------------------------------------------------------------
    def _role(self, text: str) -> str | None:
        text = re.sub(r"\s", "", text)
        for role in ("time", "owner", "task"):
            if any(text == w or (len(text) <= 12 and text.endswith(w)) for w in self.labels[role]):
                return role
        return None

    def _columns(self, cells: list[Span]) -> Columns | None:
        cols = Columns()
        for index, (s, e) in enumerate(cells):
            role = self._role(self.m[s:e])
            if role and getattr(cols, role) is None:
                setattr(cols, role, index)
            elif role is None and e - s <= 16 and re.search(r"(?:任务|目标)$", self.m[s:e]):
                year = self.year_span(s, e)
                if year:
                    cols.target, cols.target_time = index, year
        if cols.owner is None or (cols.time is None and cols.target is None):
            return None
        return cols

    # -- `a | b | c` rows ----------------------------------------------------------------
    def _pipe_tables(self, lines: list[Span]) -> None:
        cols = None
        for s, e in lines:
            cells = _cells(self.m, s, e) if PIPE.search(self.m, s, e) else []
            if len(cells) < 2:
                cols = None if not cells else cols
                continue
            found = self._columns(cells)
            if found:
                cols = found
                self.headers.append((s, e))
                continue
            if cols is None:
                continue
            record = self._pipe_row(cols, cells, s, e)
            if record:
                self.records.append(record)

    def _pipe_row(self, cols: Columns, cells: list[Span], s: int, e: int) -> Record | None:
        shift = 0
        owner_at = next((i for i, (cs, ce) in enumerate(cells) if self.is_owner(self.m[cs:ce])), None)
        if owner_at is not None:
            shift = owner_at - cols.owner
        def cell(index):
            index = None if index is None else index + shift
            return cells[index] if index is not None and 0 <= index < len(cells) else None
        record = Record(s, e, owner=cell(cols.owner), how="table-row")
        task, time = cell(cols.task), cell(cols.time)
        if time and self.time_cell(*time):
            if task is None:
                task = next((c for c in cells if c not in (time, record.owner)), None)
            if task:
                record.pairs.append((task, time))
        target = cell(cols.target)
        if target and cols.target_time:
            record.bound.append((target, cols.target_time))
        record.free = [c for c in cells if c not in (task, time, target, record.owner)
                       and not any(c == p[0] for p in record.pairs)]
        if task and not record.pairs:
            record.free.append(task)
        return record if (record.pairs or record.bound or record.free) else None

    # -- one cell per line under label lines -------------------------------------------
    def _vertical_tables(self, lines: list[Span]) -> None:
        index = 0
        while index < len(lines):
            header = []
            j = index
            while j < len(lines):
                s, e = _strip(self.m, *lines[j])
                if s == e:
                    j += 1
                    continue
                if e - s <= 10 and self._role(self.m[s:e]) or (header and NUMBER_LINE.match(self.m[s:e])
                                                                and not header[-1][0] == "n"):
                    if NUMBER_LINE.match(self.m[s:e]):
                        break
                    header.append((self._role(self.m[s:e]), (s, e)))
                    j += 1
                    continue
                if e - s <= 6 and header and re.fullmatch(r"[\u4e00-\u9fff]{2,6}", self.m[s:e]):
                    header.append((None, (s, e)))
                    j += 1
                    continue
                break
            roles = {r for r, _ in header}
            if len(header) >= 3 and {"owner", "time"} <= roles:
                index = self._vertical_rows(lines, j)
            else:
                index = max(j, index + 1)

    def _vertical_rows(self, lines: list[Span], j: int) -> int:
        record: Record | None = None
        task: Span | None = None
        while j < len(lines):
            s, e = _strip(self.m, *lines[j])
            j += 1
            if s == e:
                continue
            text = self.m[s:e]
            if NUMBER_LINE.match(text):
                if record:
                    self._close(record)
                record, task = Record(s, e, how="table-column"), None
                continue
            if record is None:
                if e - s > 40:
                    break
                continue
            if e - s > 120 or ITEM_START.match(text):
                break
            record.end = e
            if self.time_cell(s, e):
                if task:
                    record.pairs.append((task, (s, e)))
                continue
            if self.is_owner(text):
                if record.owner is None:
                    record.owner = (s, e)
                continue
            task = (s, e)
        if record:
            self._close(record)
        return j

    def _close(self, record: Record) -> None:
        if record.pairs:
            self.records.append(record)

    # -- numbered item + `牵头单位：…` / `完成时限：…` lines --------------------------------
    def _labelled_blocks(self, lines: list[Span]) -> None:
        label = re.compile(r"(?P<label>[\u4e00-\u9fff]{2,6})\s*[:：]\s*")
        block: list[Span] = []
        owner: Span | None = None
        times: list[Span] = []

        def close():
            if times and block:
                record = Record(block[0][0], block[-1][1], owner=owner, how="labelled-item")
                record.pairs = [(cell, times[0]) for cell in block]
                self.records.append(record)

        for raw in lines:
            s, e = _strip(self.m, *raw)
            if s == e:
                continue
            found = label.match(self.m, s, e)
            role = self._role(found.group("label")) if found else None
            if role in ("owner", "time") and block:
                value = _strip(self.m, found.end(), e)
                if role == "owner" and (owner is None or found.group("label").startswith("牵头")):
                    owner = owner if owner and not found.group("label").startswith("牵头") else value
                elif role == "time" and self.time_cell(*value):
                    times.append(value)
                continue
            if owner or times:
                close()
                block, owner, times = [], None, []
            if ITEM_START.match(self.m[s:e]) or not block:
                block = [(s, e)]
            else:
                block = (block + [(s, e)])[-3:]
        close()

    # -- look-ups --------------------------------------------------------------------------
    def consumed(self) -> list[Span]:
        """Spans of time cells that records have bound (the sentence pass skips them)."""
        out = []
        for record in self.records:
            out.extend(time for _, time in record.pairs)
        return out

    def in_header(self, pos: int) -> bool:
        return any(s <= pos < e for s, e in self.headers)
