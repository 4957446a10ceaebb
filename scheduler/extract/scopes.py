"""A lead-in or a heading that names a time binds the list under it.

Three shapes, all seen in work reports and 实事 lists:
- a lead ending in a colon, its items in the same paragraph (`2024年主要预期目标是：A；B；C`);
- a lead that announces a list (`…将在2024年办好以下十件实事。`) followed by numbered items;
- a numbered heading that names a year target (`一、2024年经济社会发展主要预期目标`) followed by
  items or table rows, up to the next heading of its level.
Each item's deliverables take the lead's time; the lead's subject, when it names a body, is
their owner. Items with a time expression of their own are left to the sentence pass.
"""

from __future__ import annotations

import re

from scheduler.extract.document import DocContext
from scheduler.extract.model import TimeMatch
from scheduler.extract.rows import Candidate, cell_tasks

ANNOUNCE = re.compile(r"以下|如下|下列")
PLAN_WORDS = re.compile(r"目标|任务|实事|计划|安排|要求|工作|项目")
ITEM = re.compile(r"\s*(?P<mark>[(（]\d{1,2}[)）]|\d{1,2}[.、．](?!\d)|[(（][一二三四五六七八九十]{1,3}[)）]"
                  r"|[一二三四五六七八九十]{1,3}[、.．]|[①-⑳])")
NUMBER_LINE = re.compile(r"\s*[(（]?\d{1,3}[)）.、．]?\s*$")


def _kind_of_mark(mark: str) -> str:
    if mark[0] in "(（":
        return "paren-cjk" if re.search(r"[一二三四五六七八九十]", mark) else "paren-digit"
    if mark[0] in "①②③④⑤⑥⑦⑧⑨⑩":
        return "circled"
    return "cjk" if re.match(r"[一二三四五六七八九十]", mark) else "digit"


