"""Read a clause as a commitment: strip openers, find the subject and the first verb, decide.

All word lists come from `rules/lexicon/markers.yaml`; matching runs on the matching copy
(`m`) and every returned position is an offset into the cleaned text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scheduler.extract.ruleset import Ruleset

QUANTITY = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|万|亿|千|百)?\s*(?:个|所|条|处|宗|家|项|平方米|公里|千米|米|亩|户|座|栋|套|人|名|批次|例|张|台"
    r"|辆|间|册|场|次|吨|元|位|床)|\d+(?:\.\d+)?\s*%|[一二三四五六七八九十百千万两]+(?:个|所|条|处|家|项|座|套|名)")
ARABIC = re.compile(r"\d+(?:\.\d+)?\s*(?:%|万|亿)?\s*[\u4e00-\u9fff%]")
QUOTES = "“”\"‘’「」《》()（）"
TRIM = " \t\u3000，,。；;：:、！!？?…—"


@dataclass
class Reading:
    start: int          # task start (cleaned-text offset)
    end: int
    kind: str           # deadline | start
    subject: tuple[int, int] | None   # a subject dropped from the task (owner or place)


class Reader:
    def __init__(self, ruleset: Ruleset):
        self.rs = ruleset
        lex = ruleset.lexicon
        self.lex = lex
        # `于` marks a date (`将于`, `于3月底前`) but not inside 位于/属于/处于/由于/关于/对于/基于/终于
        self.markers = re.compile("|".join(
            r"(?<![位属处由关对基终])于" if w == "于" else re.escape(w)
            for w in sorted(lex["future"], key=len, reverse=True)))
        self.adverbs = ruleset.word_regex("adverbs")
        verbs = {w: "deliverable" for w in lex["deliverable"]}
        verbs.update({w: "ongoing" for w in lex["ongoing"]})
        verbs.update({w: "nominal" for w in lex["nominals"]})
        self.verb_kind = verbs
        self.verbs = re.compile("|".join(re.escape(w) for w in sorted(verbs, key=len, reverse=True)))
        self.aims = ruleset.word_regex("aims")
        self.disposal = ruleset.word_regex("disposal")
        self.targets = ruleset.word_regex("targets")
        self.reports = ruleset.word_regex("reports")
        self.descriptions = ruleset.word_regex("descriptions")
        self.generic = re.compile(rf"^好?(?:{ruleset.word_regex('generic_objects').pattern})$")
        labels = ruleset.word_regex("time_labels").pattern
        self.time_label = re.compile(rf"(?:{labels})[:：]?\s*(?:为|是|在)?$")
        self.purpose = re.compile(rf"^(?:{ruleset.word_regex('purpose').pattern})")
        past = [w for w in lex["past"] if w != "了"]
        self.past = re.compile("|".join(re.escape(w) for w in sorted(past, key=len, reverse=True))
                               + r"|(?<![为除])了(?=[\s，,。；;！!”]|$)")
        self.start_verbs = set(lex["start"])
        self.start_results = tuple(lex["start_results"])
        results = sorted(lex["results"], key=len, reverse=True)
        self.bare = re.compile(
            rf"^(?:(?:{self.markers.pattern})|(?:{self.adverbs.pattern}))*(?:实现|完成|达到)?"
            rf"(?:{'|'.join(map(re.escape, results))})(?:并|和)?(?:{'|'.join(map(re.escape, results))})?$")
        self.list_tails = re.compile(rf"(?:{ruleset.word_regex('list_tails').pattern})$")
        cuts = [w for w in lex["list_tails"] if w != "等"]
        self.list_cut = re.compile("|".join(re.escape(w) for w in sorted(cuts, key=len, reverse=True)))
        self.joiners = re.compile(rf"(?:{ruleset.word_regex('joiners').pattern})$")
        self.subject_verbs = re.compile(rf"(?:{ruleset.word_regex('subject_verbs').pattern})")
        self.subject_tails = re.compile(rf"(?:{ruleset.word_regex('subject_tails').pattern})$")
        self.copula = re.compile(rf"的(?:{ruleset.word_regex('copula_objects').pattern})$")
        heads = ruleset.word_regex("anaphora_heads").pattern
        self.anaphor = re.compile(rf"^[该本此](?P<head>{heads})$")
        self.heads = heads
        places = "工程|设施|水系|大道|路|广场|基地|馆|站|厂|场|楼|村|园|桥|线|房|院|所|城"
        self.head_end = re.compile(rf"(?:{heads}|{places})$")

    def first_verb(self, m: str, start: int, end: int) -> re.Match | None:
        """The first deliverable or ongoing verb, skipping nouns that contain one (`增加值`)."""
        verb = self.verbs.search(m, start, end)
        while verb is not None and self.verb_kind[verb.group()] == "nominal":
            verb = self.verbs.search(m, verb.end(), end)
        return verb

    # -- small helpers on (m, start, end) spans ---------------------------------------
    @staticmethod
    def trim(m: str, start: int, end: int) -> tuple[int, int]:
        while start < end and m[start] in TRIM:
            start += 1
        while end > start and m[end - 1] in TRIM:
            end -= 1
        return start, end

    def strip_openers(self, m: str, start: int, end: int) -> int:
        while start < end:
            match = self.markers.match(m, start, end) or self.adverbs.match(m, start, end)
            if not match or match.end() == start:
                break
            start = match.end()
        return start

    def strip_tail_markers(self, m: str, start: int, end: int) -> int:
        """Remove trailing obligation markers (`…将在`, `…预计`) from a pre-time subject."""
        changed = True
        while changed and end > start:
            changed = False
            for match in self.markers.finditer(m, start, end):
                if match.end() == end:
                    end = match.start()
                    changed = True
                    break
            if not changed:
                for match in self.adverbs.finditer(m, start, end):
                    if match.end() == end:
                        end = match.start()
                        changed = True
                        break
        return end

    def noun_phrase(self, m: str, start: int, end: int) -> bool:
        """A name or a list of names: no verb, or a verb inside a name that ends in a head noun
        (`瑞贝卡大道提升改造项目`, `供电、供暖等配套工程`)."""
        verb = self.verbs.search(m, start, end)
        if verb is None:
            return True
        if self.markers.search(m, start, end) or self.past.search(m, start, end):
            return False
        return verb.start() > start and bool(self.head_end.search(m, start, end)) and end - start <= 40

    def is_target(self, m: str, start: int, end: int) -> bool:
        """A measurable target or a concrete deliverable, though its verb may be weak."""
        text = m[start:end]
        if len(text) < 4 or self.aims.search(text) or self.is_past(m, start, end) \
                or m[self.strip_openers(m, start, end):end].startswith("有"):
            return False
        start = self.strip_openers(m, start, end)
        if self.descriptions.search(m, start, end):
            return False     # `总投资约8亿元`, `惠及居民2万户` describe a project
        verb = self.first_verb(m, start, end)
        quantity = QUANTITY.search(text)
        if verb is not None and self.verb_kind[verb.group()] == "ongoing" and verb.start() - start <= 1 \
                and not quantity and verb.group() not in self.lex["targets"]:
            return False
        if verb is not None and m[verb.end():verb.end() + 1] in ("了", "过"):
            return False     # `新增了6家` reports what happened
        if verb is not None and self.verb_kind[verb.group()] == "deliverable":
            return not self.generic.match(m[verb.end():self.tidy_end(m, verb.end(), end)])
        if verb is not None and self.verb_kind[verb.group()] == "ongoing" and not ARABIC.search(text):
            return False     # `围绕六个方面着重发力`: an effort, however it is counted
        return bool(quantity or self.targets.search(text))

    def is_past(self, m: str, start: int, end: int) -> bool:
        return bool(self.past.search(m, start, end)) and not self.markers.search(m, start, end)

    def is_bare(self, m: str, start: int, end: int) -> bool:
        return bool(self.bare.match(m[start:end]))

    def is_purpose(self, m: str, start: int) -> bool:
        return bool(self.purpose.match(m[start:start + 4]))

    def tidy_end(self, m: str, start: int, end: int) -> int:
        start, end = self.trim(m, start, end)
        cut = self.list_cut.search(m, start, end)
        if cut and cut.start() > start:
            end = cut.start()
        for _ in range(3):
            tail = self.list_tails.search(m, start, end)
            if tail and tail.start() > start:
                end = tail.start()
            joiner = self.joiners.search(m, start, end)
            if joiner and joiner.start() > start:
                end = joiner.start()
            while end > start and m[end - 1] in "了的" + TRIM:
                end -= 1
        return end

    # -- the reading of one task span ------------------------------------------------
    def read(self, m: str, start: int, end: int) -> Reading | None:
        """A deliverable task in m[start:end], or None (aim, ongoing effort, past, no verb)."""
        start, end = self.trim(m, start, end)
        start = self.strip_openers(m, start, end)
        if start >= end or self.is_past(m, start, end) or m[start] == "有":
            return None
        subject = None
        verb_from = start
        marker = self.markers.search(m, start, min(end, start + 30))
        if marker and marker.start() > start:
            head = self.verbs.match(m, start, marker.start())
            if head is None or self.verb_kind[head.group()] == "nominal":
                subject = (start, marker.start())
                verb_from = self.strip_openers(m, marker.start(), end)
        verb = self.first_verb(m, verb_from, end)
        if verb is not None and self.verb_kind[verb.group()] == "ongoing" and subject is None \
                and m[start - 1:start] == "将":
            handed = self.disposal.search(m, verb.end(), end)
            if handed:   # `将实施方案报市发改委`: the object comes first, the deliverable last
                return Reading(start, self.tidy_end(m, start, end), "deadline", None)
        if verb is None or self.verb_kind[verb.group()] != "deliverable":
            return None
        after = m[verb.end():verb.end() + 1]
        if after == "的" or (after in ("了", "过") and subject is None and verb_from == start
                            and not self.markers.search(m, start, end)):
            return None     # `新增了6家` reports the past; `开工的第一天` is attributive
        if subject is None and verb.start() > start:
            # text before the verb is a subject (`山港中心项目实现主体封顶`) unless it holds a verb
            subject = (start, verb.start())
        if self.aims.search(m, start, end):
            return None
        end = self.tidy_end(m, verb.start(), end)
        if end <= verb.start() + 1 or self.generic.match(m[verb.end():end]):
            return None     # `制定计划`, `圆满完成任务`: a framing, nothing to check off
        kind = "deadline"
        word = verb.group()
        if word in self.start_verbs or (word == "实现" and m[start:end].endswith(self.start_results)):
            kind = "start"
        return Reading(verb.start(), end, kind, subject)

    def split_items(self, m: str, start: int, end: int) -> list[tuple[int, int]]:
        """One span per item of `A、B、C` when each item is a deliverable of its own."""
        parts, depth, pos = [], 0, start
        for i in range(start, end):
            ch = m[i]
            if ch in "“《(（「":
                depth += 1
            elif ch in "”》)）」":
                depth = max(0, depth - 1)
            elif ch == "、" and depth == 0:
                parts.append((pos, i))
                pos = i + 1
        parts.append((pos, end))
        if len(parts) < 2:
            return [(start, end)]
        if any(e - s < 5 for s, e in parts[:-1]):
            return [(start, end)]
        if any(QUANTITY.fullmatch(m[s:e].strip()) or ARABIC.fullmatch(m[s:e].strip()) for s, e in parts[1:]):
            return [(start, end)]   # `新开工49个、256万平方米、3.2万户`: one deliverable, three measures
        if re.match(r"[为对向给]", m[parts[0][0]:parts[0][1]]) \
                or re.search(r"等[\u4e00-\u9fff]{0,8}$", m[parts[-1][0]:end]):
            return [(start, end)]   # `为A、B免费体检`: a list inside a preposition; `A、B等工程`: one group
        quantity = re.compile(r"\d+(?:\.\d+)?万?(?:个|所|条|处|宗|家|项|平方米|公里|亩|户|座|栋)")
        last_s, last_e = parts[-1]
        if quantity.search(m, last_s, last_e) and not any(quantity.search(m, s, e) for s, e in parts[:-1]):
            return [(start, end)]
        out = []
        for s, e in parts:
            e2 = self.tidy_end(m, s, e)
            out.append((s, e2))
        return out

    def split_joined(self, m: str, start: int, end: int) -> list[list[tuple[int, int]]] | None:
        """`启动建设A工程和B公园` → [启动建设A工程], [启动建设…B公园]; `完成A学校及13处B学校运动场建成`
        → [完成A学校…运动场建成], [13处B学校运动场建成]: two named objects joined by 和/及/与
        under one verb are two deliverables. None when the span is not of that shape."""
        verb = self.verbs.match(m, start, end)
        if verb is None or self.verb_kind[verb.group()] != "deliverable" or "、" in m[start:end]:
            return None
        v_end = verb.end()
        follow = re.match(r"建设|实施|改造", m[v_end:end])
        v_end += follow.end() if follow else 0
        joins = [j for j in re.finditer(r"和|及(?!其|时)|与", m[v_end:end])]
        if len(joins) != 1:
            return None
        j, j_end = v_end + joins[0].start(), v_end + joins[0].end()
        head = self.head_end.search(m, v_end, j)
        if j - v_end < 3 or head is None or end - j_end < 2 or self.verbs.match(m, j_end, end):
            return None
        shared = m.find(head.group(), j_end, end)
        if shared >= 0 and shared + len(head.group()) < end:       # the tail after B is shared
            tail = shared + len(head.group())
            return [[(start, j), (tail, end)], [(j_end, end)]]
        if self.head_end.search(m, j_end, end) and not self.verbs.search(m, j_end, end):
            return [[(start, j)], [(start, v_end), (j_end, end)]]
        return None

    def borrow_subject(self, m: str, start: int, end: int) -> tuple[int, int] | None:
        """The object of a previous clause as the subject of a bare predicate."""
        start, end = self.trim(m, start, end)
        for _ in range(3):
            match = self.subject_verbs.match(m, start, end) or self.adverbs.match(m, start, end)
            if not match:
                break
            start = match.end()
        tail = self.subject_tails.search(m, start, end)
        if tail and tail.start() > start + 2:
            end = tail.start()
        if end - start < 3 or not self.head_end.search(m, start, end):
            return None
        return start, end

    def antecedent(self, m: str, before: int, floor: int, head: str) -> tuple[int, int] | None:
        """The nearest noun phrase ending in `head` before `before` (for `该项目`)."""
        pattern = re.compile(rf"(?<=[的，,。、；;\s“”])([^的，,。、；;\s”][^的，,。、；;\s]{{1,23}}?{re.escape(head)})"
                             rf"(?!{self.heads}|经理|负责人|总工|部|办|组|建设)")
        best = None
        for match in pattern.finditer(m, max(floor - 1, 0), before):
            if not m[match.start(1):match.end(1)].startswith(("该", "本", "此", "第", "这", "那", "每", "各")):
                best = match.span(1)
        return best


@lru_cache(maxsize=8)
def reader_for(ruleset: Ruleset) -> Reader:
    return Reader(ruleset)
