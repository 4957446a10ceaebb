"""Find time expressions: every rule runs over the matching copy; overlaps keep the longest.

After the longest matches are chosen, two kinds of context are read from the text, because some
expressions only resolve against something the text states elsewhere:

- two expressions joined by `至`/`到`/`-` (`2025年1月11日-2025年10月底`, `从4月15日开始到4月30日结束`,
  `2025年第二季度至2026年第三季度`) are one range (rule `range-joined`);
- a rule whose value names a `context` gets it as extra groups: `event` (the date of the latest
  meeting the text reports before it: `会后三天内`), `period` (a plan period `2020—2022年`, or a
  five-year plan `十四五规划`, for `三年内`/`五年内`), `node` (a date stated in the same paragraph
  for a season word: `采暖季前`), `from` (a later start `从2022年3月起` in the same sentence, for a
  recurring duty).
"""

from __future__ import annotations

import re

from scheduler.extract import prefilter
from scheduler.extract.model import TimeMatch
from scheduler.extract.ruleset import Ruleset

JOINED_RULE = "range-joined"
# what may stand between the two ends of a range, and around it
RANGE_GAP = re.compile(r"(?:起|开始)?(?:至|到|—{1,2}|–|－|-|~|～)")
RANGE_OPEN = ("从", "自", "由")
RANGE_CLOSE = re.compile(r"(?:止|结束)")
JOINABLE = {"date", "month", "xun", "quarter", "half"}

# `7月26日，…召开…会`, `会议于2023年7月26日召开`: the date of a reported meeting
DATE = r"(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}[日号]"
EVENT = re.compile(
    rf"(?P<date>{DATE}|昨天|昨日|今天|今日)(?:[上下]午|晚上?)?[，,\s]?(?=[^。！？!?\n]{{0,80}}?会)[^。！？!?\n]{{0,80}}?(?:召开|举行|举办|召集)"
    rf"|会议?[^。！？!?\n]{{0,12}}?于(?P<date2>{DATE})(?:[上下]午)?(?:召开|举行)")
# a plan period stated anywhere in the text: `（2020—2022年）`, `2021-2023年`
PERIOD = re.compile(r"(?P<y1>(?:19|20)\d{2})\s*年?\s*(?:—{1,2}|–|－|-|~|～|至|到)\s*(?P<y2>(?:19|20)\d{2})\s*年")
FIVE_YEAR_PLAN = re.compile(r"十([一二三四五六七])五(?:规划|时期|期间|末|期末|”)")
# `自2023年5月1日起30日内` counts from the stated day; `自通知印发之日起30日内` from the notice itself
STATED_START = re.compile(rf"(?:自|从)(?:(?P<date>{DATE})|[^，,。；;]{{0,20}}?之日)起[，,]?$")


def scan(mtext: str, ruleset: Ruleset) -> list[TimeMatch]:
    candidates = []
    lines = prefilter.Lines(mtext, prefilter.wanted(rule.regex for rule in ruleset.rules))
    for order, rule in enumerate(ruleset.rules):
        for match in prefilter.finditer(rule.regex, lines):
            start, end = match.span()
            if end == start or (start and mtext[start - 1].isdigit()):
                continue
            groups = {k: v for k, v in match.groupdict().items() if v is not None}
            candidates.append((-(end - start), -rule.priority, start, order, rule.id, groups))
    candidates.sort()
    taken = bytearray(len(mtext) + 1)
    chosen = []
    for neg_len, _prio, start, _order, rule_id, groups in candidates:
        end = start - neg_len
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        chosen.append(TimeMatch(start, end, mtext[start:end], rule_id, groups))
    chosen.sort(key=lambda m: m.start)
    chosen = _join_ranges(mtext, chosen, ruleset)
    chosen = [tm for tm in chosen if not in_title(mtext, tm.start)]
    _attach_context(mtext, chosen, ruleset)
    return chosen


