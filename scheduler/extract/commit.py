"""The sentence pass: time expressions in a sentence → commitments (task spans, kind, subject).

Each clause holding a time expression is read as a frame: what comes before the time (a subject
or an opener), the predicate after it, the objects split into items, and whether it reports the
past. A time expression reaches over the following clauses of its group (up to `；`/`。`).
"""

from __future__ import annotations

import re

from scheduler.extract import segment
from scheduler.extract.document import DocContext
from scheduler.extract.model import TimeMatch
from scheduler.extract.shapes import clause_of, duration_subject, table_task

SKIP_AFTER = re.compile(r"^(?:起|开始|以来|以后|之后|后|来|的|讯|电|是|为止|止|期间|前后|左右|上午|下午|晚|早)")
RECURRING_COUNT = re.compile(r"^(?:\d+|[一两二三四五六七八九十]+)次")
FUSED_ACTIVITY = ("recurring-one-per", "recurring-period-activity", "recurring-periodic-noun")
LIST_NUMBER = re.compile(r"\s*(?:\d{1,2}[.、．](?!\d)|[(（]\d{1,2}[)）]"
                         r"|[一二三四五六七八九十]{1,3}[、.．]|[(（][一二三四五六七八九十]{1,3}[)）])")


def commitments(doc: DocContext, sentence: segment.Sentence, matches: list[TimeMatch]):
    """Yield (match, task spans, kind, subject, clause) for every commitment in a sentence."""
    m, reader = doc.m, doc.reader
    by_clause: dict[tuple[int, int], list[TimeMatch]] = {}
    for tm in matches:
        gi, ci, _ = clause_of(sentence.groups, tm.start)
        by_clause.setdefault((gi, ci), []).append(tm)
    topics: dict[int, tuple[int, int] | None] = {}
    for tm in matches:
        res = tm.resolved
        gi, ci, _ = clause_of(sentence.groups, tm.start)
        group = sentence.groups[gi]
        cs, ce = group[ci]
        if gi not in topics:
            topics[gi] = _topic(doc, group, by_clause, gi) or (topics.get(gi - 1) if gi else None)
            if topics[gi]:
                doc.last_topic[sentence.paragraph] = topics[gi]
        topic = topics[gi]
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
            fused = tm.rule in FUSED_ACTIVITY   # `周调度`, `一月一通报`: the activity is the task
            if not (reader.verbs.search(text) or RECURRING_COUNT.search(text) or fused) or len(text) < 2:
                continue
            if reader.is_past(m, post_s, end) or m[post_s:reader.trim(m, cs, ce)[1]].endswith("制度"):
                continue     # `建立月例会制度`, `实行周汇总、月通报制度` set up a system, not the duty
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
        # a progress report (`今年1—9月完成投资…，完成年度计划的82%`) binds nothing unless the
        # time's own clause states an obligation (`确保12月10日前完成`)
        if reader.reports.search(m, sentence.start, sentence.end) and not reader.markers.search(m, cs, ce):
            continue
        # pre-time subject: `历史城区预计6月底前…`, `市政大厦等7个项目年内实现招拍挂`
        pre_s = reader.strip_openers(m, *reader.trim(m, cs, tm.start))
        pre_e = reader.strip_tail_markers(m, pre_s, tm.start)
        pre_s, pre_e = reader.trim(m, pre_s, pre_e)
        pre = (pre_s, pre_e) if pre_e - pre_s >= 2 and reader.noun_phrase(m, pre_s, pre_e) else None
        if pre and m[pre_s:pre_e] == "是":
            pre = None
        if pre and not doc.owners.is_owner(m[pre[0]:pre[1]]) and not reader.anaphor.match(m[pre[0]:pre[1]]):
            topics[gi] = topic = pre
            doc.last_topic[sentence.paragraph] = pre
        # the time heads its clause (`到2025年底，…`, `确保2022年…`, `全省今年…`): targets count
        lead = m[cs:tm.start].strip(" ，,")
        heads = res.precision in ("year", "half", "quarter", "month") and (
            not lead or reader.markers.fullmatch(lead) is not None or reader.adverbs.fullmatch(lead) is not None
            or doc.owners.is_owner(lead) or bool(re.fullmatch(r"(?:到|至|在|于)", lead)))
        # copula: `制定X规划，是新一年…的首要任务`
        if m[cs:tm.start].strip() .endswith("是") and reader.copula.search(m[post_s:post_e]) and ci > 0:
            ps_, pe_ = reader.trim(m, *group[ci - 1])
            reading = reader.read(m, ps_, pe_)
            if reading:
                yield tm, [(reading.start, reading.end)], reading.kind, (post_s, post_e), (cs, ce)
            continue
        # a year after a verb or a copula names its object (`完成本年度目标任务`, `是2023年十大实事之一`,
        # `召开2024年…部署大会`): it dates nothing
        verb_after = reader.verbs.match(m, post_s, post_e)
        if verb_after and m[verb_after.end():verb_after.end() + 1] == "的" or re.match(
                r"[\u4e00-\u9fff]{1,4}的", m[tm.end:tm.end + 5]) and not reader.verbs.search(m, tm.end, tm.end + 5):
            continue     # `2021年开工的第一个工作日`, `今年春运的客车`: the time dates an attribute
        if res.precision == "year" and not re.search("[内底末前]", m[tm.start:tm.end]) \
                and _attributive(doc, m[max(cs, tm.start - 4):tm.start]):
            continue
        if post_s >= post_e and res.start is not None and ci > 0 and PERIOD_LABEL.search(m[cs:tm.start]):
            # a period stated after its activity (`现将结果予以公示，公示期为A至B`)
            ps_, pe_ = reader.trim(m, *group[ci - 1])
            reading = reader.read(m, ps_, pe_) if ps_ < pe_ else None
            if reading:
                yield from _emit(doc, tm, reading, None, sentence, gi, ci - 1, (cs, ce), topic)
            continue
        delivered = False
        if post_s < post_e:
            reading = reader.read(m, post_s, post_e)
            if reading:
                delivered = True
                yield from _emit(doc, tm, reading, pre, sentence, gi, ci, (cs, ce), topic)
            elif heads and reader.is_target(m, post_s, post_e):
                yield from _targets(doc, tm, post_s, post_e, (cs, ce))
        # the time expression reaches over following clauses up to `；`/`。` (not from a clause
        # that names an aim: `以新一年工作目标为导向，…，在项目开工方面持续发力`)
        reach = range(ci + 1, len(group)) if not reader.aims.search(m, tm.end, ce) else range(0)
        for cj in reach:
            if (gi, cj) in by_clause:
                break
            s, e = reader.trim(m, *group[cj])
            if s >= e or reader.is_purpose(m, s) or (delivered and m.startswith(ASSURANCE, s)):
                break     # `完成A，确保B开工`: after a deliverable, 确保 states what it is for
            reading = reader.read(m, s, e)
            if reading:
                delivered = True
                yield from _emit(doc, tm, reading, None, sentence, gi, cj, group[cj], topic)
            elif heads and reader.is_target(m, s, e):
                yield from _targets(doc, tm, s, e, group[cj])


