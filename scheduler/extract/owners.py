"""The responsible body: a name in subject position, built from the owners lexicon."""

from __future__ import annotations

import re
from functools import lru_cache

from scheduler.extract import gazetteer
from scheduler.extract.ruleset import Ruleset

# `各地`, `各责任单位`, `相关部门`, `全省交通运输系统`: groups of bodies
GROUP = re.compile(r"(?:各|相关|有关|全)[\u4e00-\u9fff、（）()]{0,40}?"
                   r"(?:单位|部门|地|地区|市|县|区|县区|县市区|乡镇|镇|街道|系统|"
                   r"成员单位|科室|处室|部委|机关|企业|学校|医院|组)")
# `我市`, `本区`, `我局`: the body speaking
SELF = re.compile(r"[我本](?:省|市|区|县|州|旗|镇|乡|街道|局|委|办|厅|中心|院|所|站|队|村)")
# parts of speech that never begin a name (jieba): verbs, prepositions, adverbs, numerals,
# (but a verb or adjective used as a noun does: `卫生健康局`, `安全生产委员会`),
# time words, conjunctions, particles, pronouns
JUNK = re.compile(r"[0-9０-９“”\"《》]|之前|以前|[将要已]")
BAD_FIRST = ("v", "p", "d", "m", "t", "f", "c", "u", "r", "a", "ad", "q", "y", "e", "o")

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
        bare = _alt([w for w in lex["suffixes"] if len(w) >= 3])
        body = rf"(?:{NAME_CHARS}{{1,20}}?(?:{suffixes})|(?:{bare}))"
        group = rf"[\u4e00-\u9fff]{{0,10}}?(?:{people})(?:及其他[\u4e00-\u9fff]{{0,6}}?(?:{people}))?"
        follow = rf"(?=(?:{followers})|(?:{titles})[\u4e00-\u9fff]{{1,4}}|[、，,。：:；;]|$)"
        self.clause_start = re.compile(
            rf"[“\"]?(?:(?:{openers})[，,]?)*(?P<owner>{group}|{body}){follow}")
        self.subject = re.compile(rf"(?:{group}|{body})")
        self.follow = re.compile(rf"(?:{followers})")
        self.people_anywhere = re.compile(
            rf"(?:要求|由|请|组织)(?P<owner>{group}|{GROUP.pattern})(?=要|于|在|将|务必|[，,])")
        self.bare_bodies = frozenset(w for w in lex["suffixes"] if len(w) >= 3)   # `督查组`, `指挥部`
        self.attribution = re.compile(
            rf"[”\"](?P<owner>{NAME_CHARS}{{2,30}}?)(?:{titles})[\u4e00-\u9fff]{{1,4}}(?:说|表示|介绍|坦言|告诉记者)")
        self.not_owners = tuple(lex["not_owners"])
        labels, duty = _alt(lex["labels"]), _alt(lex["duty_words"])
        self.labelled = re.compile(rf"(?:{labels})[:：]\s*(?P<owner>[^；;。，,、\s）)]{{2,30}})")
        self.duty = re.compile(rf"[（(](?P<owner>[^，,（）()；;。]{{2,30}}?)(?:{duty})")

    def valid(self, name: str) -> bool:
        return bool(name) and not name.endswith(self.not_owners) and len(name) >= 2 and plausible(name)

    def tidy(self, name: str) -> str:
        return REGION_PREFIX.sub("", name.strip("“”\""))

    def at_clause_start(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        place = self.place_at(mtext, start, end)
        if place:
            return place
        match = self.clause_start.match(mtext, start, end)
        if match and self.valid(match.group("owner")):
            s, e = match.span("owner")
            prefix = REGION_PREFIX.match(mtext[s:e])
            return (s + (prefix.end() if prefix else 0), e)
        return None

    def is_owner(self, name: str) -> bool:
        if SELF.fullmatch(name) or GROUP.fullmatch(name) and not JUNK.search(name):
            return True
        if gazetteer.is_place(name) or name in self.bare_bodies:
            return True
        return bool(self.subject.fullmatch(name)) and self.valid(name)

    def place_at(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        """A place or `我市`-style body at the clause start, followed by a marker (`贵州将…`)."""
        for size in range(min(12, end - start), 1, -1):
            name = mtext[start:start + size]
            if (gazetteer.is_place(name) or SELF.fullmatch(name) or GROUP.fullmatch(name)) \
                    and self.follow.match(mtext, start + size, end):
                return start, start + size
        return None

    def in_sentence(self, mtext: str, start: int, end: int) -> tuple[int, int] | None:
        match = self.people_anywhere.search(mtext, start, end)
        if match and (self.valid(match.group("owner")) or GROUP.fullmatch(match.group("owner"))
                      and not JUNK.search(match.group("owner"))):
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


@lru_cache(maxsize=4096)
def plausible(name: str) -> bool:
    """A name, not a clause: no digits or quotes, and no verb, preposition, numeral or time word
    at the start of the name proper (after `各`/`相关`/`我` and a leading place)."""
    if re.search(r"[0-9０-９“”\"《》]|之前|以前", name) or len(name) > 30:
        return False
    rest = re.sub(r"^(?:各|相关|有关|我|本|全(?=[省市区县国州]))", "", name)
    if not rest:
        return False
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)

    words = [(w.word, w.flag) for w in jieba.posseg.lcut(rest)]
    if not words:
        return False
    if len(words) > 1 and words[0][1] == "ns" or gazetteer.is_place(words[0][0]):
        words = words[1:] or words
    first_word, first = words[0]
    if first.startswith(BAD_FIRST) and first not in ("vn", "an") and not (len(words) == 1 and first == "r"):
        return first_word in ("各地",)
    if words[-1][1].startswith("v") and words[-1][1] != "vn" and len(words) > 1:
        return False
    return not any(word in _VERBS for word, _ in words[:-1])


_VERBS = frozenset()


@lru_cache(maxsize=8)
def owners_for(ruleset: Ruleset) -> Owners:
    global _VERBS
    lex = ruleset.lexicon
    _VERBS = frozenset(lex["deliverable"]) | frozenset(lex["ongoing"]) | frozenset(lex["future"])
    return Owners(ruleset)
