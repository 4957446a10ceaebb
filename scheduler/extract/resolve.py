"""Unresolved values (from a rule) + the reference date → due/start/precision (gold-format.md)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import cn2an
from dateutil.relativedelta import relativedelta

from scheduler.extract import holidays
from scheduler.extract.model import Resolved
from scheduler.extract.ruleset import Ruleset, TimeRule

PERIOD_PRECISION = {"day": "day", "week": "day", "month": "month", "quarter": "quarter",
                    "half": "half", "year": "year"}


def number(text: str | None, lexicon: dict) -> float | None:
    if text is None:
        return None
    text = text.strip()
    if text in lexicon["numerals"]:
        return lexicon["numerals"][text]
    if text.isdigit():
        return int(text)
    if re.fullmatch(r"[一二三四五六七八九〇零○]{4}", text):
        return int("".join(str("〇一二三四五六七八九".index(c) if c in "〇一二三四五六七八九" else 0)
                           for c in text))
    try:
        return cn2an.cn2an(text.replace("两", "二"), "smart")
    except (ValueError, KeyError, IndexError):
        return None


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def year_of(groups: dict, published: dt.date, lexicon: dict) -> int:
    if "year" in groups:
        value = number(groups["year"], lexicon)
        if value:
            return int(value)
    rel = groups.get("rel")
    if rel:
        offset = lexicon["relative_years"].get(rel, 0)
        if offset == "new-year":
            return published.year + (1 if published.month >= 11 else 0)
        return published.year + int(offset)
    return published.year


def period_end(period: str, day: dt.date) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        return day + dt.timedelta(days=6 - day.weekday())
    if period == "month":
        return month_end(day.year, day.month)
    if period == "quarter":
        q_end = ((day.month - 1) // 3 + 1) * 3
        return month_end(day.year, q_end)
    if period == "half":
        return month_end(day.year, 6 if day.month <= 6 else 12)
    return dt.date(day.year, 12, 31)


def _duration(groups: dict, lexicon: dict) -> relativedelta | None:
    count = number(groups.get("count"), lexicon) or 0
    unit = groups.get("unit", "")
    half = bool(groups.get("half") or groups.get("half2"))
    if unit in ("个月", "月"):
        return relativedelta(months=int(count), days=15 if half else 0)
    if unit == "年":
        return relativedelta(years=int(count), months=6 if half else 0)
    if unit == "周":
        return relativedelta(days=7 * int(count) + (3 if half else 0))
    if unit in ("天", "日"):
        return relativedelta(days=int(count))
    return None


def _sub(ruleset: Ruleset, part: tuple[str, dict], published: dt.date) -> tuple[Resolved | None, TimeRule]:
    """Resolve one end of a range, or a date the text states elsewhere (a node, a later start)."""
    rule = ruleset.by_id(part[0])
    return resolve(rule, part[1], published, ruleset), rule


def period_start(res: Resolved, rule: TimeRule) -> dt.date:
    """Where a range that opens with this expression starts: a day or a month end (`10月底`) is a
    point; a month, quarter, half or year starts on its first day."""
    if res.start is not None:
        return res.start
    if res.precision in ("day", "xun") or rule.value.get("point"):
        return res.due
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}.get(res.precision, 1)
    return res.due - relativedelta(months=months - 1, day=1)


def _joined(groups: dict, published: dt.date, ruleset: Ruleset) -> Resolved | None:
    """`A至B`: start where A starts, due when B ends; B takes A's year when it names none."""
    left, left_rule = _sub(ruleset, groups["left"], published)
    if left is None:
        return None
    right_rule_id, right_groups = groups["right"]
    left_groups = groups["left"][1]
    if not ({"year", "rel"} & set(right_groups)) and ({"year", "rel"} & set(left_groups)):
        right_groups = {**right_groups, **{k: left_groups[k] for k in ("year", "rel") if k in left_groups}}
    right, _ = _sub(ruleset, (right_rule_id, right_groups), published)
    if right is None:
        return None
    start = period_start(left, left_rule)
    due = right.due
    if due < start and not ({"year", "rel"} & set(right_groups)):
        due = due + relativedelta(years=1)
    if due < start:
        return None
    return Resolved(due, start, right.precision)


