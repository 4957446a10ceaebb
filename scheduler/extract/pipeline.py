"""decode → clean → reference date → structure → time expressions → commitments → milestones."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from scheduler.errors import InputError
from scheduler.extract import clean as cleaning
from scheduler.extract import refdate, timex
from scheduler.extract.commit import commitments, sentence_subject
from scheduler.extract.decode import decode
from scheduler.extract.document import DocContext, anchor
from scheduler.extract.model import DocumentInfo, Extraction, Milestone, TimeMatch
from scheduler.extract.resolve import resolve
from scheduler.extract.rows import Candidate, from_records
from scheduler.extract.ruleset import load_ruleset
from scheduler.extract.scopes import from_scopes

DEFAULT_MAX_BYTES = 20_000_000
# the title of a notice, plan or table names the document, it promises nothing
DOC_TITLE = re.compile(r"(?:通知|方案|意见|办法|决定|规划|计划|报告|纪要|批复|公告|通告|分解表|责任分工|任务书)$")


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


def _sentence_candidates(pdoc: DocContext, matches: list[TimeMatch], skip: set[int]):
    sentences = pdoc.layout.sentences
    by_sentence: dict[int, list[TimeMatch]] = {}
    si = 0
    for tm in matches:
        while si < len(sentences) and sentences[si].end <= tm.start:
            si += 1
        if si == len(sentences):
            break
        if sentences[si].start <= tm.start:
            by_sentence.setdefault(si, []).append(tm)
    for index, sentence in enumerate(sentences):
        found = by_sentence.get(index)
        if not found:    # remember the project a sentence names, for a bare predicate after it
            named = sentence_subject(pdoc, sentence, before=sentence.end)
            if named:
                pdoc.last_topic[sentence.paragraph] = named
            continue
        if DOC_TITLE.search(pdoc.m[sentence.start:sentence.end].strip()):
            continue
        live = [tm for tm in found if tm.resolved]
        for tm, spans, kind, subject, clause, *how in commitments(pdoc, sentence, live):
            if tm.start in skip:
                continue
            yield Candidate(tm, spans, kind, (sentence.start, sentence.end), sentence=sentence,
                            subject=subject, clause=clause, how=how[0] if how else "clause")


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
    pdoc = DocContext(text, mtext, reference, rs)
    matches = timex.scan(mtext, rs)
    for tm in matches:
        rule = rs.by_id(tm.rule)
        start = None
        if rule.value["type"] == "duration":
            sentence = pdoc.layout.sentence_at(tm.start)
            start = anchor(pdoc, sentence, tm.start) if sentence else None
        tm.resolved = resolve(rule, tm.groups, reference, rs, start)
    pdoc.attach_structure(matches)
    candidates, consumed = from_records(pdoc, matches)
    scoped, bound = from_scopes(pdoc, matches)
    candidates += scoped
    consumed |= bound
    candidates += list(_sentence_candidates(pdoc, matches, consumed))
    return Extraction(info, _drop_contained(_drop_restated(pdoc, _milestones(pdoc, candidates, doc, flags))))


HEADING_END = re.compile(r"[。；;：:！!？?]$")


def _is_heading(pdoc: DocContext, ms: Milestone) -> bool:
    """A title, headline or numbered subhead: a short line or sentence with no closing stop."""
    s, e = ms.sentence_span
    line_start = pdoc.text.rfind("\n", 0, s) + 1
    line_end = pdoc.text.find("\n", e)
    line = pdoc.text[line_start:line_end if line_end >= 0 else len(pdoc.text)].strip()
    sentence = pdoc.text[s:e].strip()
    if line_start == 0 or line.startswith(("原标题", "原標題", "标题", "標題")):
        return True
    if len(sentence) <= 40 and not HEADING_END.search(sentence) and re.match(r"\d{1,2}[.、．]", sentence):
        return True     # a numbered subhead run into the body text (`2.A、B项目五一前全部完工`)
    return len(sentence) <= 40 and not HEADING_END.search(sentence) and sentence == line[:len(sentence)] \
        and (len(line) <= 40 or bool(re.match(r"\s*\d{1,2}[.、．]", line)))


def _drop_restated(pdoc: DocContext, milestones: list[Milestone]) -> list[Milestone]:
    """A headline or subhead that restates a body commitment is one milestone, not two."""
    heads = [ms for ms in milestones if _is_heading(pdoc, ms)]
    if not heads:
        return milestones
    body = [ms for ms in milestones if ms not in heads]
    keep = []
    for ms in milestones:
        if ms in heads and any(abs((ms.due - other.due).days) <= 7 and overlap(ms.task, other.task) >= 0.5
                               for other in body):
            continue
        keep.append(ms)
    return keep


def _drop_contained(milestones: list[Milestone]) -> list[Milestone]:
    """One deliverable said twice with a fuller subject (`大桥…实现通车` beside `新雄江大桥…实现通车`,
    same date and kind): keep the fuller one."""
    flat = ["".join(ch for ch in ms.task if ch.isalnum()) for ms in milestones]
    keep = []
    for i, ms in enumerate(milestones):
        if any(j != i and other.due == ms.due and other.kind == ms.kind and len(flat[j]) > len(flat[i])
               and flat[i] in flat[j] for j, other in enumerate(milestones)):
            continue
        keep.append(ms)
    return keep


def overlap(a: str, b: str) -> float:
    """2·LCS/(|a|+|b|) over the characters that are not punctuation or space."""
    a = "".join(ch for ch in a if ch.isalnum())
    b = "".join(ch for ch in b if ch.isalnum())
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ch == other else max(prev[j], cur[j - 1]))
        prev = cur
    return 2 * prev[-1] / (len(a) + len(b))


# How sure a milestone is, by how it was found and by the evidence around it (measured on the
# development corpus: see docs/EXTRACTION.md). A table's time cell or a lead-in that binds a list
# is the surest; a clause reading is judged by its time (a stated month or day beats a bare year),
# by the sentence (a report of progress, a time that opens a long sentence) and by the task (a
# named facility or project beats a short or generic predicate).
BASE_CONFIDENCE = {"table-row": 0.92, "table-column": 0.92, "labelled-item": 0.92, "table-column-year": 0.9,
                   "scope-colon": 0.9, "scope-heading": 0.8, "scope-list": 0.88, "clause": 0.72, "target": 0.68}
REPORT_WORDS = re.compile(r"目前|正在|截至|累计|同比|以来|已")


def _confidence(pdoc: DocContext, cand: Candidate, task: str, flags: list[str]) -> float:
    value = BASE_CONFIDENCE.get(cand.how, 0.7)
    if cand.how in ("clause", "target"):
        tm, res = cand.tm, cand.tm.resolved
        kind = pdoc.rs.by_id(tm.rule).value["type"]
        time_text = pdoc.m[tm.start:tm.end]
        sentence = pdoc.m[cand.evidence[0]:cand.evidence[1]]
        if kind in ("duration", "range-month", "range-date", "within", "from-now", "workdays"):
            value -= 0.15       # a span: its anchor is often a meeting or a start the text implies
        elif res.precision in ("day", "xun", "month", "half"):
            value += 0.1
        elif res.precision == "year" and not re.search(r"[底末]", time_text):
            value -= 0.1        # a bare year (`2023年`, `今年`, `年内`) frames reports as often as plans
        elif res.precision == "quarter":
            value -= 0.1
        if REPORT_WORDS.search(sentence) or pdoc.reader.reports.search(sentence):
            value -= 0.08       # the sentence also reports progress
        if sentence.lstrip().startswith(time_text) and res.precision == "year":
            value -= 0.05
        plain = task.replace("…", "")
        if re.search(pdoc.reader.head_end.pattern.rstrip("$"), plain):   # a named project or facility
            value += 0.05
        if len(plain) < 8:
            value -= 0.08
    value -= 0.25 if flags else 0
    return round(min(max(value, 0.1), 0.95), 2)


ROW_CELL = re.compile(r"\t+|\|")


def _row_owner(pdoc: DocContext, pos: int) -> str | None:
    """The owner cell of the table row (a `|`- or tab-separated line) that holds `pos`:
    a row's owner owns the times in its other cells, even when the rows run on as one paragraph."""
    m = pdoc.m
    start = m.rfind("\n", 0, pos) + 1
    end = m.find("\n", pos)
    line = m[start:end if end >= 0 else len(m)]
    cells = [c.strip() for c in ROW_CELL.split(line)]
    if len([c for c in cells if c]) < 3:
        return None
    for cell in cells:
        if cell and pdoc.owners.is_owner(cell):
            return pdoc.owners.tidy(pdoc.text[start + line.index(cell):start + line.index(cell) + len(cell)])
    return None


