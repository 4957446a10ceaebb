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
    return chosen
