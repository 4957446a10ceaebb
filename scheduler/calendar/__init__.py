"""Calendars: store rows → iCalendar files (written with `icalendar`)."""

from scheduler.calendar.build import calendar, event
from scheduler.calendar.export import export, safe_name
from scheduler.calendar.feeds import FeedCache
from scheduler.calendar.importer import read as read_ics

__all__ = ["calendar", "event", "export", "safe_name", "FeedCache", "read_ics"]