class Scopes:
    def __init__(self, doc: DocContext, matches: list[TimeMatch]):
        self.doc, self.m = doc, doc.m
        self.matches = [tm for tm in matches if tm.resolved]
        self.out: list[Candidate] = []
        self.used: set[int] = set()
        self.lines = self._lines()

    def _lines(self) -> list[tuple[int, int]]:
        out, pos = [], 0
        for line in self.m.split("\n"):
            s, e = self.doc.reader.trim(self.m, pos, pos + len(line))
            if e > s:
                out.append((s, e))
            pos += len(line) + 1
        return out

    def _times(self, s: int, e: int) -> list[TimeMatch]:
        return [tm for tm in self.matches if s <= tm.start < e]

    def run(self) -> tuple[list[Candidate], set[int]]:
        for index, (s, e) in enumerate(self.lines):
            times = [tm for tm in self._times(s, e) if tm.resolved.precision in ("year", "half", "quarter", "month")
                     and not tm.resolved.rrule]
            if not times:
                continue
            tm = times[0]
            text = self.m[s:e]
            colon = re.search(r"[:：]", self.m[tm.end:e])
            if colon and (colon.start() > 40 or re.search(r"[。！？!?；;]", self.m[tm.end:tm.end + colon.start()])):
                colon = None      # a colon in a later sentence is not this lead's
            lead_end = tm.end + colon.start() if colon else e
            lead = self.m[s:lead_end]
            last = times[-1]
            if re.match(r"\s*(?:—|[：:])", self.m[e:e + 2]) and not re.search(r"[。！？!?]", self.m[last.end:e]) \
                    and not self.doc.is_past(last) and not self.doc.reader.is_past(self.m, last.end, e):
                heads = self._headings_after(index)
                if heads:      # `…前移至9月底，确保做到——` over short headings, each with its paragraph
                    self._bind(last, heads, None, "scope-list")
                    continue
            if not PLAN_WORDS.search(lead) or self.doc.reader.is_past(self.m, s, lead_end) \
                    or self.doc.reader.aims.search(lead) \
                    or self.doc.is_past(tm) or self.m.count("《", s, tm.start) > self.m.count("》", s, tm.start):
                continue
            clause = max(self.m.rfind(ch, s, tm.start) for ch in "，,。；;：:")
            owner = self._lead_owner(max(clause + 1, s), tm.start)
            if colon and e - (lead_end + 1) >= 4:
                self._bind(tm, [(lead_end + 1, e)], owner, "scope-colon", split_semicolons=True)
            elif colon or ANNOUNCE.search(lead) and PLAN_WORDS.search(self.m[tm.end:e]):
                self._bind(tm, self._items_after(index, None), owner, "scope-list")
            elif ITEM.match(text) and e - s <= 40 and not re.search(r"[。；;]", text) \
                    and re.search(r"目标|任务|实事", text):
                mark = _kind_of_mark(ITEM.match(text).group("mark"))
                self._bind(tm, self._items_after(index, mark), owner, "scope-heading")
        return self.out, self.used

    def _lead_owner(self, s: int, time_start: int) -> str | None:
        reader = self.doc.reader
        ps = reader.strip_openers(self.m, s, time_start)
        pe = reader.strip_tail_markers(self.m, ps, time_start)
        ps, pe = reader.trim(self.m, ps, pe)
        name = self.doc.text[ps:pe]
        if 2 <= pe - ps <= 12 and self.doc.owners.is_owner(self.m[ps:pe]):
            return self.doc.owners.tidy(name)
        return None

    def _items_after(self, index: int, heading_mark: str | None) -> list[tuple[int, int]]:
        items, first_mark = [], None
        for s, e in self.lines[index + 1:]:
            text = self.m[s:e]
            found = ITEM.match(text)
            mark = _kind_of_mark(found.group("mark")) if found and not NUMBER_LINE.match(text) else None
            if heading_mark is not None:
                if mark == heading_mark:
                    break
                items.append((s, e))
                continue
            if mark is None:
                if items:
                    break
                continue
            first_mark = first_mark or mark
            if mark != first_mark:
                break
            items.append((s + found.end(), e))
        return items

    def _headings_after(self, index: int) -> list[tuple[int, int]]:
        """Unnumbered short headings (no stop, no comma) each followed by its body paragraph,
        under a lead that ends in a dash or a colon; at least two, else none."""
        heads, expect_head = [], True
        for s, e in self.lines[index + 1:]:
            text = self.m[s:e]
            heading = e - s <= 20 and not re.search(r"[，,。；;！!？?：:]", text) and not ITEM.match(text)
            if heading and expect_head:
                heads.append((s, e))
                expect_head = False
            elif not heading and not expect_head:
                expect_head = True
            else:
                break
        return heads if len(heads) >= 2 else []

    def _bind(self, tm: TimeMatch, spans, owner, how: str, split_semicolons: bool = False) -> None:
        doc, m = self.doc, self.m
        bound = False
        row_owner = owner
        last_item: list[Candidate] = []
        for s, e in spans:
            parts = [(s, e)]
            if split_semicolons:
                parts, pos = [], s
                for cut in re.finditer(r"[；;。]", m[s:e]):
                    parts.append((pos, s + cut.start()))
                    pos = s + cut.end()
                parts.append((pos, e))
            for ps, pe in parts:
                if self._times(ps, pe) or NUMBER_LINE.match(m[ps:pe]):
                    continue
                text = m[ps:pe].strip()
                if how == "scope-heading" and doc.owners.is_owner(text.rstrip("。")):
                    for cand in last_item:
                        if cand.owner is None:
                            cand.owner = doc.owners.tidy(doc.text[ps:pe].strip().rstrip("。"))
                    last_item = []
                    continue
                found = cell_tasks(doc, ps, pe, relaxed=True)
                if found:
                    last_item = []
                for task_spans, kind in found:
                    cand = Candidate(tm, task_spans, kind, (ps, pe), owner=row_owner, owner_how="lead", how=how)
                    self.out.append(cand)
                    last_item.append(cand)
                    bound = True
        if bound:
            self.used.add(tm.start)


def from_scopes(doc: DocContext, matches: list[TimeMatch]) -> tuple[list[Candidate], set[int]]:
    return Scopes(doc, matches).run()
