"""One time phrase on its own (a table's 完成时限 cell, a `--when` option) → a resolved date, by
the same rules and the same resolution as sentences in documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.extract import timex
from scheduler.extract.clean import fullwidth_to_ascii, matching_copy
from scheduler.extract.model import Resolved
from scheduler.extract.resolve import resolve
from scheduler.extract.ruleset import load_ruleset


@dataclass
class Phrase:
    resolved: Resolved
    rule: str          # the rule id that read it
    text: str          # the part of the phrase it read


def read_phrase(text: str, reference: dt.date, rules_dir=None) -> Phrase | None:
    """The date a phrase names, against `reference` (a publication date). With several time
    expressions (`3月底前启动，6月底前完成`) the last one is the deadline. None when no rule
    reads a date in it."""
    rs = load_ruleset(rules_dir)
    plain, _ = fullwidth_to_ascii(text.replace("\n", " ").strip())
    mtext = matching_copy(plain)
    found = None
    for tm in timex.scan(mtext, rs):
        rule = rs.by_id(tm.rule)
        result = resolve(rule, tm.groups, reference, rs, None)
        if result is not None:
            found = Phrase(result, tm.rule, plain[tm.start:tm.end])
    return found
