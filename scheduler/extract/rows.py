"""Records (table rows, labelled items) → candidates: a time cell binds its row's tasks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scheduler.extract import segment
from scheduler.extract.document import DocContext
from scheduler.extract.model import TimeMatch

Span = tuple[int, int]
CLAUSE = re.compile(r"[，,；;。！!？?]")


@dataclass
class Candidate:
    tm: TimeMatch
    spans: list[Span]
    kind: str
    evidence: Span
    sentence: segment.Sentence | None = None
    subject: Span | None = None
    clause: Span | None = None
    owner: str | None = None
    owner_how: str = ""
    how: str = "clause"


def cell_tasks(doc: DocContext, start: int, end: int, relaxed: bool = False) -> list[tuple[list[Span], str]]:
    """The deliverables in a cell or an item: one per clause, one per item of an enumeration.

    `relaxed` (a cell the table itself calls a task, an item a heading binds): a clause with a
    measurable target (`增长8%`, `控制在…以内`, `全覆盖`) counts even without a deliverable verb."""
    m, reader = doc.m, doc.reader
    out: list[tuple[list[Span], str]] = []
    pos = start
    bounds = [match.start() for match in CLAUSE.finditer(m, start, end)] + [end]
    for cut in bounds:
        s, e = reader.trim(m, pos, cut)
        pos = cut + 1
        if e - s < 2:
            continue
        reading = reader.read(m, s, e)
        if reading:
            first = reading.subject[0] if reading.subject and not doc.owners.is_owner(
                m[reading.subject[0]:reading.subject[1]]) else reading.start
            items = reader.split_items(m, reading.start, reading.end)
            joined = reader.split_joined(m, first, reading.end) if len(items) == 1 else None
            if joined:          # `启动建设A工程和B公园`: one deliverable per named object
                out.extend((spans, reading.kind) for spans in joined)
                continue
            for i, item in enumerate(items):
                head = (first, item[1]) if i == 0 else item
                out.append(([head], reading.kind))
            continue
        if relaxed and reader.is_target(m, s, e):
            verb = reader.verbs.search(m, s, e)
            kind = "start" if verb and verb.group() in reader.start_verbs else "deadline"
            for item in reader.split_items(m, s, reader.tidy_end(m, s, e)):
                out.append(([item], kind))
    return out


def _match_in(matches: list[TimeMatch], span: Span) -> TimeMatch | None:
    for tm in matches:
        if span[0] <= tm.start < span[1] and tm.resolved:
            return tm
    return None


def _kind_of_cell(doc: DocContext, tm: TimeMatch, cell: Span, default: str) -> str:
    rest = doc.m[tm.end:cell[1]]
    verb = doc.reader.verbs.search(rest)
    if verb and verb.group() in doc.reader.start_verbs:
        return "start"
    return default


def from_records(doc: DocContext, matches: list[TimeMatch]) -> tuple[list[Candidate], set[int]]:
    """Candidates of every record, and the start offsets of the time matches they used."""
    out: list[Candidate] = []
    used: set[int] = set()
    structure = doc.structure
    for record in structure.records:
        owner = doc.owners.tidy(doc.text[record.owner[0]:record.owner[1]]) if record.owner else None
        for task, time in record.pairs:
            tm = _match_in(matches, time)
            if tm is None:
                continue
            used.add(tm.start)
            if doc.is_past(tm):
                continue
            found = cell_tasks(doc, *task, relaxed=True)
            if not found and record.how != "labelled-item":
                s, e = doc.reader.trim(doc.m, *task)
                found = [([(s, doc.reader.tidy_end(doc.m, s, e))], "deadline")] if e - s >= 2 else []
            for spans, kind in found:
                out.append(Candidate(tm, spans, _kind_of_cell(doc, tm, time, kind), (record.start, record.end),
                                     owner=owner, owner_how="table", how=record.how))
        for cell, header in record.bound:
            tm = _match_in(matches, header)
            if tm is None or doc.is_past(tm):
                continue
            for spans, kind in cell_tasks(doc, *cell, relaxed=True):
                out.append(Candidate(tm, spans, kind, (record.start, record.end), owner=owner,
                                     owner_how="table", how="table-column-year"))
        for cell in record.free:
            for tm in matches:
                if cell[0] <= tm.start < cell[1]:
                    doc.cell_owner[tm.start] = owner
    for tm in matches:
        if doc.structure.in_header(tm.start):
            used.add(tm.start)
    return out, used