def _base(groups: dict, published: dt.date) -> dt.date:
    """The day a counted span runs from: a reported meeting's date, else publication."""
    event = groups.get("event")
    if event in ("昨天", "昨日"):   # a news report of yesterday's meeting
        return published - dt.timedelta(days=1)
    if event:
        found = re.match(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})", event)
        if found:
            year = int(found.group(1)) if found.group(1) else published.year
            try:
                day = dt.date(year, int(found.group(2)), int(found.group(3)))
            except ValueError:
                return published
            if not found.group(1) and day > published + dt.timedelta(days=180):
                day = day - relativedelta(years=1)   # a December meeting reported in January
            return day
    return published


def _later_start(groups: dict, published: dt.date, ruleset: Ruleset) -> dt.date:
    """`从2022年3月起，每月25日前…`: the duty starts on the first day of the stated start."""
    if "from" not in groups:
        return published
    res, rule = _sub(ruleset, groups["from"], published)
    if res is None:
        return published
    begin = res.due if res.precision == "day" else period_start(res, rule)
    return max(begin, published)


def resolve(rule: TimeRule, groups: dict, published: dt.date, ruleset: Ruleset,
            anchor: dt.date | None = None) -> Resolved | None:
    """Resolve one match. Returns None when the expression names no valid date."""
    lex = ruleset.lexicon
    kind = rule.value["type"]
    precision = rule.precision
    try:
        if rule.value.get("joined"):
            return _joined(groups, published, ruleset)
        if "year2" in groups:   # `2027至2028年前`: by the end of the later year
            groups = {**groups, "year": groups["year2"]}
        year = year_of(groups, published, lex)
        month = int(number(groups.get("month"), lex) or 0)
        if "thism" in groups or "nextm" in groups:   # `本月底`, `下月10日`
            this = published + relativedelta(months=1 if "nextm" in groups else 0)
            year, month = this.year, this.month
        if kind == "date":
            day = int(number(groups.get("day"), lex) or 0)
            return Resolved(dt.date(year, month, day), None, precision)
        if kind == "month":
            if rule.value.get("before_start"):
                return Resolved(dt.date(year, month, 1) - dt.timedelta(days=1), None, precision)
            return Resolved(month_end(year, month), None, precision)
        if kind == "xun":
            xun = groups.get("xun", "")
            if xun in ("上旬", "月初", "初"):
                return Resolved(dt.date(year, month, 10), None, precision)
            if xun in ("中旬", "月中", "中"):
                return Resolved(dt.date(year, month, 20), None, precision)
            return Resolved(month_end(year, month), None, precision)
        if kind == "quarter":
            q = int(number(groups.get("quarter"), lex) or 0)
            if not 1 <= q <= 4:
                return None
            return Resolved(month_end(year, q * 3), None, precision)
        if kind == "half":
            half = groups.get("half") or rule.value.get("half")
            return Resolved(month_end(year, 6 if half == "上" else 12), None, precision)
        if kind == "year":
            return Resolved(dt.date(year, 12, 31), None, precision)
        if kind == "plan":
            n = "一二三四五六七".index(groups["plan"][1]) + 1
            return Resolved(dt.date(2005 + 5 * n, 12, 31), None, precision)
        if kind == "range-month":
            month2 = int(number(groups.get("month2"), lex) or 0)
            year2 = year + 1 if month2 < month else year
            return Resolved(month_end(year2, month2), dt.date(year, month, 1), precision)
        if kind == "range-date":
            day = int(number(groups.get("day"), lex) or 0)
            day2 = int(number(groups.get("day2"), lex) or 0)
            month2 = int(number(groups.get("month2"), lex) or 0) or month
            start = dt.date(year, month, day)
            due = dt.date(year + (1 if month2 < month else 0), month2, day2)
            return Resolved(due, start, precision)
        if kind == "from-now":
            day = int(number(groups.get("day"), lex) or 0)

            def end_in(y: int) -> dt.date:
                return dt.date(y, month, day) if day else month_end(y, month)
            due = end_in(year)
            if due < published and "year" not in groups:
                due = end_in(published.year + 1)
            return Resolved(due, published, "day" if day else "month")
        if kind == "holiday":
            spec = lex["holidays"][groups["holiday"]]
            named = "year" in groups or groups.get("rel") not in (None, "今年", "本年", "当年")
            if named:
                start = holidays.holiday_start(spec, year)
            else:
                start = holidays.next_holiday(spec, published)
            if start is None:
                return None
            if spec.get("season"):   # a season has no fixed first day: a node the text states wins
                nodes = [_sub(ruleset, part, published)[0] for part in groups.get("node", ())]
                nodes = [n.due for n in nodes if n and start - dt.timedelta(days=45) <= n.due < start]
                if nodes:
                    return Resolved(max(nodes), None, "month" if max(nodes) == month_end(
                        max(nodes).year, max(nodes).month) else "day")
            return Resolved(start - dt.timedelta(days=1), None, precision)
        if kind == "duration":
            delta = _duration(groups, lex)
            if anchor is None or delta is None:
                return None
            return Resolved(anchor + delta - dt.timedelta(days=1), anchor, precision)
        if kind == "workdays":
            count = int(number(groups.get("count"), lex) or 0)
            return Resolved(holidays.add_workdays(published, count), None, precision)
        if kind == "within":
            if rule.value.get("plan"):   # `三年内` counts only inside a stated plan period of that length
                count = int(number(groups.get("count"), lex) or 0)
                ends = [y2 for y1, y2 in groups.get("period", ()) if y2 - y1 + 1 == count]
                return Resolved(dt.date(ends[0], 12, 31), None, precision) if ends else None
            if rule.value.get("anchor") == "event" and "event" not in groups:
                return None
            delta = _duration(groups, lex)
            return Resolved(_base(groups, published) + delta, None, precision) if delta else None
        if kind == "recurring-day":
            return _recurring_day(rule.value, groups, _later_start(groups, published, ruleset), lex, precision)
        if kind == "recurring":
            freq = lex["frequencies"].get(groups.get("unit", ""))
            if not freq:
                return None
            start = _later_start(groups, published, ruleset)
            return Resolved(period_end(freq["period"], start), start,
                            PERIOD_PRECISION[freq["period"]], kind="recurring", rrule=freq["rrule"])
    except (ValueError, TypeError, KeyError, OverflowError):
        return None
    return None


WEEKDAYS = "一二三四五六日"


def _recurring_day(value: dict, groups: dict, start: dt.date, lex: dict, precision: str) -> Resolved | None:
    """A duty on a stated day of its period: due on the first such day on or after `start`."""
    by = value["by"]
    if by == "weekday":
        wd = WEEKDAYS.index(groups["weekday"].replace("天", "日"))
        due = start + dt.timedelta(days=(wd - start.weekday()) % 7)
    else:
        day = int(number(groups.get("day"), lex) or 0)
        due = None
        for step in range(0, 25):
            year, month = divmod(start.month - 1 + step, 12)
            year, month = start.year + year, month + 1
            if by == "quarterday" and month % 3:
                continue
            if by == "yearday" and month != int(number(groups.get("month"), lex) or 0):
                continue
            if day > calendar.monthrange(year, month)[1]:
                continue
            candidate = dt.date(year, month, day)
            if candidate >= start:
                due = candidate
                break
        if due is None:
            return None
    return Resolved(due, start, "day", kind="recurring", rrule=value["rrule"])
