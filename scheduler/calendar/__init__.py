"""Calendars: store rows → iCalendar files (written with `icalendar`)."""

from scheduler.calendar.build import assemble, event, event_bytes
from scheduler.calendar.export import export
from scheduler.calendar.feeds import FeedCache
from scheduler.calendar.importer import read as read_ics
from scheduler.calendar.names import safe_name

__all__ = ["assemble", "event", "event_bytes", "export", "safe_name", "FeedCache", "read_ics"]
