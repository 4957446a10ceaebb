"""decode → clean → reference date → time expressions → commitments → milestones."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from scheduler.errors import InputError
from scheduler.extract import clean as cleaning
from scheduler.extract import refdate, segment, timex
from scheduler.extract.decode import decode
from scheduler.extract.model import DocumentInfo, Extraction, Milestone, TimeMatch
from scheduler.extract.owners import owners_for
from scheduler.extract.resolve import resolve
from scheduler.extract.ruleset import Ruleset, load_ruleset
from scheduler.extract.tasks import reader_for

SKIP_AFTER = re.compile(r"^(?:起|开始|以来|以后|之后|后|来|的|讯|电|是|为止|止|期间|前后|左右|上午|下午|晚|早)")
FULL_DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|(?<!\d)\d{1,2}月\d{1,2}日")
DONE_ONLY = re.compile(r"^(?:前|之前)?(?:全面|全部)?(?:完成|到位|落实|办结|实现)?(?:任务)?$")
RECURRING_COUNT = re.compile(r"^(?:\d+|[一两二三四五六七八九十]+)次")
STARTED = re.compile(r"(?:正式|顺利|已经|已|将)?(?:开工|始发|启动|开始|动工|开建)")
DEFAULT_MAX_BYTES = 20_000_000


def _unquote(part: str) -> str:
    """Drop a quote mark left open at either end of a task part."""
    if part[:1] in "“「『\"" and not re.search("[”」』\"]", part[1:]):
        part = part[1:]
    if part[-1:] in "”」』\"" and not re.search("[“「『\"]", part[:-1]):
        part = part[:-1]
    return part


def _title(task: str, limit: int = 24) -> str:
    flat = task.replace("…", " ").replace("\n", "")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Doc:
    """Everything about one document that the commitment logic needs."""

    def __init__(self, text: str, mtext: str, published: dt.date, rs: Ruleset):
        self.text, self.m, self.published, self.rs = text, mtext, published, rs
        self.reader = reader_for(rs)
        self.owners = owners_for(rs)
        self.layout = segment.layout(text)
        self._article_owner: dict[int, str | None] = {}

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
        for group in sentence.groups:
            for cs, ce in group:
                span = o.at_clause_start(m, cs, ce)
                if span:
                    return o.tidy(self.span_text(span)), "sentence"
        span = o.in_sentence(m, sentence.start, sentence.end)
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


def _anchor(doc: _Doc, sentence: segment.Sentence, before: int) -> dt.date | None:
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


def _clause_of(groups, pos: int) -> tuple[int, int, int]:
    for gi, group in enumerate(groups):
        for ci, (cs, ce) in enumerate(group):
            if cs <= pos < ce:
                return gi, ci, cs
    return 0, 0, 0


def _commitments(doc: _Doc, sentence: segment.Sentence, matches: list[TimeMatch]):
    """Yield (match, task spans, kind, subject, clause) for every commitment in a sentence."""
    m, reader = doc.m, doc.reader
    by_clause: dict[tuple[int, int], list[TimeMatch]] = {}
    for tm in matches:
        gi, ci, _ = _clause_of(sentence.groups, tm.start)
        by_clause.setdefault((gi, ci), []).append(tm)
    for tm in matches:
        res = tm.resolved
        gi, ci, _ = _clause_of(sentence.groups, tm.start)
        group = sentence.groups[gi]
        cs, ce = group[ci]
        same = by_clause[(gi, ci)]
        # a later time word used as an attribute (`完成全年投资计划`) does not end the task
        nxt = [o for o in same if o.start > tm.start
               and not reader.verbs.search(m[max(o.start - 2, 0):o.start], 0)]
        post_end = nxt[0].start if nxt else ce
        post_s, post_e = reader.trim(m, tm.end, post_end)
        if doc.rs.by_id(tm.rule).value["type"] == "duration":
            found = _duration_subject(doc, sentence, tm)
            if found:
                yield tm, [found], "deadline", None, (cs, ce)
            continue
        if SKIP_AFTER.match(m[tm.end:tm.end + 2]):
            continue
        if res.kind == "recurring":
            if post_s >= post_e:
                continue
            end = post_e
            if RECURRING_COUNT.match(m[post_s:post_e]) and not reader.verbs.search(m, post_s, post_e) \
                    and ci + 1 < len(group) and (gi, ci + 1) not in by_clause:
                end = reader.trim(m, *group[ci + 1])[1]
            end = reader.tidy_end(m, post_s, end)
            text = m[post_s:end]
            if not (reader.verbs.search(text) or RECURRING_COUNT.search(text)) or len(text) < 2:
                continue
            if reader.is_past(m, post_s, end):
                continue
            yield tm, [(post_s, end)], "recurring", None, (cs, ce)
            continue
        table = _table_task(doc, sentence, tm, post_s, post_e)
        if table is not None:
            if table:
                yield tm, [table[0]], table[1], None, (cs, ce)
            continue
        if res.start is None and (res.due < doc.published or
                                  (res.precision == "day" and res.due <= doc.published)):
            continue
        if reader.is_past(m, tm.end, ce) or reader.is_past(m, cs, tm.start):
            continue
        # pre-time subject: `历史城区预计6月底前…`, `市政大厦等7个项目年内实现招拍挂`
        pre_s = reader.strip_openers(m, *reader.trim(m, cs, tm.start))
        pre_e = reader.strip_tail_markers(m, pre_s, tm.start)
        pre_s, pre_e = reader.trim(m, pre_s, pre_e)
        pre = (pre_s, pre_e) if pre_e - pre_s >= 2 and not reader.verbs.search(m, pre_s, pre_e) else None
        if pre and m[pre_s:pre_e] == "是":
            pre = None
        # copula: `制定X规划，是新一年…的首要任务`
        if m[cs:tm.start].strip() .endswith("是") and reader.copula.search(m[post_s:post_e]) and ci > 0:
            ps_, pe_ = reader.trim(m, *group[ci - 1])
            reading = reader.read(m, ps_, pe_)
            if reading:
                yield tm, [(reading.start, reading.end)], reading.kind, (post_s, post_e), (cs, ce)
            continue
        if post_s < post_e:
            reading = reader.read(m, post_s, post_e)
            if reading:
                yield from _emit(doc, tm, reading, pre, sentence, gi, ci, (cs, ce))
        # the time expression reaches over following clauses up to `；`/`。`
        for cj in range(ci + 1, len(group)):
            if (gi, cj) in by_clause:
                break
            s, e = reader.trim(m, *group[cj])
            if s >= e or reader.is_purpose(m, s):
                break
            reading = reader.read(m, s, e)
            if reading:
                yield from _emit(doc, tm, reading, None, sentence, gi, cj, group[cj])


def _table_task(doc: _Doc, sentence, tm: TimeMatch, post_s: int, post_e: int):
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


CELL = re.compile(r"\t+| {2,}|\u3000+|\|")


def _table_row(doc: _Doc, sentence, tm: TimeMatch, post_s: int, post_e: int):
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


def _duration_subject(doc: _Doc, sentence, tm: TimeMatch) -> tuple[int, int] | None:
    """What a stated duration is about: `为期两个月的X` → X; `该区间…工期一个半月` → the
    antecedent of 该区间; `X正式开工，计划工期…` → X."""
    m, reader = doc.m, doc.reader
    if m[tm.end:tm.end + 1] == "的":
        _, _, cs = _clause_of(sentence.groups, tm.start)
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


def _emit(doc: _Doc, tm: TimeMatch, reading, pre, sentence, gi: int, ci: int, clause):
    m, reader = doc.m, doc.reader
    start, end = reading.start, reading.end
    subject = reading.subject
    bare = reader.is_bare(m, start, end) or (
        subject is not None and reader.is_bare(m, subject[0], end))   # `主体完工`
    if subject and not doc.owners.is_owner(m[subject[0]:subject[1]]):
        anaphor = reader.anaphor.match(m[subject[0]:subject[1]])
        if anaphor:
            if bare:
                ps, _ = doc.layout.paragraphs[sentence.paragraph]
                found = reader.antecedent(m, subject[0], ps, anaphor.group("head"))
                if found:
                    yield tm, [found, (start, end)], reading.kind, subject, clause
                    return
        else:
            start = subject[0]
            bare = reader.is_bare(m, start, end)   # `主体完工` has a subject but says nothing
    if bare:
        if pre and not doc.owners.is_owner(m[pre[0]:pre[1]]):
            anaphor = reader.anaphor.match(m[pre[0]:pre[1]])
            if anaphor:
                ps, _ = doc.layout.paragraphs[sentence.paragraph]
                found = reader.antecedent(m, pre[0], ps, anaphor.group("head"))
                yield tm, [found or pre, (start, end)], reading.kind, pre, clause
                return
            # parallel subjects in earlier clauses: `A等2个项目，B等7个项目年内实现招拍挂`
            group = sentence.groups[gi]
            head = m[pre[1] - 2:pre[1]]
            for cj in range(ci):
                s, e = reader.trim(m, *group[cj])
                if m[s:e].endswith(head) and not reader.verbs.search(m, s, e):
                    yield tm, [(s, e), (start, end)], reading.kind, None, clause
            yield tm, [pre, (start, end)], reading.kind, None, clause
            return
        if ci > 0:
            borrowed = reader.borrow_subject(m, *sentence.groups[gi][ci - 1])
            if borrowed:
                yield tm, [borrowed, (start, end)], reading.kind, None, clause
        return
    owner_subject = subject or (pre if pre and doc.owners.is_owner(m[pre[0]:pre[1]]) else None)
    for item in reader.split_items(m, start, end):
        kind = reading.kind
        if item[0] != start:
            verb = reader.verbs.match(m, item[0], item[1])
            kind = "start" if verb and verb.group() in reader.start_verbs else reading.kind
        yield tm, [item], kind, owner_subject, clause


def extract(data: bytes | str, *, published: dt.date | None = None, published_how: str | None = None,
            doc: str = "doc", source: str | None = None, fallback_today: dt.date | None = None,
            rules_dir=None, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Extraction:
    """Extract the dated milestones of one document. Never raises on text content."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if max_bytes and len(raw) > max_bytes:
        raise InputError(f"input is {len(raw):,} bytes, above the limit of {max_bytes:,} bytes")
    rs = load_ruleset(rules_dir)
    if isinstance(data, bytes):
        text, encoding = decode(data)
    else:
        text, encoding = data, "unicode"
    text, repairs = cleaning.clean(text, rs.lexicon)
    warnings: list[str] = []
    how = published_how or "given"
    if published is None:
        published, how, warnings = refdate.find(text)
    info = DocumentInfo(doc=doc, source=source, encoding=encoding,
                        content_hash=hashlib.sha256(raw).hexdigest(), published=published,
                        published_how=how, repairs=repairs, warnings=warnings, text=text)
    reference = published or fallback_today or dt.date.today()
    flags = [] if published else ["year_uncertain"]
    mtext = cleaning.matching_copy(text)
    pdoc = _Doc(text, mtext, reference, rs)
    matches = timex.scan(mtext, rs)
    by_sentence: dict[int, list[TimeMatch]] = {}
    sentences = pdoc.layout.sentences
    si = 0
    for tm in matches:
        while si < len(sentences) and sentences[si].end <= tm.start:
            si += 1
        if si == len(sentences):
            break
        if sentences[si].start <= tm.start:
            by_sentence.setdefault(si, []).append(tm)
    milestones: list[Milestone] = []
    seen: dict[str, int] = {}
    twins: set[tuple] = set()
    for index, found in by_sentence.items():
        sentence = sentences[index]
        for tm in found:
            rule = rs.by_id(tm.rule)
            anchor = _anchor(pdoc, sentence, tm.start) if rule.value["type"] == "duration" else None
            tm.resolved = resolve(rule, tm.groups, reference, rs, anchor)
        live = [tm for tm in found if tm.resolved]
        for tm, spans, kind, subject, clause in _commitments(pdoc, sentence, live):
            task = "…".join(_unquote(text[s:e].replace("\n", "")) for s, e in spans)
            if len(task.replace("…", "")) < 4:
                continue
            owner, owner_how = pdoc.owner(sentence, subject, clause)
            res = tm.resolved
            confidence = 0.9 - (0.1 if len(spans) > 1 else 0) - (0.25 if flags else 0) \
                - (0.1 if owner_how == "article" else 0)
            ms = Milestone(doc=doc, due=res.due, start=res.start, precision=res.precision,
                           kind="recurring" if res.rrule else kind, rrule=res.rrule, owner=owner,
                           time_text=text[tm.start:tm.end], task=task, title=_title(task),
                           sentence=text[sentence.start:sentence.end].strip(),
                           span=(tm.start, tm.end), sentence_span=(sentence.start, sentence.end),
                           rules=[tm.rule], confidence=round(max(confidence, 0.1), 2),
                           flags=list(flags))
            twin = (ms.task, ms.due, ms.kind)
            if twin in twins:
                continue   # the same deliverable and date said twice (`全年新建…（…年底前完成）`)
            twins.add(twin)
            key = ms.key()
            seen[key] = seen.get(key, 0) + 1
            ms.id = key if seen[key] == 1 else f"{key[:13]}-{seen[key]}"
            milestones.append(ms)
    return Extraction(info, milestones)
