"""decode → clean → reference date → time expressions → commitments → milestones."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from scheduler.errors import InputError
from scheduler.extract import clean as cleaning
from scheduler.extract import refdate, segment, timex
from scheduler.extract.decode import decode
from scheduler.extract.document import DocContext, anchor
from scheduler.extract.model import DocumentInfo, Extraction, Milestone, TimeMatch
from scheduler.extract.resolve import resolve
from scheduler.extract.ruleset import load_ruleset
from scheduler.extract.shapes import clause_of, duration_subject, table_task

SKIP_AFTER = re.compile(r"^(?:起|开始|以来|以后|之后|后|来|的|讯|电|是|为止|止|期间|前后|左右|上午|下午|晚|早)")
RECURRING_COUNT = re.compile(r"^(?:\d+|[一两二三四五六七八九十]+)次")
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


def _commitments(doc: DocContext, sentence: segment.Sentence, matches: list[TimeMatch]):
    """Yield (match, task spans, kind, subject, clause) for every commitment in a sentence."""
    m, reader = doc.m, doc.reader
    by_clause: dict[tuple[int, int], list[TimeMatch]] = {}
    for tm in matches:
        gi, ci, _ = clause_of(sentence.groups, tm.start)
        by_clause.setdefault((gi, ci), []).append(tm)
    for tm in matches:
        res = tm.resolved
        gi, ci, _ = clause_of(sentence.groups, tm.start)
        group = sentence.groups[gi]
        cs, ce = group[ci]
        same = by_clause[(gi, ci)]
        # a later time word used as an attribute (`完成全年投资计划`) does not end the task
        nxt = [o for o in same if o.start > tm.start
               and not reader.verbs.search(m[max(o.start - 2, 0):o.start], 0)]
        post_end = nxt[0].start if nxt else ce
        post_s, post_e = reader.trim(m, tm.end, post_end)
        if doc.rs.by_id(tm.rule).value["type"] == "duration":
            found = duration_subject(doc, sentence, tm)
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
        table = table_task(doc, sentence, tm, post_s, post_e)
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


def _emit(doc: DocContext, tm: TimeMatch, reading, pre, sentence, gi: int, ci: int, clause):
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
    pdoc = DocContext(text, mtext, reference, rs)
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
            start = anchor(pdoc, sentence, tm.start) if rule.value["type"] == "duration" else None
            tm.resolved = resolve(rule, tm.groups, reference, rs, start)
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
