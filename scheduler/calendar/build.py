"""Store rows → iCalendar (the only module that talks to the `icalendar` library).

Milestones are all-day VEVENTs (clients such as Google, iOS and Fastmail do not show VTODO).
Output is byte-identical when nothing changed: DTSTAMP is the row's update time and events
are sorted by UID.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import icalendar

from scheduler.calendar import describe
from scheduler.store import labels

PRODID = "-//deadlines//Chinese government milestones//ZH"


@lru_cache(maxsize=1)
def _vtimezone(tzid: str) -> icalendar.Timezone:
    return icalendar.Timezone.from_tzid(tzid)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0)


def event(ms, doc, *, uid_domain: str, alarm_days: int,
          summary: str = describe.DEFAULT_SUMMARY) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", f"{ms.id}@{uid_domain}")
    ev.add("dtstamp", _utc(ms.updated_at))
    start = ms.start if (ms.start and ms.kind != "recurring" and ms.start <= ms.due) else ms.due
    if ms.kind == "recurring":
        start = ms.due
    ev.add("dtstart", start)
    ev.add("dtend", ms.due + dt.timedelta(days=1))
    ev.add("summary", describe.summary(ms, summary))
    ev.add("description", describe.description(ms, doc))
    ev.add("categories", describe.categories(ms))
    ev.add("status", "CANCELLED" if ms.status == "cancelled" else "CONFIRMED")
    ev.add("sequence", ms.sequence)
    ev.add("last-modified", _utc(ms.updated_at))
    ev.add("created", _utc(ms.created_at))
    ev.add("transp", "TRANSPARENT")
    url = labels.public_url(doc.source)
    if url:
        ev.add("url", url)
    rule = describe.recurrence(ms, doc)
    if rule:
        ev.add("rrule", icalendar.vRecur.from_ical(rule))
    if ms.status == "done":
        ev.add("x-deadlines-status", "DONE")
    if alarm_days > 0 and ms.status == "open":
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"到期：{describe.summary(ms, summary)}")
        alarm.add("trigger", dt.timedelta(days=-alarm_days))
        ev.add_component(alarm)
    return ev


def event_bytes(ms, doc, *, uid_domain: str, alarm_days: int,
                summary: str = describe.DEFAULT_SUMMARY) -> bytes:
    """One serialized VEVENT (folded, CRLF-terminated)."""
    return event(ms, doc, uid_domain=uid_domain, alarm_days=alarm_days, summary=summary).to_ical()


def envelope(name: str, *, tz: str = "Asia/Shanghai", refresh_hours: int = 12) -> tuple[bytes, bytes]:
    """The calendar's head (properties and VTIMEZONE) and tail, for events to go between."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    cal.add("refresh-interval", dt.timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", dt.timedelta(hours=refresh_hours))
    data = cal.to_ical()
    tail = b"END:VCALENDAR\r\n"
    assert data.endswith(tail)
    # the VTIMEZONE is the same in every file: serialized once, not once per calendar
    return data[: -len(tail)] + _vtimezone_bytes(tz), tail


@lru_cache(maxsize=4)
def _vtimezone_bytes(tzid: str) -> bytes:
    return _vtimezone(tzid).to_ical()


def assemble(name: str, events: list[tuple[str, bytes]], *, tz: str = "Asia/Shanghai",
             refresh_hours: int = 12) -> bytes:
    """A calendar from serialized events, sorted by UID so unchanged data gives unchanged bytes."""
    head, tail = envelope(name, tz=tz, refresh_hours=refresh_hours)
    return head + b"".join(body for _, body in sorted(events)) + tail
