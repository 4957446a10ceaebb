"""Find time expressions: every rule runs over the matching copy; overlaps keep the longest."""

from __future__ import annotations

from scheduler.extract.model import TimeMatch
from scheduler.extract.ruleset import Ruleset


def scan(mtext: str, ruleset: Ruleset) -> list[TimeMatch]:
    candidates = []
    for order, rule in enumerate(ruleset.rules):
        for match in rule.regex.finditer(mtext):
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
    return [tm for tm in chosen if not in_title(mtext, tm.start)]


def in_title(mtext: str, pos: int) -> bool:
    """Inside a quoted name: `《2024年政府工作报告》`, `〈…〉` — a title, not a time."""
    line_start = mtext.rfind("\n", 0, pos) + 1
    before = mtext[line_start:pos]
    return before.count("《") > before.count("》") or before.count("〈") > before.count("〉")
