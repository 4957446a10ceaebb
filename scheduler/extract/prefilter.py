"""Where a time rule can match at all, so its regex runs over those lines only.

Most rules cannot match without one of a few characters (`月` for the month rules, `日`/`号` for
days, `季` for quarters). `needs()` reads that set from the compiled pattern itself: a literal
or a small character class that every match must consume. `Lines` indexes a text by which of
those characters each line holds; a rule then scans the runs of lines that hold one of its
characters, widened by a line on each side so a match or a look-around that reaches into a
neighbouring line is found exactly as in a scan of the whole text. A rule whose pattern gives
no such set (an optional everything, a case-insensitive pattern) scans the whole text.
"""

from __future__ import annotations

import re
from functools import lru_cache

try:                                 # Python 3.11+
    from re import _constants as C
    from re import _parser as parser
except ImportError:                  # pragma: no cover - Python 3.10
    import sre_constants as C
    import sre_parse as parser

REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT} | ({C.POSSESSIVE_REPEAT} if hasattr(C, "POSSESSIVE_REPEAT") else set())
CLASS_LIMIT = 40          # a wider class (a range of digits or CJK) is no filter
BREAK = re.compile(r"[\n。！？；]")   # a "line" ends at a newline or a sentence end (BREAK_CHARS)


@lru_cache(maxsize=4096)
def needs(regex: re.Pattern) -> frozenset[str] | None:
    """Characters of which every match holds at least one, or None when none is certain (or when
    a match or a look-around could read across a line end, so lines cannot bound it)."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        tree = parser.parse(regex.pattern, regex.flags)
    except Exception:  # noqa: BLE001  (an unparsable pattern simply gets no filter)
        return None
    if _reads_break(list(tree)):
        return None
    return _sequence(list(tree))


BREAK_CHARS = "\n。！？；"
DIGITS_WORDS = {getattr(C, "CATEGORY_DIGIT", None), getattr(C, "CATEGORY_WORD", None),
                getattr(C, "CATEGORY_NOT_SPACE", None)}     # none of these matches a break


def _reads_break(items) -> bool:
    """Whether a match, or a look-ahead longer than one character, can take in a break
    character: then it could run past the margin line, and lines cannot bound the rule."""
    for op, arg in items:
        if op is C.LITERAL:
            if chr(arg) in BREAK_CHARS:
                return True
        elif op in (C.NOT_LITERAL, C.ANY):
            return True
        elif op is C.IN:
            if _class_reads_break(arg):
                return True
        elif op is C.SUBPATTERN:
            if _reads_break(list(arg[3])):
                return True
        elif op is C.BRANCH:
            if any(_reads_break(list(alt)) for alt in arg[1]):
                return True
        elif op in REPEATS:
            if _reads_break(list(arg[2])):
                return True
        elif op in (C.ASSERT, C.ASSERT_NOT):
            direction, sub = arg
            # a look-behind reads before the scanned run freely; a look-ahead of one character
            # reads at most into the margin line
            if direction > 0 and sub.getwidth()[1] > 1 and _reads_break(list(sub)):
                return True
        elif getattr(C, "ATOMIC_GROUP", None) is not None and op is C.ATOMIC_GROUP:
            if _reads_break(list(arg)):
                return True
        elif op in (C.GROUPREF_EXISTS, C.GROUPREF):
            return True
    return False


def _class_reads_break(members) -> bool:
    chars = set()
    negate = False
    for kind, value in members:
        if kind is C.NEGATE:
            negate = True
        elif kind is C.LITERAL:
            chars.add(chr(value))
        elif kind is C.RANGE:
            chars.update(c for c in BREAK_CHARS if value[0] <= ord(c) <= value[1])
        elif kind is C.CATEGORY:
            if value not in DIGITS_WORDS:
                return True          # \s, \W, \D match a break
        else:
            return True
    hit = set(BREAK_CHARS) & chars
    return len(hit) < len(BREAK_CHARS) if negate else bool(hit)


def _sequence(items) -> frozenset[str] | None:
    best = None
    for op, arg in items:
        got = _item(op, arg)
        if got is not None and (best is None or len(got) < len(best)):
            best = got
    return best


def _item(op, arg) -> frozenset[str] | None:
    if op is C.LITERAL:
        return frozenset(chr(arg))
    if op is C.IN:
        chars = set()
        for kind, value in arg:
            if kind is C.LITERAL:
                chars.add(chr(value))
            elif kind is C.RANGE and value[1] - value[0] < CLASS_LIMIT:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            else:                    # NEGATE, CATEGORY, a wide range
                return None
        return frozenset(chars) if 0 < len(chars) <= CLASS_LIMIT else None
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, sub = arg
        return None if add_flags & re.IGNORECASE else _sequence(list(sub))
    if op is C.BRANCH:
        union: set[str] = set()
        for alternative in arg[1]:
            got = _sequence(list(alternative))
            if got is None:
                return None
            union |= got
        return frozenset(union) if len(union) <= CLASS_LIMIT else None
    if op in REPEATS:
        low, _high, sub = arg
        return _sequence(list(sub)) if low >= 1 else None
    if getattr(C, "ATOMIC_GROUP", None) is not None and op is C.ATOMIC_GROUP:
        return _sequence(list(arg))
    return None                      # look-arounds, anchors, any, back-references


class Lines:
    """A text's line starts, and for each wanted character the lines that hold it."""

    def __init__(self, text: str, wanted: frozenset[str]):
        self.text = text
        self.starts = [0] + [m.end() for m in BREAK.finditer(text)]
        self.holding: dict[str, list[int]] = {}
        for number, start in enumerate(self.starts):
            end = self.starts[number + 1] if number + 1 < len(self.starts) else len(text)
            for char in wanted.intersection(text[start:end]):
                self.holding.setdefault(char, []).append(number)

    def spans(self, chars: frozenset[str]) -> list[tuple[int, int]]:
        """(pos, endpos) runs of lines holding one of `chars`, a line of margin on each side."""
        numbers = sorted({n for c in chars for n in self.holding.get(c, ())})
        last = len(self.starts) - 1
        out: list[tuple[int, int]] = []
        for n in numbers:
            first, final = max(0, n - 1), min(last, n + 1)
            pos = self.starts[first]
            endpos = self.starts[final + 1] if final + 1 <= last else len(self.text)
            if out and pos <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], endpos))
            else:
                out.append((pos, endpos))
        return out


def wanted(regexes) -> frozenset[str]:
    """Every character some pattern needs: what `Lines` indexes."""
    out: set[str] = set()
    for regex in regexes:
        out |= needs(regex) or frozenset()
    return frozenset(out)


def finditer(regex: re.Pattern, lines: Lines):
    """`regex.finditer` over the text, limited to the lines that can hold a match."""
    chars = needs(regex)
    if chars is None:
        yield from regex.finditer(lines.text)
        return
    for pos, endpos in lines.spans(chars):
        yield from regex.finditer(lines.text, pos, endpos)
