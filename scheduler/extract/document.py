"""Per-document context for the commitment logic: layout, reader, and owner look-ups."""

from __future__ import annotations

import datetime as dt
import re

from scheduler.extract import clean as cleaning
from scheduler.extract import segment
from scheduler.extract.owners import owners_for
from scheduler.extract.ruleset import Ruleset
from scheduler.extract.structure import Structure
from scheduler.extract.tasks import reader_for

CELL = re.compile(r"\t+| {2,}|\u3000+|\|")
FULL_DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|(?<!\d)\d{1,2}月\d{1,2}日")


class DocContext:
    """Everything about one document that the commitment logic needs."""

    def __init__(self, text: str, mtext: str, published: dt.date, rs: Ruleset):
        self.text, self.m, self.published, self.rs = text, mtext, published, rs
        self.reader = reader_for(rs)
        self.owners = owners_for(rs)
        self.layout = segment.layout(text)
        self._article_owner: dict[int, str | None] = {}
        self.structure: Structure | None = None
        self.cell_owner: dict[int, str | None] = {}
        self.last_topic: dict[int, tuple[int, int]] = {}   # paragraph → the last project it named

    def attach_structure(self, matches) -> None:
        """Find the document's records (tables, labelled items), given its time matches."""
        by_start = {tm.start: tm for tm in matches if tm.resolved}

        def time_cell(s: int, e: int):
            for pos in range(s, min(s + 3, e)):
                tm = by_start.get(pos)
                if tm and e - tm.end <= 8 and not re.search(r"[，,。；;]", self.m[tm.end:e]):
                    return tm.start, tm.end
            return None

        def year_span(s: int, e: int):
            for tm in matches:
                if s <= tm.start < e and tm.resolved and tm.resolved.precision == "year":
                    return tm.start, tm.end
            return None

        def is_owner(text: str) -> bool:
            parts = text.split()
            return bool(parts) and all(self.owners.is_owner(p) for p in parts)

        self.structure = Structure(self.m, self.rs.lexicon, is_owner, time_cell, year_span)

    def is_past(self, tm) -> bool:
        res = tm.resolved
        return res.start is None and (res.due < self.published or
                                      (res.precision == "day" and res.due <= self.published)) \
            or res.start is not None and res.due < self.published

    def span_text(self, span: tuple[int, int]) -> str:
        return self.text[span[0]:span[1]]

    # -- owners ---------------------------------------------------------------------
    def owner(self, sentence: segment.Sentence, subject: tuple[int, int] | None,
              clause: tuple[int, int] | None = None) -> tuple[str | None, str]:
        o, m = self.owners, self.m
        if subject and o.is_owner(m[subject[0]:subject[1]]):
            return o.tidy(self.span_text(subject)), "subject"
        if subject:
            anaphor = self.reader.anaphor.match(m[subject[0]:subject[1]])
            if anaphor and anaphor.group("head") in ("企业", "公司"):
                found = self._backwards(sentence, lambda s, e: o.at_clause_start(m, s, e),
                                        paragraphs=2, suffix=("公司", "集团", "企业"))
                if found:
                    return found, "antecedent"
        ps, pe = self.layout.paragraphs[sentence.paragraph]
        span = o.by_label(m, ps, pe)
        if span:
            return o.tidy(self.span_text(span)), "label"
        line = m[ps:pe]
        if CELL.search(line):   # a table row: a cell that names a body
            for cell in CELL.split(line):
                if o.is_owner(cell.strip()):
                    return o.tidy(cell.strip()), "table"
        if clause:
            span = o.at_clause_start(m, *clause)
            if span:
                return o.tidy(self.span_text(span)), "clause"
        span = o.in_sentence(m, sentence.start, sentence.end)   # `省政府要求各地、各部门要…`
        if span:
            return o.tidy(self.span_text(span)), "sentence"
        for group in sentence.groups:
            for cs, ce in group:
                span = o.at_clause_start(m, cs, ce)
                if span:
                    return o.tidy(self.span_text(span)), "sentence"
        ps, pe = self.layout.paragraphs[sentence.paragraph]
        span = o.by_attribution(m, ps, pe)
        if span:
            return o.tidy(self.span_text(span)), "attribution"
        for other in self.layout.by_paragraph.get(sentence.paragraph, ()):
            for group in other.groups:
                for cs, ce in group:
                    span = o.at_clause_start(m, cs, ce)
                    if span:
                        return o.tidy(self.span_text(span)), "paragraph"
        section = None
        for offset, name in self.layout.sections:
            if offset <= sentence.start and offset >= self.layout.articles[sentence.article][0]:
                section = name
        if section and o.is_owner(cleaning.matching_copy(section)):
            return section, "section"
        return self.article_owner(sentence.article), "article"

    def _backwards(self, sentence, finder, paragraphs: int, suffix: tuple) -> str | None:
        best = None
        nearby = [o for p in range(max(0, sentence.paragraph - paragraphs), sentence.paragraph + 1)
                  for o in self.layout.by_paragraph.get(p, ())]
        for other in nearby:
            if other.start >= sentence.start:
                break
            for group in other.groups:
                for cs, ce in group:
                    span = finder(cs, ce)
                    if span and self.span_text(span).endswith(suffix):
                        best = self.span_text(span)
        return best

    def article_owner(self, article: int) -> str | None:
        if article not in self._article_owner:
            found = None
            for sentence in self.layout.by_article.get(article, ()):
                for group in sentence.groups:
                    for cs, ce in group:
                        span = self.owners.at_clause_start(self.m, cs, ce)
                        text = self.span_text(span) if span else ""
                        if span and re.search(r"[区县市镇乡街道]$", text):
                            found = self.owners.tidy(text)
                            break
                    if found:
                        break
                if found:
                    break
            self._article_owner[article] = found
        return self._article_owner[article]


def anchor(doc: DocContext, sentence: segment.Sentence, before: int) -> dt.date | None:
    """The nearest earlier full date in the same paragraph (start of a stated duration)."""
    ps, _ = doc.layout.paragraphs[sentence.paragraph]
    best = None
    for match in FULL_DATE.finditer(doc.m, ps, before):
        raw = match.group()
        ym = re.match(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", raw)
        year = int(ym.group(1)) if ym.group(1) else doc.published.year
        try:
            best = dt.date(year, int(ym.group(2)), int(ym.group(3)))
        except ValueError:
            continue
    return best
