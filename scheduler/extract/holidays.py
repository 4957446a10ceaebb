"""Holiday dates (lunar via lunardate) and official workdays (chinese_calendar)."""

from __future__ import annotations

import datetime as dt

from lunardate import LunarDate


def holiday_start(spec: dict, year: int) -> dt.date | None:
    """First day of the period a holiday entry names, in the given (lunar or solar) year."""
    try:
        if spec["calendar"] == "lunar":
            day = LunarDate(year, spec["month"], spec["day"]).to_solar_date()
        else:
            day = dt.date(year, spec["month"], spec["day"])
    except (ValueError, KeyError):
        return None
    return day + dt.timedelta(days=int(spec.get("offset", 0)))


def next_holiday(spec: dict, after: dt.date) -> dt.date | None:
    """The first occurrence of the holiday period starting after `after`."""
    for year in (after.year, after.year + 1):
        start = holiday_start(spec, year)
        if start and start > after:
            return start
    return None


def is_workday(day: dt.date) -> bool:
    """Official workday (adjusted weekends included); Mon–Fri outside the library's years."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: dt.date, count: int) -> dt.date:
    day = start
    while count > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day
