"""The document's reference (publication) date, and how it was found."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

DATE_LINE = re.compile(
    r"(?:发布(?:日期|时间)|發布(?:日期|時間)|日期|时间|時間|来源)?[:：]?\s*"
    r"(?P<date>(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
DATELINE = re.compile(r"(?:讯|电|報道|报道)?\s*(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:讯|訊|电|電)")
YEAR = re.compile(r"(?P<y>(?:19|20)\d{2})年")
FUTURE_YEAR_CONTEXT = re.compile(r"^(?:底|末)?(?:\d{1,2}月(?:份)?(?:底|末)?)?(?:前|之前|以前)")
PAST_YEAR_CONTEXT = re.compile(r"^(?:\d{1,2}月(?:\d{1,2}日)?)?(?:以来|开始|起|成立|是|的工作)")


def _parse_date_line(raw: str) -> dt.date | None:
    import dateparser

    parsed = dateparser.parse(raw, languages=["zh", "en"],
                              settings={"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "YMD"})
    return parsed.date() if parsed else None


def infer_year(text: str, month: int, day: int) -> tuple[int | None, str]:
    """Year of a dateline from the years the text names: deadlines name future years."""
    future, past, every = [], [], Counter()
    for match in YEAR.finditer(text):
        year = int(match.group("y"))
        rest = text[match.end():match.end() + 12]
        every[year] += 1
        if FUTURE_YEAR_CONTEXT.match(rest):
            future.append(year)
        elif PAST_YEAR_CONTEXT.match(rest):
            past.append(year)
    if future:
        year = min(future) - 1
        if past and max(past) > year:
            year = max(past)
        return year, f"named deadline year {min(future)} is still ahead"
    if every:
        year = max(every, key=lambda y: (every[y], y))
        return year, f"most named year {year}"
    return None, "no year named in the text"


def find(text: str) -> tuple[dt.date | None, str, list[str]]:
    """Return (date, how, warnings) from the page's own date line or dateline."""
    head = text[:3000]
    for line in head.split("\n")[:40]:
        stripped = line.strip()
        match = DATE_LINE.search(stripped)
        if match and (len(stripped) <= 60 or stripped.startswith(("发布", "發布", "日期", "时间"))):
            date = _parse_date_line(match.group("date"))
            if date:
                return date, f"date line {match.group('date').strip()!r}", []
    match = DATELINE.search(head)
    if match:
        month, day = int(match.group("m")), int(match.group("d"))
        year, why = infer_year(text, month, day)
        if year:
            try:
                date = dt.date(year, month, day)
            except ValueError:
                date = None
            if date:
                return (date, f"dateline {match.group(0).strip()!r}, year inferred: {why}",
                        ["year inferred from the text"])
    return None, "not found", ["no publication date found: year uncertain"]