ASSURANCE = ("确保", "保证", "力保")
PERIOD_LABEL = re.compile(r"(?:期|时间|时段|日期|期限)(?:为|是|从|自)?[:：]?\s*$")
ATTRIBUTIVE_LEAD = re.compile(r"(?:是|为|成为|作为|列为)$")


def _attributive(doc: DocContext, lead: str) -> bool:
    verbs = list(doc.reader.verbs.finditer(lead))
    verb = verbs[-1] if verbs else None
    return bool(ATTRIBUTIVE_LEAD.search(lead)) or (
        verb is not None and verb.end() == len(lead) and doc.reader.verb_kind[verb.group()] != "nominal")


def _targets(doc: DocContext, tm: TimeMatch, s: int, e: int, clause):
    """Measurable targets under a time that heads its clause chain (`到2025年底，A达到…，B缩小至…`)."""
    reader, m = doc.reader, doc.m
    verb = reader.verbs.search(m, s, e)
    kind = "start" if verb and verb.group() in reader.start_verbs else "deadline"
    for item in reader.split_items(m, s, reader.tidy_end(m, s, e)):
        yield tm, [item], kind, None, clause, "target"


def _topic(doc: DocContext, group: list[tuple[int, int]], by_clause, gi: int) -> tuple[int, int] | None:
    """A group that opens with a bare noun phrase (`春秋大剧院项目，6月底前开工…`) is about it."""
    m, reader = doc.m, doc.reader
    if len(group) < 2:
        return None
    s, e = reader.trim(m, *group[0])
    labelled = m[group[0][0]:group[0][1]].rstrip().endswith((":", "："))   # `A项目：7月底前开工`
    for tm in by_clause.get((gi, 0), ()):
        if tm.start > s + 1:       # a time inside the clause: not a topic
            return None
        s = tm.end                 # `今年武汉两大污水处理厂，年内将投入运行`: the time opens it
    s = reader.strip_openers(m, s, e)
    s = _strip_list_number(m, s, e)
    if not 2 <= e - s <= 40 or not reader.noun_phrase(m, s, e) or doc.owners.is_owner(m[s:e]):
        return None
    if re.search(r"[是为有在将]|[：:]$", m[s:e]) or not (
            labelled or reader.head_end.search(m, s, e) or "、" in m[s:e]):
        return None
    return s, e


