"""Special shapes of a commitment: task-table cells and rows, and stated durations."""

from __future__ import annotations

import re

from scheduler.extract.document import CELL, DocContext
from scheduler.extract.model import TimeMatch

DONE_ONLY = re.compile(r"^(?:前|之前)?(?:全面|全部)?(?:完成|到位|落实|办结|实现)?(?:任务)?$")
STARTED = re.compile(r"(?:正式|顺利|已经|已|将)?(?:开工|始发|启动|开始|动工|开建)")


def clause_of(groups, pos: int) -> tuple[int, int, int]:
    for gi, group in enumerate(groups):
        for ci, (cs, ce) in enumerate(group):
            if cs <= pos < ce:
                return gi, ci, cs
    return 0, 0, 0


def table_task(doc: DocContext, sentence, tm: TimeMatch, post_s: int, post_e: int):
    """Task-breakdown tables: `…。牵头单位：X；完成时限：6月底前` and `（X负责，年底前完成）`.

    Returns None when this is not such a deadline cell, () when it is but no task was found,
    else ((start, end), kind) of the task in an earlier sentence of the paragraph (or line)."""
    m, reader = doc.m, doc.reader
    row = _table_row(doc, sentence, tm, post_s, post_e)
    if row is not None:
        return row
    labelled = reader.time_label.search(m[sentence.start:tm.start])
    opener = m[sentence.start:tm.start].lstrip()[:1]
    in_note = bool(opener) and opener in "（(" and DONE_ONLY.match(
        m[post_s:post_e].rstrip("）)"))
    if not (labelled or in_note):
        return None
    index = doc.layout.position[sentence.start]
    for back in range(index - 1, max(index - 4, -1), -1):
        other = doc.layout.sentences[back]
        if doc.layout.paragraphs[other.paragraph][0] < doc.layout.paragraphs[sentence.paragraph][0] \
                and sentence.paragraph - other.paragraph > 1:
            break
        text = m[other.start:other.end].lstrip("（(0123456789一二三四五六七八九十.、）) ")
        if doc.owners.labelled.match(text) or reader.time_label.search(text.split("：")[0] + "："):
            continue
        for group in other.groups:
            for cs, ce in group:
                reading = reader.read(m, cs, ce)
                if reading:
                    return (reading.start, reading.end), reading.kind
        return ()
    return ()


def _table_row(doc: DocContext, sentence, tm: TimeMatch, post_s: int, post_e: int):
    """A table row pasted as text (`1<TAB>完成老旧小区改造100个<TAB>市住建局<TAB>6月底前`): the time
    cell's task is the first earlier cell of the row with a deliverable."""
    m, reader = doc.m, doc.reader
    line_start = m.rfind("\n", 0, tm.start) + 1
    before = m[line_start:tm.start]
    if not CELL.search(before) or (post_e > post_s and not CELL.match(m[tm.end:post_e])
                                   and m[tm.end:post_e].strip(" \t|：:完成前")):
        return None
    pos = line_start
    for cell in CELL.split(before):
        s, e = reader.trim(m, pos, pos + len(cell))
        pos += len(cell)
        gap = CELL.match(m, pos)
        pos = gap.end() if gap else pos
        if e - s >= 4:
            reading = reader.read(m, s, e)
            if reading:
                return (reading.start, reading.end), reading.kind
    return ()


def duration_subject(doc: DocContext, sentence, tm: TimeMatch) -> tuple[int, int] | None:
    """What a stated duration is about: `为期两个月的X` → X; `该区间…工期一个半月` → the
    antecedent of 该区间; `X正式开工，计划工期…` → X."""
    m, reader = doc.m, doc.reader
    if m[tm.end:tm.end + 1] == "的":
        _, _, cs = clause_of(sentence.groups, tm.start)
        for group in sentence.groups:
            for s, e in group:
                if s <= tm.start < e:
                    span = reader.trim(m, tm.end + 1, e)
                    return span if span[1] - span[0] >= 2 else None
    anaphor = re.search(rf"[该本此](?P<head>{reader.heads})", m[sentence.start:sentence.end])
    if anaphor:
        ps, _ = doc.layout.paragraphs[sentence.paragraph]
        return reader.antecedent(m, sentence.start + anaphor.start(), ps, anaphor.group("head"))
    for group in sentence.groups:
        for cs, ce in group:
            began = STARTED.search(m, cs, ce)
            if began and began.start() - cs >= 2:
                return reader.trim(m, cs, began.start())
    first = sentence.groups[0][0]
    s, e = reader.trim(m, *first)
    cut = re.search(r"是|将|的", m[s:e])
    return (s, s + cut.start()) if cut and cut.start() >= 2 else None