def _join_ranges(mtext: str, matches: list[TimeMatch], ruleset: Ruleset) -> list[TimeMatch]:
    """`A至B` where A and B are dates, month ends, quarters…: one range match."""
    try:
        ruleset.by_id(JOINED_RULE)
    except KeyError:
        return matches
    out: list[TimeMatch] = []
    i = 0
    while i < len(matches):
        a = matches[i]
        b = matches[i + 1] if i + 1 < len(matches) else None
        if b is not None and _joinable(ruleset, a) and _joinable(ruleset, b) \
                and RANGE_GAP.fullmatch(mtext, a.end, b.start):
            start, end = a.start, b.end
            if start and mtext[start - 1] in RANGE_OPEN:
                start -= 1
            close = RANGE_CLOSE.match(mtext, end)
            if close:
                end = close.end()
            groups = {"left": (a.rule, a.groups), "right": (b.rule, b.groups)}
            out.append(TimeMatch(start, end, mtext[start:end], JOINED_RULE, groups))
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _joinable(ruleset: Ruleset, tm: TimeMatch) -> bool:
    rule = ruleset.by_id(tm.rule)
    return rule.value["type"] in JOINABLE and not rule.value.get("before_start") \
        and not re.search(r"(?:前|以前|之前)$", tm.text)


def _attach_context(mtext: str, matches: list[TimeMatch], ruleset: Ruleset) -> None:
    events = periods = None
    for index, tm in enumerate(matches):
        wants = ruleset.by_id(tm.rule).value.get("context")
        if not wants:
            continue
        if "event" in wants:
            stated = STATED_START.search(mtext, max(0, tm.start - 30), tm.start)
            if stated and stated.group("date"):
                tm.groups["event"] = stated.group("date")
            elif not stated:
                if events is None:
                    events = [(m.start(), m.group("date") or m.group("date2")) for m in EVENT.finditer(mtext)]
                before = [date for pos, date in events if pos < tm.start]
                if before:
                    tm.groups["event"] = before[-1]
        if "period" in wants:
            if periods is None:
                periods = [(int(m.group("y1")), int(m.group("y2"))) for m in PERIOD.finditer(mtext)]
                # a five-year plan the text names: 十四五 is 2021–2025
                plans = {"一二三四五六七".index(m.group(1)) + 1 for m in FIVE_YEAR_PLAN.finditer(mtext)}
                periods += [(2001 + 5 * n, 2005 + 5 * n) for n in sorted(plans)]
            if periods:
                tm.groups["period"] = periods
        if "node" in wants:
            line_start = mtext.rfind("\n", 0, tm.start) + 1
            line_end = mtext.find("\n", tm.end)
            line_end = len(mtext) if line_end < 0 else line_end
            nodes = []
            for step in (-1, 1):
                j = index + step
                while 0 <= j < len(matches) and line_start <= matches[j].start < line_end:
                    other = matches[j]
                    if ruleset.by_id(other.rule).value["type"] in ("date", "month"):
                        nodes.append((other.rule, other.groups))
                    j += step
            tm.groups["node"] = nodes
        if "from" in wants:
            sentence_start = max(mtext.rfind(ch, 0, tm.start) for ch in "。！？!?\n") + 1
            j = index - 1
            while j >= 0 and matches[j].start >= sentence_start:
                other = matches[j]
                if other.start and mtext[other.start - 1] in RANGE_OPEN \
                        and re.match(r"(?:起|开始)", mtext[other.end:other.end + 2]):
                    tm.groups["from"] = (other.rule, other.groups)
                    break
                j -= 1


def in_title(mtext: str, pos: int) -> bool:
    """Inside a quoted name: `《2024年政府工作报告》`, `〈…〉` — a title, not a time."""
    line_start = mtext.rfind("\n", 0, pos) + 1
    before = mtext[line_start:pos]
    return before.count("《") > before.count("》") or before.count("〈") > before.count("〉")
