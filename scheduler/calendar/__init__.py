"""Calendars: store rows → iCalendar files (written with `icalendar`)."""

from scheduler.calendar.build import calendar, event
from scheduler.calendar.export import export, safe_name

__all__ = ["calendar", "event", "export", "safe_name"]
