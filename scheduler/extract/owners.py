"""The responsible body: a name in subject position, built from the owners lexicon."""

from __future__ import annotations

import re
from functools import lru_cache

from scheduler.extract.ruleset import Ruleset

NAME_CHARS = r"(?:(?![是的了我你他这那])[A-Za-z0-9\u4e00-\u9fff“”\-—])"
REGION_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}[省市](?=[\u4e00-\u9fff]{2,4}[区县市]$)")


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class Owners:
    def __init__(self, ruleset: Ruleset):
        lex = ruleset.lexicon
        suffixes, people = _alt(lex["suffixes"]), _alt(lex["people"])
        titles = _alt(lex["titles"])
        followers = _alt(lex["followers"])
        openers = _alt(lex["openers"])
        body = rf"{NAME_CHARS}{{1,20}}?(?:{suffixes})"
        group = rf"[\u4e00-\u9fff]{{0,10}}?(?:{people})(?:及其他[\u4e00-\u9fff]{{0,6}}?(?:{people}))?"
        follow = rf"(?=(?:{followers})|(?:{titles})[\u4e00-\u9fff]{{1,4}}|[、，,。：:；;]|$)"
        self.clause_start = re.compile(
            rf"[“\"]?(?:(?:{openers})[，,]?)*(?P<owner>{group}|{body}){follow}")
        self.subject = re.compile(rf"(?:{group}|{body})")
        self.people_anywhere = re.compile(rf"(?:要求|由|请|组织)(?P<owner>{group})")
        self.attribution = re.compile(
            rf"[”\"](?P<owner>{NAME_CHARS}{{2,30}}?)(?:{titles})[\u4e00-\u9fff]{{1,4}}(?:说|表示|介绍|坦言|告诉记者)")
        self.not_owners = tuple(lex["not_owners"])
        labels, duty = _alt(lex["labels"]), _alt(lex["duty_words"])
        self.labelled = re.compile(rf"(?:{labels})[:：]\s*(?P<owner>[^；;。，,、\s）)]{{2,30}})")
        self.duty = re.compile(rf"[（(](?P<owner>[^，,（）()；;。]{{2,30}}?)(?:{duty})")

    def valid(self, name: str) -> bool:
        return bool(name) and not name.endswith(self.not_owners) and len(name) >= 2

    def tidy(self, name: str) -> str:
        return REGION_PREFIX.sub("", name.strip("“”\""))

    def at_clause_start(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        match = self.clause_start.match(mtext, start, end)
        if match and self.valid(match.group("owner")):
            s, e = match.span("owner")
            prefix = REGION_PREFIX.match(mtext[s:e])
            return (s + (prefix.end() if prefix else 0), e)
        return None

    def is_owner(self, name: str) -> bool:
        return bool(self.subject.fullmatch(name)) and self.valid(name)

    def in_sentence(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        match = self.people_anywhere.search(mtext, start, end)
        if match and self.valid(match.group("owner")):
            return match.span("owner")
        return None

    def by_label(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        """`牵头单位：市住建局` or `（市工信局负责，…）` in a task-table line."""
        for pattern in (self.labelled, self.duty):
            match = pattern.search(mtext, start, end)
            if match and self.valid(match.group("owner")):
                return match.span("owner")
        return None

    def by_attribution(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        for match in self.attribution.finditer(mtext, start, end):
            if self.valid(match.group("owner")) and self.subject.search(match.group("owner")):
                return match.span("owner")
        return None


@lru_cache(maxsize=8)
def owners_for(ruleset: Ruleset) -> Owners:
    return Owners(ruleset)
