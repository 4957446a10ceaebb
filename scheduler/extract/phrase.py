"""One time phrase on its own (`6月底前`, `2024年第三季度`, `每月`) → a resolved date, by the
same rules and reference-date logic as documents. For milestones entered by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.extract import clean as cleaning
from scheduler.extract import timex
from scheduler.extract.model import Resolved
from scheduler.extract.resolve import resolve
from scheduler.extract.ruleset import load_ruleset


@dataclass
class Phrase:
    text: str            # the time expression that matched
    rule: str            # the rule id
    resolved: Resolved


def resolve_phrase(phrase: str, reference: dt.date, rules_dir=None) -> Phrase | None:
    """The longest time expression in `phrase`, resolved against `reference`; None when the
    phrase holds none that names a valid date."""
    rs = load_ruleset(rules_dir)
    text, _ = cleaning.clean(phrase.strip(), rs.lexicon)
    mtext = cleaning.matching_copy(text)
    best = None
    for tm in timex.scan(mtext, rs):
        rule = rs.by_id(tm.rule)
        start = reference if rule.value["type"] == "duration" else None
        resolved = resolve(rule, tm.groups, reference, rs, start)
        if resolved is not None and (best is None or tm.end - tm.start > len(best.text)):
            best = Phrase(text[tm.start:tm.end], tm.rule, resolved)
    return best
