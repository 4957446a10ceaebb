"""Pure date rules shared by the dashboard, the digest and the calendars (no database, no clock).

- bucket: where an open milestone falls for `today` (overdue, week, month, later);
  the same windows as `deadlines status --check` (due within 7 days = 0..7 days left).
- stale: open and overdue for more than `stale_days` — counted, not listed.
- duty_end: the last day a recurring duty runs. The extraction's own UNTIL wins; otherwise a
  duty runs to the end of the year its document sets work for (the publication year, or the
  first due date's year when the date is unknown): a work plan speaks for its year.
"""

from __future__ import annotations

import datetime as dt

BUCKETS = (("overdue", "已逾期"), ("week", "7 天内"), ("month", "30 天内"), ("later", "以后"))
STALE_DAYS = 90


def bucket(days_left: int) -> str:
    if days_left < 0:
        return "overdue"
    if days_left <= 7:
        return "week"
    if days_left <= 30:
        return "month"
    return "later"


def is_stale(days_left: int, status: str = "open", stale_days: int = STALE_DAYS) -> bool:
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
