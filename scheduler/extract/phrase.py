"""One time phrase on its own (a table's 完成时限 cell, `add --when 6月底前`) → a resolved date, by
the same rules and the same resolution as sentences in documents."""

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
    resolved: Resolved
    rule: str          # the rule id that read it
    text: str          # the part of the phrase it read


def read_phrase(text: str, reference: dt.date, rules_dir=None) -> Phrase | None:
    """The date a phrase names, against `reference` (a publication date or today). With several
    time expressions (`3月底前启动，6月底前完成`) the last one is the deadline; a span (`30日内`)
    counts from `reference`. None when no rule reads a date in it."""
    rs = load_ruleset(rules_dir)
    plain, _ = cleaning.clean(text.replace("\n", " ").strip(), rs.lexicon)
    mtext = cleaning.matching_copy(plain)
    found = None
    for tm in timex.scan(mtext, rs):
        rule = rs.by_id(tm.rule)
        start = reference if rule.value["type"] == "duration" else None
        result = resolve(rule, tm.groups, reference, rs, start)
        if result is None:
            continue
        if found is None or tm.start >= found[0] or tm.end - tm.start > found[1] - found[0]:
            found = (tm.start, tm.end, Phrase(result, tm.rule, plain[tm.start:tm.end]))
    return found[2] if found else None


resolve_phrase = read_phrase
