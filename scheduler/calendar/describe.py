"""What an event says: its title line, description, categories and recurrence, in Chinese.

A calendar client shows SUMMARY in a crowded month grid, so it carries the owner
(`[市北区] 完成…`); DESCRIPTION adds what the title does not (the full task when the title is
shortened, the time phrase and its precision, the evidence sentence, the source) and never a
path on the server's disk.
"""

from __future__ import annotations

import calendar
import datetime as dt

from scheduler.store import labels
from scheduler.store.timeline import duty_end, rrule_parts

DEFAULT_SUMMARY = "[{owner}] {title}"
DONE_MARK = "✓ "
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def summary(ms, pattern: str = DEFAULT_SUMMARY) -> str:
    try:
        text = pattern.format(owner=ms.owner or labels.NO_OWNER, title=ms.title, task=ms.task,
                              kind=labels.kind(ms.kind), precision=labels.precision(ms.precision))
    except (KeyError, IndexError, ValueError):
        text = DEFAULT_SUMMARY.format(owner=ms.owner or labels.NO_OWNER, title=ms.title)
    return DONE_MARK + text if ms.status == "done" else text


def when(ms) -> str:
    """`6月底前（精确到月）`, `每月（例行）`, `月度（例行，每月）`."""
    if ms.rrule:
        freq = labels.frequency(ms.rrule)
        return f"{ms.time_text}（例行）" if ms.time_text == freq else f"{ms.time_text}（例行，{freq}）"
    return f"{ms.time_text}（精确到{labels.precision(ms.precision)}）"


def description(ms, doc) -> str:
    lines = []
    if ms.task.strip() != ms.title.strip():
        lines.append(ms.task)
    lines.append(f"时间：{when(ms)}")
    if ms.status != "open":
        lines.append(f"状态：{labels.STATUS.get(ms.status, ms.status)}")
    if ms.sentence.strip() and ms.sentence.strip() != ms.task.strip():
        lines.append(f"原文：{ms.sentence}")
    lines.append(f"来源：{labels.doc_title(doc)}")
    url = labels.public_url(doc.source)
    if url and url != labels.doc_title(doc):
        lines.append(url)
    if doc.published:
        lines.append(f"发布日期：{doc.published.isoformat()}")
    return "\n".join(lines)


def categories(ms) -> list[str]:
    third = labels.frequency(ms.rrule) if ms.rrule else labels.precision(ms.precision)
    return [c for c in (ms.owner, labels.kind(ms.kind), third) if c]


def _month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def recurrence(ms, doc) -> str | None:
    """The RRULE as written to the calendar: the duty's day of the period (BYDAY, BYMONTHDAY,
    BYMONTH) and its end (UNTIL, a DATE like DTSTART)."""
    if not ms.rrule:
        return None
    parts = rrule_parts(ms.rrule)
    freq = parts.get("FREQ", "")
    due = ms.due
    if freq == "WEEKLY" and "BYDAY" not in parts:
        parts["BYDAY"] = WEEKDAYS[due.weekday()]
    elif freq == "MONTHLY" and "BYMONTHDAY" not in parts and "BYDAY" not in parts:
        parts["BYMONTHDAY"] = "-1" if _month_end(due) and due.day >= 28 else str(due.day)
    elif freq == "YEARLY" and "BYMONTH" not in parts:
        parts["BYMONTH"] = str(due.month)
        parts["BYMONTHDAY"] = "-1" if _month_end(due) and due.day >= 28 else str(due.day)
    end = duty_end(ms.rrule, due, doc.published if doc is not None else None)
    parts["UNTIL"] = max(end, due).strftime("%Y%m%d")
    parts.pop("COUNT", None)
    order = ["FREQ", "INTERVAL", "UNTIL", "BYMONTH", "BYMONTHDAY", "BYDAY"]
    keys = [k for k in order if k in parts] + sorted(k for k in parts if k not in order)
    return ";".join(f"{k}={parts[k]}" for k in keys)