def _milestones(pdoc: DocContext, candidates: list[Candidate], doc: str, flags: list[str]) -> list[Milestone]:
    text = pdoc.text
    milestones: list[Milestone] = []
    seen: dict[str, int] = {}
    twins: set[tuple] = set()
    for cand in candidates:
        tm, spans = cand.tm, cand.spans
        task = "…".join(_unquote(text[s:e].replace("\n", "")) for s, e in spans)
        shortest = 2 if tm.resolved.rrule else 4   # `查账`, `通报`: a routine named by its verb
        if len(task.replace("…", "")) < shortest and cand.how in ("clause", "target"):
            continue
        if not task.replace("…", "").strip():
            continue
        if cand.owner is not None or cand.owner_how:
            owner, owner_how = cand.owner, cand.owner_how
        elif pdoc.cell_owner.get(tm.start):      # a time in a table row's free cell: the row's owner
            owner, owner_how = pdoc.cell_owner[tm.start], "table"
        elif (row := _row_owner(pdoc, tm.start)) and not (cand.subject and pdoc.owners.is_owner(
                pdoc.m[cand.subject[0]:cand.subject[1]])):
            owner, owner_how = row, "table"
        else:
            owner, owner_how = pdoc.owner(cand.sentence, cand.subject, cand.clause)
        res = tm.resolved
        confidence = _confidence(pdoc, cand, task, flags)
        es, ee = cand.evidence
        ms = Milestone(doc=doc, due=res.due, start=res.start, precision=res.precision,
                       kind="recurring" if res.rrule else cand.kind, rrule=res.rrule, owner=owner,
                       time_text=text[tm.start:tm.end], task=task, title=_title(task),
                       sentence=text[es:ee].strip(), span=(tm.start, tm.end), sentence_span=(es, ee),
                       rules=[tm.rule] + ([cand.how] if cand.how != "clause" else []),
                       confidence=confidence, flags=list(flags))
        twin = (ms.task, ms.due, ms.kind)
        if twin in twins:
            continue   # the same deliverable and date said twice (`全年新建…（…年底前完成）`)
        twins.add(twin)
        key = ms.key()
        seen[key] = seen.get(key, 0) + 1
        ms.id = key if seen[key] == 1 else f"{key[:13]}-{seen[key]}"
        milestones.append(ms)
    return milestones