def sentence_subject(doc: DocContext, sentence, before: int) -> tuple[int, int] | None:
    """The noun phrase a sentence opens with, up to its first marker or verb
    (`目前，X污水处理厂主体工程已完工，计划年内投入运行` → X污水处理厂主体工程)."""
    m, reader = doc.m, doc.reader
    s, e = reader.trim(m, *sentence.groups[0][0])
    if s < sentence.start or s >= before:
        return None
    opener = re.match(r"(?:目前|当前|现在|同时|其中|此外|另外|据悉|据了解)[，,]?", m[s:e]) or (
        re.fullmatch(r"[\u4e00-\u9fff]{0,8}(?:称|获悉|介绍|表示|了解到)", m[s:e]))   # `报告称，…`
    if opener:
        s, e = reader.trim(m, s + opener.end(), e)
        if s >= e and len(sentence.groups[0]) > 1:
            s, e = reader.trim(m, *sentence.groups[0][1])
    s = _strip_list_number(m, s, e)
    stop = min([x.start() for x in (reader.markers.search(m, s, e), reader.past.search(m, s, e),
                                    re.compile("是").search(m, s, e)) if x is not None] + [e])
    s, stop = reader.trim(m, s, stop)
    if not reader.head_end.search(m, s, stop):
        # the longest opening noun phrase that ends in a head (`新的X医疗中心选址北部新区` → X医疗中心)
        for k in range(min(stop, s + 30), s + 3, -1):
            if reader.head_end.search(m, s, k) and not reader.verbs.search(m, s, k) \
                    and not re.search(r"[0-9０-９年月日]", m[s:k]):
                stop = k
                break
    if stop - s < 4 or stop - s > 40 or not reader.head_end.search(m, s, stop) or stop >= before:
        return None
    if not reader.noun_phrase(m, s, stop) or doc.owners.is_owner(m[s:stop]):
        return None
    return s, stop


CONNECTIVE = re.compile(r"(?:其中|另外|此外|同时|目前|据悉|据了解|记者了解到)$")


def _lead_subject(doc: DocContext, clauses) -> tuple[int, int] | None:
    """The name a clause chain opens with, ending in a head noun and followed by its predicate
    (`A医院分院建设项目主体完工` → A医院分院建设项目; a connective clause such as `其中` is
    skipped); None when the chain opens with a verb."""
    m, reader = doc.m, doc.reader
    for cs, ce in clauses:
        s, e = reader.trim(m, cs, ce)
        if CONNECTIVE.fullmatch(m[s:e]):
            continue
        s = reader.strip_openers(m, _strip_list_number(m, s, e), e)
        if m[s:s + 1] in "该本此这":
            return None          # `该项目…`: the antecedent is found elsewhere
        for k in range(min(e - 2, s + 40), s + 3, -1):
            if reader.head_end.search(m, s, k) and not reader.verbs.search(m, s, k) \
                    and not re.search(r"[0-9０-９年月日，,]", m[s:k]) and not doc.owners.is_owner(m[s:k]):
                return s, k
        return None
    return None


