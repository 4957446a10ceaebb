"""Pure date logic shared by status, agenda, digests and the dashboard: when a recurring duty is
next due, when its series ends, and when an overdue milestone is stale. `today` is always
passed in; nothing here reads the clock or the database."""

from __future__ import annotations

import calendar
import datetime as dt

STALE_DAYS = 90
# Words that make a duty open-ended ("常态化开展", "长期坚持", "建立长效机制"); without one a
# recurring duty belongs to the year its document is about and stops at that year's end.
STANDING = ("常态化", "长期", "长效", "持续", "坚持", "始终", "经常性")


def _parts(rrule: str) -> dict[str, str]:
    return {k.upper(): v for k, v in (p.split("=", 1) for p in rrule.split(";") if "=" in p)}


def recurrence(rrule: str, due: dt.date) -> str:
    """The RRULE to expand: a duty due at month end stays at month end (BYMONTHDAY=-1)."""
    if "FREQ=MONTHLY" in rrule and "BYMONTHDAY" not in rrule and \
            (due + dt.timedelta(days=1)).day == 1 and due.day >= 28:
        return rrule + ";BYMONTHDAY=-1"
    return rrule


def _until(rrule: str) -> dt.date | None:
    value = _parts(rrule).get("UNTIL")
    if not value:
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def series_end(rrule: str | None, first_due: dt.date, sentence: str = "") -> dt.date | None:
    """The last day a recurring duty can fall due: its UNTIL; none for a yearly or a standing duty
    (the sentence says 常态化, 长期, 长效 …); otherwise 31 December of its first due date's year."""
    if not rrule:
        return None
    until = _until(rrule)
    if until:
        return until
    if _parts(rrule).get("FREQ") == "YEARLY" or any(word in (sentence or "") for word in STANDING):
        return None
    return dt.date(first_due.year, 12, 31)


def next_occurrence(rrule: str, first_due: dt.date, today: dt.date) -> dt.date:
    """The first occurrence on or after `today` (the end of the current period), ignoring any end."""
    if today <= first_due:
        return first_due
    parts = _parts(rrule)
    step = int(parts.get("INTERVAL", "1"))
    freq = parts.get("FREQ")
    simple = not any(k.startswith("BY") or k == "COUNT" for k in parts)
    if simple and freq in ("DAILY", "WEEKLY"):
        days = step * (7 if freq == "WEEKLY" else 1)
        k = -(-(today - first_due).days // days)
        return first_due + dt.timedelta(days=k * days)
    if simple and freq in ("MONTHLY", "YEARLY"):
        months = step * (12 if freq == "YEARLY" else 1)
        month_end = (first_due + dt.timedelta(days=1)).day == 1
        gap = (today.year - first_due.year) * 12 + today.month - first_due.month
        k = max(0, gap // months)
        while True:
            total = first_due.month - 1 + k * months
            year, month = first_due.year + total // 12, total % 12 + 1
            last = calendar.monthrange(year, month)[1]
            candidate = dt.date(year, month, last if month_end else min(first_due.day, last))
            if candidate >= today:
                return candidate
            k += 1
    rule = _rule(rrule, first_due)
    nxt = rule.after(dt.datetime.combine(today, dt.time()), inc=True)
    return nxt.date() if nxt else first_due


def _rule(rrule: str, first_due: dt.date):
    from dateutil.rrule import rrulestr

    plain = ";".join(p for p in recurrence(rrule, first_due).split(";")
                     if not p.upper().startswith("UNTIL="))
    return rrulestr(plain, dtstart=dt.datetime.combine(first_due, dt.time()))


def last_occurrence(rrule: str, first_due: dt.date, end: dt.date) -> dt.date:
    """The last occurrence on or before `end` (the first due date if none is)."""
    before = _rule(rrule, first_due).before(dt.datetime.combine(end, dt.time()), inc=True)
    return before.date() if before else first_due


def current_due(rrule: str | None, first_due: dt.date, today: dt.date,
                end: dt.date | None = None) -> dt.date:
    """The due date that matters today: a one-off milestone's due date; a recurring duty's next
    occurrence, or — once its series has ended — its last occurrence."""
    if not rrule:
        return first_due
    nxt = next_occurrence(rrule, first_due, today)
    if end is None or nxt <= end:
        return nxt
    return last_occurrence(rrule, first_due, end)


def upcoming(rrule: str | None, first_due: dt.date, start: dt.date, stop: dt.date,
             end: dt.date | None = None) -> list[dt.date]:
    """Every due date in [start, stop] (one date for a one-off milestone, the occurrences of a
    recurring duty up to its series end)."""
    if not rrule:
        return [first_due] if start <= first_due <= stop else []
    last = min(stop, end) if end else stop
    days, day = [], next_occurrence(rrule, first_due, start)
    while day <= last:
        days.append(day)
        day = next_occurrence(rrule, first_due, day + dt.timedelta(days=1))
    return days


def is_stale(due: dt.date, today: dt.date, stale_days: int = STALE_DAYS) -> bool:
    """Overdue by more than `stale_days`: counted, not listed, unless asked for."""
    return (today - due).days > stale_days


def stale_cutoff(today: dt.date, stale_days: int = STALE_DAYS) -> dt.date:
    """Due dates before this day are stale (for queries: `due < cutoff`)."""
    return today - dt.timedelta(days=stale_days)


# -- buckets and review, for the dashboard and digests -------------------------------------
BUCKETS = (("overdue", "已逾期"), ("week", "7 天内"), ("month", "30 天内"), ("later", "以后"))


def bucket(days_left: int) -> str:
    if days_left < 0:
        return "overdue"
    if days_left <= 7:
        return "week"
    if days_left <= 30:
        return "month"
    return "later"


def stale_by_days_left(days_left: int, status: str = "open", stale_days: int = STALE_DAYS) -> bool:
    return status == "open" and -days_left > stale_days


def rrule_parts(rrule: str) -> dict[str, str]:
    return {k.upper(): v for k, v in (p.split("=", 1) for p in rrule.split(";") if "=" in p)}


def duty_end(rrule: str, first_due: dt.date, published: dt.date | None) -> dt.date:
    until = rrule_parts(rrule).get("UNTIL")
    if until:
        digits = until[:8]
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    year = published.year if published else first_due.year
    return dt.date(max(year, first_due.year), 12, 31)


REVIEW_BELOW = 0.75


def needs_review(confidence: float, flags) -> bool:
    """Low confidence or a flag from extraction: a person should look."""
    return confidence < REVIEW_BELOW or bool(flags)