def _strip_list_number(m: str, s: int, e: int) -> int:
    number = LIST_NUMBER.match(m, s, e)
    return number.end() if number else s


def subject_items(doc: DocContext, span: tuple[int, int]) -> list[tuple[int, int]]:
    """`A、B、C项目` → one span per named item; `A、B等3个项目` stays one group."""
    m = doc.m
    s, e = span
    text = m[s:e]
    if e - s > 20 and 0 <= text.rfind("的") < len(text) - 3:
        s += text.rfind("的") + 1      # `串联A、B等功能区的轨道交通M1线` → the line, not its description
        text = m[s:e]
        span = (s, e)
    if "等" in text or not re.search(r"、|(?<![提涉惠波普危顾触论遍])及(?!其|时|早)|和", text):
        return [span]
    parts, pos = [], s
    for match in re.finditer(r"、|(?<![提涉惠波普危顾触论遍])及(?!其|时|早)|和", m[s:e]):
        parts.append((pos, s + match.start()))
        pos = s + match.end()
    parts.append((pos, e))
    if any(pe - ps < 2 for ps, pe in parts):
        return [span]
    return parts


def _emit(doc: DocContext, tm: TimeMatch, reading, pre, sentence, gi: int, ci: int, clause, topic=None):
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
            items = subject_items(doc, subject)
            if len(items) > 1:
                for item in items:
                    yield tm, [item, (start, end)], reading.kind, None, clause
                return
            start = subject[0]
            bare = reader.is_bare(m, start, end)   # `主体完工` has a subject but says nothing
    lead = pre if pre and not doc.owners.is_owner(m[pre[0]:pre[1]]) else None
    if bare:
        if lead:
            anaphor = reader.anaphor.match(m[lead[0]:lead[1]])
            if anaphor:
                ps, _ = doc.layout.paragraphs[sentence.paragraph]
                found = reader.antecedent(m, lead[0], ps, anaphor.group("head"))
                yield tm, [found or lead, (start, end)], reading.kind, lead, clause
                return
            # parallel subjects in earlier clauses: `A等2个项目，B等7个项目年内实现招拍挂`
            group = sentence.groups[gi]
            head = m[lead[1] - 2:lead[1]]
            for cj in range(ci):
                s, e = reader.trim(m, *group[cj])
                if m[s:e].endswith(head) and not reader.verbs.search(m, s, e):
                    yield tm, [(s, e), (start, end)], reading.kind, None, clause
            for item in subject_items(doc, lead):
                yield tm, [item, (start, end)], reading.kind, None, clause
            return
        if topic:
            for item in subject_items(doc, topic):
                yield tm, [item, (start, end)], reading.kind, None, clause
            return
        if ci > 0:
            # the group opens with `X项目主体完工，正在进行配套建设，计划10月竣工`: X is the subject
            opening = _lead_subject(doc, sentence.groups[gi][:ci])
            if opening:
                for item in subject_items(doc, opening):
                    yield tm, [item, (start, end)], reading.kind, None, clause
                return
            borrowed = reader.borrow_subject(m, *sentence.groups[gi][ci - 1])
            if borrowed:
                yield tm, [borrowed, (start, end)], reading.kind, None, clause
                return
        named = sentence_subject(doc, sentence, before=start)
        earlier = doc.last_topic.get(sentence.paragraph)
        if named is None and earlier and earlier[1] <= sentence.start:
            named = earlier                        # the project the paragraph was about
        if named:
            yield tm, [named, (start, end)], reading.kind, None, clause
        return
    owner_subject = subject or (pre if pre and doc.owners.is_owner(m[pre[0]:pre[1]]) else None)
    about = None if subject else (lead or topic)
    if about and reader.anaphor.match(m[about[0]:about[1]]):
        about = None
    for item in reader.split_items(m, start, end):
        kind = reading.kind
        if item[0] != start:
            verb = reader.verbs.match(m, item[0], item[1])
            kind = "start" if verb and verb.group() in reader.start_verbs else reading.kind
        if about:
            for named in subject_items(doc, about):
                yield tm, [named, item], kind, owner_subject, clause
        else:
            yield tm, [item], kind, owner_subject, clause
